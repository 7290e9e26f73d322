package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Options configure a bench run.
type Options struct {
	// Users, Groups and Apps size graphsim's large profile; zero takes its
	// defaults (100,000 users, 20,000 groups × 50 members, 2,000 apps).
	Users, Groups, Apps int
	// Changes is the number of scripted changes before the daily run
	// (default 100); RestoreObjects the objects restored (default 1,000,
	// at most a third of the users); Days the snapshots `log` walks
	// (default 365).
	Changes, RestoreObjects, Days int
	// Clock is "virtual" (default: graphsim's clock moves when the client
	// sleeps, so a throttled run reports simulated time) or "real".
	Clock string
	// Runs are the letters of the runs to measure ("a" to "f", any order;
	// "" is all of them). c and d use a's export and e uses c's daily
	// snapshot, so asking for them runs what they need too (ParseRuns).
	Runs string
	// Exec runs one export in a child process (see ReExec and Child), to
	// measure its peak RSS apart from graphsim's. nil runs it in this
	// process and leaves peak RSS unmeasured.
	Exec Exec
	// CLI runs an entrasnap command (diff, log, check, restore) with args
	// and extra environment variables (the access token travels there, not
	// on a command line) and discards its output. Required.
	CLI func(ctx context.Context, env map[string]string, args ...string) error
	// UserAgent of the bench's Graph clients.
	UserAgent string
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Keep, if set, is a folder (new or empty) the bench works in and
	// leaves behind, repositories included, for profiling a command on
	// them; "" works in a temporary folder removed at the end.
	Keep string
}

// Table is the bench's result: one Row per target of issue 12.
type Table struct {
	Users   int     `json:"users"`
	Groups  int     `json:"groups"`
	Apps    int     `json:"apps"`
	Objects int     `json:"objects"`
	Machine Machine `json:"machine"`
	// Clock says how throttled runs were timed; RSS how peak memory was;
	// Processes where the exports and commands ran.
	Clock     string `json:"clock"`
	RSS       string `json:"rss"`
	Processes string `json:"processes"`
	Floor     Floor  `json:"floor"`
	// Breakdown is where the full export's (row a1) resource units went,
	// path by path, beside the floor's.
	Breakdown []Spend `json:"breakdown,omitempty"`
	// Quiet is where the no-change run's (row c2) requests and resource
	// units went, path by path, the most units first.
	Quiet []Spend `json:"noChangeBreakdown,omitempty"`
	// Churn is the same for the daily run after the scripted changes (c1).
	Churn []Spend `json:"churnBreakdown,omitempty"`
	Rows  []Row   `json:"rows"`
}

// Row is one measure against its target (every target is an upper bound).
type Row struct {
	ID      string  `json:"id"`      // "a1", "b2", …: the run (a–f) and the target
	Run     string  `json:"run"`     // "full export, throttling off"
	Measure string  `json:"measure"` // "resource units ÷ floor"
	Value   float64 `json:"value"`
	Target  float64 `json:"target"`
	Unit    string  `json:"unit"` // "×", "s", "%", "MB"
	Met     bool    `json:"met"`
	// Detail holds the figures behind Value; Error why the run failed
	// (then Value is meaningless and Met false).
	Detail string `json:"detail"`
	Error  string `json:"error,omitempty"`
	// CPU is where an export row's time went: the CPU of the export and of
	// graphsim serving it (rows a1 and b1).
	CPU *RowCPU `json:"cpu,omitempty"`
}

// RowCPU is the CPU an export used, the export's own and graphsim's, in
// seconds and per object read: how much of the wall time is the product's.
type RowCPU struct {
	Objects int `json:"objects"`
	// Export is the export child's CPU (user+sys from its rusage); nil when
	// the export ran in the bench's process (then Graphsim holds both).
	Export *exportCPU `json:"export,omitempty"`
	// Graphsim is the bench process's CPU over the export's span: graphsim
	// serving the requests (its HTTP, JSON, paging, delta and garbage
	// collection), and the export too when it ran in-process.
	Graphsim         *exportCPU `json:"graphsim,omitempty"`
	InProcess        bool       `json:"inProcess,omitempty"`
	ExportMsPerObj   float64    `json:"exportMsPerObject,omitempty"`
	GraphsimMsPerObj float64    `json:"graphsimMsPerObject,omitempty"`
}

// exportCPU is one process's CPU time over an export, in seconds.
type exportCPU struct {
	User float64 `json:"user"`
	Sys  float64 `json:"sys"`
}

func (c *exportCPU) total() float64 {
	if c == nil {
		return 0
	}
	return c.User + c.Sys
}

// cpuOf is r's RowCPU (nil when neither process's CPU was read).
func cpuOf(r exportResult, inProcess bool) *RowCPU {
	if r.Child == nil && r.Graphsim == nil {
		return nil
	}
	c := &RowCPU{Objects: r.Objects, Export: r.Child, Graphsim: r.Graphsim, InProcess: inProcess}
	if r.Objects > 0 {
		c.ExportMsPerObj = 1000 * r.Child.total() / float64(r.Objects)
		c.GraphsimMsPerObj = 1000 * r.Graphsim.total() / float64(r.Objects)
	}
	return c
}

// String says c in a row's detail.
func (c *RowCPU) String() string {
	if c == nil {
		return "CPU not measured"
	}
	per := func(x *exportCPU) string {
		if c.Objects == 0 {
			return ""
		}
		return fmt.Sprintf(", %.3f ms/object", 1000*x.total()/float64(c.Objects))
	}
	if c.InProcess {
		return fmt.Sprintf("CPU %.1f s (user %.1f + sys %.1f%s), export and graphsim together in the bench's process",
			c.Graphsim.total(), c.Graphsim.User, c.Graphsim.Sys, per(c.Graphsim))
	}
	s := "CPU: export child "
	if c.Export != nil {
		s += fmt.Sprintf("%.1f s (user %.1f + sys %.1f%s)", c.Export.total(), c.Export.User, c.Export.Sys, per(c.Export))
	} else {
		s += "not measured"
	}
	s += ", graphsim (the bench's process) "
	if c.Graphsim != nil {
		s += fmt.Sprintf("%.1f s (user %.1f + sys %.1f%s) over the same span", c.Graphsim.total(), c.Graphsim.User, c.Graphsim.Sys, per(c.Graphsim))
	} else {
		s += "not measured"
	}
	return s
}

// Distance is how far Value is from Target, in words.
func (r Row) Distance() string {
	switch {
	case r.Error != "":
		return "not measured"
	case r.Met:
		return "met"
	case r.Target > 0:
		return fmt.Sprintf("%.2f× the target", r.Value/r.Target)
	}
	return "over"
}

// Machine is where the bench ran.
type Machine struct {
	CPUs   int    `json:"cpus"`
	CPU    string `json:"cpu,omitempty"`
	OS     string `json:"os"`
	Go     string `json:"go"`
	Memory string `json:"memory,omitempty"`
}

func thisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			var kb int64
			if _, err := fmt.Sscanf(l, "MemTotal: %d kB", &kb); err == nil {
				m.Memory = fmt.Sprintf("%.1f GB", float64(kb)/1024/1024)
				break
			}
		}
	}
	return m
}

var benchAuthor = snapshot.Signature{Name: "entrasnap bench", Email: "bench@entrasnap.invalid"}

type runner struct {
	o    Options
	log  io.Writer
	tmp  string
	runs map[byte]bool // ParseRuns
}

// ParseRuns reads Options.Runs: the set of runs to measure, with what they
// need (a for c and d, c and a for e). "" is every run.
func ParseRuns(letters string) (map[byte]bool, error) {
	if letters == "" {
		letters = "abcdef"
	}
	runs := map[byte]bool{}
	for _, c := range strings.ToLower(letters) {
		if c == ',' || c == ' ' {
			continue
		}
		if c < 'a' || c > 'f' {
			return nil, fmt.Errorf("bench: run %q: the runs are the letters a to f (as \"acd\" or \"a,c\")", string(c))
		}
		runs[byte(c)] = true
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("bench: runs %q name no run: use letters a to f", letters)
	}
	if runs['e'] {
		runs['c'] = true
	}
	if runs['c'] || runs['d'] {
		runs['a'] = true
	}
	return runs, nil
}

func (b *runner) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "bench: "+format+"\n", args...)
}

// Run builds graphsim tenants, measures every row and returns the table.
// A run that fails becomes a row with Error; Run itself fails only when the
// bench cannot start (a tenant, a listener, a temporary directory).
func Run(ctx context.Context, o Options) (*Table, error) {
	if o.CLI == nil {
		return nil, errors.New("bench: Options.CLI is required")
	}
	if o.Changes <= 0 {
		o.Changes = 100
	}
	if o.Days <= 0 {
		o.Days = 365
	}
	if o.RestoreObjects <= 0 {
		o.RestoreObjects = 1000
	}
	switch o.Clock {
	case "":
		o.Clock = "virtual"
	case "virtual", "real":
	default:
		return nil, fmt.Errorf("bench: clock %q: use virtual or real", o.Clock)
	}
	runs, err := ParseRuns(o.Runs)
	if err != nil {
		return nil, err
	}
	b := &runner{o: o, log: o.Log, runs: runs}
	if b.log == nil {
		b.log = io.Discard
	}
	tmp, err := workFolder(o.Keep)
	if err != nil {
		return nil, err
	}
	if o.Keep == "" {
		defer os.RemoveAll(tmp)
	}
	b.tmp = tmp
	t := &Table{Machine: thisMachine(), Clock: o.Clock}
	if o.Exec != nil {
		t.RSS = "peak resident set of the child process running the export (its /proc/self/status VmHWM on Linux; elsewhere ru_maxrss)"
		t.Processes = "each export and command in its own process; graphsim in the bench's"
	} else {
		t.RSS = "not measured (no child process)"
		t.Processes = "exports in the bench's process, beside graphsim"
	}
	if b.runs['a'] {
		if err := b.offRuns(ctx, t); err != nil {
			return nil, err
		}
	}
	if b.runs['b'] || b.runs['f'] {
		if err := b.throttledRuns(ctx, t); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(t.Rows, func(i, j int) bool { return t.Rows[i].ID < t.Rows[j].ID })
	return t, nil
}

// sim is a graphsim tenant served on a loopback port.
type sim struct {
	*graphsim.Server
	url   string
	close func()
}

func (b *runner) newSim(throttle string) (*sim, error) {
	t0 := time.Now()
	s, err := graphsim.New(graphsim.Options{Profile: "large", Seed: 1, Throttle: throttle,
		Sizes: graphsim.Sizes{Users: b.o.Users, Groups: b.o.Groups, Apps: b.o.Apps}})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tn := s.Tenant()
	b.logf("tenant built in %.1fs (throttling %s): %d users, %d groups, %d apps", time.Since(t0).Seconds(), throttle,
		tn.Count("user"), tn.Count("group"), tn.Count("application"))
	return &sim{Server: s, url: "http://" + ln.Addr().String(), close: func() { _ = srv.Close() }}, nil
}

// client is a Graph client for s; sleep nil means the real timer.
func (b *runner) client(s *sim, sleep func(context.Context, time.Duration) error) (*graph.Client, error) {
	return graph.New(graph.Config{BaseURL: s.url, AccessToken: s.Token(), UserAgent: b.o.UserAgent, Sleep: sleep})
}

// virtualSleep makes a client's waits move graphsim's clock (now reads it,
// advance moves it forward) instead of passing real time. Waits that
// overlap (several requests throttled at once) move it to the latest end,
// not by their sum, as parallel sleeps would.
func virtualSleep(now func() time.Time, advance func(time.Duration) error) func(context.Context, time.Duration) error {
	var mu sync.Mutex
	return func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		target := now().Add(d)
		mu.Lock()
		defer mu.Unlock()
		if n := now(); n.Before(target) {
			return advance(target.Sub(n))
		}
		return nil
	}
}

// simSleep is virtualSleep on a graphsim clock in this process.
func simSleep(c *graphsim.Clock) func(context.Context, time.Duration) error {
	return virtualSleep(c.Now, func(d time.Duration) error { c.Advance(d); return nil })
}

// runExport runs one export into dir: in a child process when Options.Exec
// is set (graphsim's heap then slows neither its run nor its garbage
// collector), else here. virtual waits on graphsim's clock.
//
// The result's Graphsim is this process's CPU over the run: graphsim's
// serving (and the export's, in-process); its Child the child's.
func (b *runner) runExport(ctx context.Context, s *sim, dir, message string, virtual bool) exportResult {
	u0, s0, ok := selfCPU()
	r := b.runExportHere(ctx, s, dir, message, virtual)
	if u1, s1, ok1 := selfCPU(); ok && ok1 {
		r.Graphsim = &exportCPU{User: (u1 - u0).Seconds(), Sys: (s1 - s0).Seconds()}
	}
	return r
}

func (b *runner) runExportHere(ctx context.Context, s *sim, dir, message string, virtual bool) exportResult {
	if b.o.Exec != nil {
		return b.childExport(ctx, s, dir, message, virtual)
	}
	var sleep func(context.Context, time.Duration) error
	if virtual {
		sleep = simSleep(s.Clock())
	}
	client, err := b.client(s, sleep)
	if err != nil {
		return exportResult{Error: err.Error()}
	}
	return export(ctx, client, dir, message, benchAuthor, nil)
}

// counts is graphsim's object count per kind.
func counts(s *sim) map[string]int {
	out := map[string]int{}
	for _, k := range graphsim.KindNames() {
		if n := s.Tenant().Count(k); n > 0 {
			out[k] = n
		}
	}
	// The groups PIM for Groups can govern: a full read lists each one's
	// schedules (ComputeFloor).
	if n := s.Tenant().PIMGovernableGroups(); n > 0 {
		out[PIMGovernableGroups] = n
	}
	return out
}

// exportResult is what one export run measured.
type exportResult struct {
	Requests      int64   `json:"requests"` // HTTP requests (a $batch is one)
	ResourceUnits int64   `json:"resourceUnits"`
	Retries       int64   `json:"retries"`
	Throttled     int64   `json:"throttled"`
	Objects       int     `json:"objects"`
	Files         int     `json:"files"`
	Changed       bool    `json:"changed"`
	Commit        string  `json:"commit"`
	Seconds       float64 `json:"seconds"`
	ReadSeconds   float64 `json:"readSeconds"`
	WriteSeconds  float64 `json:"writeSeconds"` // from the last kind read to the end of the snapshot write
	PeakRSSKiB    int64   `json:"peakRssKiB,omitempty"`
	Error         string  `json:"error,omitempty"`
	// Child and Graphsim are set by the parent (childExport, runExport),
	// never sent by the child.
	Child    *exportCPU `json:"-"`
	Graphsim *exportCPU `json:"-"`
}

// timing records when the read ended and the export finished.
// With log set, each kind read is said there as one progressPrefix line
// (the child's stderr, which the parent's log shows: a 1.2M-user export
// reads for the best part of an hour, and its memory curve is wanted).
type timing struct {
	exporter.NoProgress
	mu       sync.Mutex
	start    time.Time
	lastKind time.Time
	done     time.Time
	log      io.Writer
	kinds    int
}

func (p *timing) KindDone(kind string, objects, requests int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastKind = time.Now()
	p.kinds++
	if p.log == nil {
		return
	}
	state := ""
	if err != nil {
		state = " (incomplete)"
	}
	fmt.Fprintf(p.log, "%skind %d %s%s: %d objects, %d requests, %.1f s since the start, peak RSS %d MB so far\n",
		progressPrefix, p.kinds, kind, state, objects, requests, p.lastKind.Sub(p.start).Seconds(), selfPeakRSSKiB()/1024)
}

func (p *timing) Done(*exporter.Result) {
	p.mu.Lock()
	p.done = time.Now()
	p.mu.Unlock()
}

// export runs one export of client's tenant into the repository at dir
// (bare: the write is the object store's alone, as C git's is compared with).
// progress, when not nil, receives a line per kind read (timing).
func export(ctx context.Context, client *graph.Client, dir, message string, author snapshot.Signature, progress io.Writer) exportResult {
	repo, err := snapshot.Open(dir)
	if err != nil {
		return exportResult{Error: err.Error()}
	}
	defer repo.Close()
	t0 := time.Now()
	p := &timing{start: t0, log: progress}
	// The daily runs measured are the scheduled job's (--scheduled, as the
	// CI templates run it): the first export is a full read either way.
	res, err := exporter.Run(ctx, exporter.Options{Client: client, Repo: repo, Message: message, Author: author, Progress: p, Scheduled: true})
	end := time.Now()
	var r exportResult
	if res != nil {
		r = exportResult{Requests: res.Requests, ResourceUnits: res.ResourceUnits, Retries: res.Retries, Throttled: res.Throttled,
			Files: res.Files, Changed: res.Changed, Commit: res.Commit}
		for _, k := range res.Kinds {
			r.Objects += k.Objects
		}
	}
	r.Seconds = end.Sub(t0).Seconds()
	if !p.lastKind.IsZero() {
		r.ReadSeconds = p.lastKind.Sub(t0).Seconds()
		if !p.done.IsZero() {
			r.WriteSeconds = p.done.Sub(p.lastKind).Seconds()
		}
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

func fmtInt(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + fmtInt(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// upTo is a row whose Value must not exceed Target.
func upTo(id, run, measure string, value, target float64, unit, detail string) Row {
	return Row{ID: id, Run: run, Measure: measure, Value: value, Target: target, Unit: unit, Met: value <= target, Detail: detail}
}

func failed(id, run, measure string, target float64, unit string, err error, detail string) Row {
	return Row{ID: id, Run: run, Measure: measure, Target: target, Unit: unit, Error: err.Error(), Detail: detail}
}

// workFolder is the folder the bench works in: keep if set (created if
// missing, refused unless empty, so no earlier run's repository is
// measured by mistake), else a new temporary folder.
func workFolder(keep string) (string, error) {
	if keep == "" {
		return os.MkdirTemp("", "entrasnap-bench-")
	}
	if err := os.MkdirAll(keep, 0o755); err != nil {
		return "", fmt.Errorf("bench: --keep %q: %w", keep, err)
	}
	entries, err := os.ReadDir(keep)
	if err != nil {
		return "", fmt.Errorf("bench: --keep %q: %w", keep, err)
	}
	if len(entries) > 0 {
		return "", fmt.Errorf("bench: --keep %q is not empty: name a new or empty folder", keep)
	}
	return keep, nil
}
