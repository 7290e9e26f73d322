package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/snapshot"
)

// initBare creates an empty bare repository at dir for an export.
func initBare(dir string) error {
	r, err := snapshot.Init(dir, true)
	if err != nil {
		return err
	}
	return r.Close()
}

// offRuns measures rows a, c, d and e on a tenant without throttling.
func (b *runner) offRuns(ctx context.Context, t *Table) error {
	s, err := b.newSim("off")
	if err != nil {
		return err
	}
	defer s.close()
	cnt := counts(s)
	t.Users, t.Groups, t.Apps = cnt["user"], cnt["group"], cnt["application"]
	t.Floor = ComputeFloor(cnt)
	dir := filepath.Join(b.tmp, "off.git")
	if err := initBare(dir); err != nil {
		return err
	}

	// (a) full export, throttling off.
	const runA = "full export, throttling off"
	b.logf("(a) %s", runA)
	s.ResetStats()
	first := b.runExport(ctx, s, dir, "bench: full export", false)
	st := s.Stats()
	if first.Error != "" || first.Commit == "" {
		return fmt.Errorf("the full export failed: %s", first.Error)
	}
	t.Objects = first.Objects
	t.Breakdown = Breakdown(st.Endpoints, t.Floor)
	cpu := cpuOf(first, b.o.Exec == nil)
	detail := fmt.Sprintf("%s requests (%s with $batch items), %s units, floor %s units; %.1f s (read %.1f s, then write %.1f s); %s objects; %s",
		fmtInt(first.Requests), fmtInt(int64(st.Requests)), fmtInt(int64(st.ResourceUnits)), fmtInt(int64(t.Floor.Units)),
		first.Seconds, first.ReadSeconds, first.WriteSeconds, fmtInt(int64(first.Objects)), cpu)
	a1 := upTo("a1", runA, "resource units ÷ floor", float64(st.ResourceUnits)/float64(max(t.Floor.Units, 1)), 1.15, "×", detail)
	a1.CPU = cpu
	t.Rows = append(t.Rows, a1)
	rssTarget := 300.0
	if t.Users >= 1_000_000 {
		rssTarget = 1024
	}
	if first.PeakRSSKiB > 0 {
		t.Rows = append(t.Rows, upTo("a2", runA, "peak RSS of the export", float64(first.PeakRSSKiB)/1024, rssTarget, "MB",
			fmt.Sprintf("%.1f s wall time in a child process", first.Seconds)))
	} else {
		t.Rows = append(t.Rows, failed("a2", runA, "peak RSS of the export", rssTarget, "MB", errors.New("not measured: the export ran in the bench's own process"), ""))
	}

	// (d) the snapshot write against C git on the same files.
	if b.runs['d'] {
		b.logf("(d) git write vs git add -A && git commit")
		t.Rows = append(t.Rows, b.cGitRow(ctx, dir, first))
	}
	if !b.runs['c'] {
		return nil
	}

	// (c) a no-change day, then a daily run after scripted changes.
	client, err := b.client(s, nil)
	if err != nil {
		return err
	}
	const runC = "daily run"
	b.logf("(c) no-change run")
	s.ResetStats()
	same := b.runExport(ctx, s, dir, "bench: no change", false)
	if same.Error != "" {
		t.Rows = append(t.Rows, failed("c2", runC+", nothing changed", "wall time", 5, "s", errors.New(same.Error), ""))
	} else {
		qs := s.Stats()
		t.Quiet = Breakdown(qs.Endpoints, Floor{})
		rss := peakRSS(same)
		t.Rows = append(t.Rows, upTo("c2", runC+", nothing changed", "wall time", same.Seconds, 5, "s",
			fmt.Sprintf("%s requests (%s with $batch items), %s units (%.1f %% of the full run), %s; committed: %v",
				fmtInt(same.Requests), fmtInt(int64(qs.Requests)), fmtInt(int64(qs.ResourceUnits)),
				100*float64(qs.ResourceUnits)/float64(max(st.ResourceUnits, 1)), rss, same.Changed)))
	}
	b.logf("(c) %d scripted changes, then the daily run", b.o.Changes)
	sc, err := changeTenant(ctx, client, s, b.o.Changes)
	runC1 := fmt.Sprintf("%s after %d changes", runC, b.o.Changes)
	var daily exportResult
	if err == nil {
		s.ResetStats()
		daily = b.runExport(ctx, s, dir, "bench: daily run", false)
		if daily.Error != "" {
			err = errors.New(daily.Error)
		}
	}
	if err != nil {
		t.Rows = append(t.Rows, failed("c1", runC1, "units ÷ the full run's", 2, "%", err, sc.String()))
	} else {
		ds := s.Stats()
		t.Churn = Breakdown(ds.Endpoints, Floor{})
		du := ds.ResourceUnits
		t.Rows = append(t.Rows, upTo("c1", runC1, "units ÷ the full run's", 100*float64(du)/float64(max(st.ResourceUnits, 1)), 2, "%",
			fmt.Sprintf("%s units, %s requests (%s with $batch items), %.1f s, %s; changes: %s", fmtInt(int64(du)), fmtInt(daily.Requests),
				fmtInt(int64(ds.Requests)), daily.Seconds, peakRSS(daily), sc)))
	}
	if !b.runs['e'] {
		return nil
	}

	// (e) diff, log and check on the large repository.
	b.logf("(e) diff, log, check")
	if daily.Commit == "" {
		noDaily := errors.New("no daily snapshot to compare or follow: see row c1")
		t.Rows = append(t.Rows, failed("e1", "diff of two snapshots with the changes", "wall time", 0.3, "s", noDaily, ""),
			failed("e2", "log of one object", "wall time", 1, "s", noDaily, ""))
	} else {
		t.Rows = append(t.Rows, b.cliRow("e1", "diff of two snapshots with the changes", 0.3, "",
			"diff", "--repo", dir, first.Commit, daily.Commit))
	}
	t.Rows = append(t.Rows, b.cliRow("e3", "check of the large snapshot", 10, "", "check", "--repo", dir))
	if daily.Commit != "" {
		note := ""
		if err := b.dailyHistory(ctx, dir, sc.edited, b.o.Days); err != nil {
			note = fmt.Sprintf("could not add daily snapshots (%v); ", err)
		}
		n := b.snapshots(ctx, dir)
		t.Rows = append(t.Rows, b.cliRow("e2", fmt.Sprintf("log of one object over %d snapshots", n), 1,
			note+"the object changed in each of the last snapshots (added with git fast-import, one edit a day)", "log", "--repo", dir, sc.edited))
	}
	return nil
}

// dailyHistory adds commits to the repository at dir until its branch has
// days of them, each changing the jobTitle of the user with id user: the
// history `log` walks after a year of daily snapshots, the object changing
// every day (the worst case). The commits are written by C git's
// fast-import, in seconds; entrasnap reads them like its own.
func (b *runner) dailyHistory(ctx context.Context, dir, user string, days int) error {
	have := b.snapshots(ctx, dir)
	if have >= days {
		return nil
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return fmt.Errorf("C git not found on PATH: %w", err)
	}
	r, err := snapshot.Open(dir)
	if err != nil {
		return err
	}
	var path string
	var content []byte
	all, err := r.ReadAll(ctx, "HEAD", "")
	head, herr := r.Resolve(ctx, "HEAD")
	r.Close()
	if err != nil || herr != nil {
		return errors.Join(err, herr)
	}
	for p, data := range all {
		if strings.Contains(p, user) {
			path, content = p, data
			break
		}
	}
	if path == "" {
		return fmt.Errorf("no file for user %s", user)
	}
	ref, err := exec.CommandContext(ctx, gitPath, "--git-dir", dir, "symbolic-ref", "HEAD").Output()
	if err != nil {
		return fmt.Errorf("git symbolic-ref HEAD: %w", err)
	}
	title := regexp.MustCompile(`(?m)^jobTitle: .*$`)
	var in bytes.Buffer
	when := time.Now().Unix()
	for day := 1; day <= days-have; day++ {
		data := title.ReplaceAll(content, []byte(fmt.Sprintf("jobTitle: \"Bench day %d\"", day)))
		msg := fmt.Sprintf("bench: day %d", day)
		fmt.Fprintf(&in, "commit %s\ncommitter entrasnap bench <bench@entrasnap.invalid> %d +0000\ndata %d\n%s\n",
			strings.TrimSpace(string(ref)), when+int64(day)*86400, len(msg), msg)
		if day == 1 {
			fmt.Fprintf(&in, "from %s\n", head)
		}
		fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", path, len(data), data)
	}
	cmd := exec.CommandContext(ctx, gitPath, "--git-dir", dir, "fast-import", "--quiet")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git fast-import: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// snapshots is the number of commits on the repository's HEAD.
func (b *runner) snapshots(ctx context.Context, dir string) int {
	r, err := snapshot.Open(dir)
	if err != nil {
		return 0
	}
	defer r.Close()
	log, err := r.Log(ctx, "HEAD", 0)
	if err != nil {
		return 0
	}
	return len(log)
}

// cliRow times an entrasnap command.
func (b *runner) cliRow(id, run string, target float64, note string, args ...string) Row {
	t0 := time.Now()
	err := b.o.CLI(context.Background(), nil, args...)
	secs := time.Since(t0).Seconds()
	detail := "entrasnap " + args[0]
	if note != "" {
		detail += ", " + note
	}
	if err != nil {
		return failed(id, run, "wall time", target, "s", err, detail)
	}
	return upTo(id, run, "wall time", secs, target, "s", detail)
}

// cGitRow compares the export's write phase with C git adding and
// committing the same files in a new repository.
func (b *runner) cGitRow(ctx context.Context, dir string, first exportResult) Row {
	const run, measure = "git write of the full snapshot", "entrasnap write ÷ C git"
	gitSecs, files, version, err := b.cGit(ctx, dir, first.Commit)
	if err != nil {
		return failed("d", run, measure, 1, "×", err, "")
	}
	return upTo("d", run, measure, first.WriteSeconds/gitSecs, 1, "×",
		fmt.Sprintf("entrasnap %.2f s (from the last kind read to the snapshot written, bare repository) vs `git add -A && git commit` %.2f s (%s), %s files",
			first.WriteSeconds, gitSecs, version, fmtInt(int64(files))))
}

func (b *runner) cGit(ctx context.Context, dir, commit string) (secs float64, files int, version string, err error) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return 0, 0, "", fmt.Errorf("C git not found on PATH: %w", err)
	}
	r, err := snapshot.Open(dir)
	if err != nil {
		return 0, 0, "", err
	}
	all, err := r.ReadAll(ctx, commit, "")
	r.Close()
	if err != nil {
		return 0, 0, "", err
	}
	work := filepath.Join(b.tmp, "cgit")
	for p, data := range all {
		full := filepath.Join(work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return 0, 0, "", err
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			return 0, 0, "", err
		}
	}
	defer os.RemoveAll(work)
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, gitPath, append([]string{"-c", "user.name=entrasnap bench", "-c", "user.email=bench@entrasnap.invalid"}, args...)...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return strings.TrimSpace(string(out)), nil
	}
	if version, err = git("--version"); err != nil {
		return 0, 0, "", err
	}
	if _, err := git("init", "-q"); err != nil {
		return 0, 0, "", err
	}
	t0 := time.Now()
	if _, err := git("add", "-A"); err != nil {
		return 0, 0, "", err
	}
	if _, err := git("commit", "-q", "-m", "bench"); err != nil {
		return 0, 0, "", err
	}
	return time.Since(t0).Seconds(), len(all), version, nil
}

// peakRSS says an export's peak RSS, or that it was not measured.
func peakRSS(r exportResult) string {
	if r.PeakRSSKiB > 0 {
		return fmt.Sprintf("peak RSS %.0f MB", float64(r.PeakRSSKiB)/1024)
	}
	return "peak RSS not measured (in-process)"
}

// throttledRuns measures rows b and f on a tenant with realistic throttling.
func (b *runner) throttledRuns(ctx context.Context, t *Table) error {
	s, err := b.newSim("realistic")
	if err != nil {
		return err
	}
	defer s.close()
	if t.Users == 0 { // run a was not asked for
		cnt := counts(s)
		t.Users, t.Groups, t.Apps = cnt["user"], cnt["group"], cnt["application"]
		t.Floor = ComputeFloor(cnt)
	}
	var sleep func(context.Context, time.Duration) error
	if b.o.Clock == "virtual" {
		sleep = simSleep(s.Clock())
	}
	client, err := b.client(s, sleep) // deletes before the restore
	if err != nil {
		return err
	}
	dir := filepath.Join(b.tmp, "realistic.git")
	if err := initBare(dir); err != nil {
		return err
	}
	users := s.Tenant().Count("user")

	// (b) full export under realistic throttling.
	const runB = "full export, realistic throttling"
	b.logf("(b) %s (%s clock)", runB, b.o.Clock)
	s.ResetStats()
	c0, r0 := s.Clock().Now(), time.Now()
	res := b.runExport(ctx, s, dir, "bench: throttled export", b.o.Clock == "virtual")
	elapsed, real := s.Clock().Now().Sub(c0).Seconds(), time.Since(r0).Seconds()
	st := s.Stats()
	bound := BudgetBound(users, int64(st.ResourceUnits), 0, caRequests(st))
	timeNote := fmt.Sprintf("%.1f s", elapsed)
	if b.o.Clock == "virtual" {
		timeNote = fmt.Sprintf("%.1f s simulated (graphsim's clock moved by the client's waits; %.1f s real)", elapsed, real)
	}
	cpu := cpuOf(res, b.o.Exec == nil)
	detail := fmt.Sprintf("%s vs bound %.1f s (%s units at %.0f units/s); %s requests, %s retries, %s; %s",
		timeNote, bound, fmtInt(int64(st.ResourceUnits)), ReadRate(users), fmtInt(res.Requests), fmtInt(res.Retries), peakRSS(res), cpu)
	if t.Objects == 0 {
		t.Objects = res.Objects
	}
	b1 := upTo("b1", runB, "time ÷ budget bound", elapsed/bound, 1.2, "×", detail)
	if res.Error != "" {
		b1 = failed("b1", runB, "time ÷ budget bound", 1.2, "×", errors.New(res.Error), detail)
	}
	b1.CPU = cpu
	t.Rows = append(t.Rows, b1)
	t.Rows = append(t.Rows, upTo("b2", runB, "throttled answers ÷ requests", 100*float64(st.Throttled)/float64(max(st.Requests, 1)), 2, "%",
		fmt.Sprintf("%s 429s of %s requests ($batch items counted one by one)", fmtInt(int64(st.Throttled)), fmtInt(int64(st.Requests)))))
	if !b.runs['f'] {
		return nil
	}

	// (f) restore of deleted users under realistic write throttling.
	n := min(b.o.RestoreObjects, users/3)
	runF := fmt.Sprintf("restore plan+apply of %s deleted users, realistic throttling", fmtInt(int64(n)))
	if res.Commit == "" {
		t.Rows = append(t.Rows, failed("f", runF, "time ÷ budget bound", 1.3, "×", errors.New("no snapshot to restore from: the throttled export failed"), ""))
		return nil
	}
	b.logf("(f) deleting %d users, then restoring them", n)
	s.Clock().Advance(time.Hour) // budgets full again, as on a fresh day
	victims := ids(s, "user")[:n]
	for i, id := range victims {
		if _, err := client.Delete(ctx, "/v1.0/users/"+id); err != nil {
			t.Rows = append(t.Rows, failed("f", runF, "time ÷ budget bound", 1.3, "×", fmt.Errorf("deleting user %d of %d: %w", i+1, n, err), ""))
			return nil
		}
	}
	s.Clock().Advance(time.Hour)
	s.ResetStats()
	args := append([]string{"restore", "--repo", dir, "--at", res.Commit, "--yes", "--graph-url", s.url}, victims...)
	c0 = s.Clock().Now()
	err = b.o.CLI(ctx, map[string]string{"ENTRASNAP_ACCESS_TOKEN": s.Token()}, args...)
	elapsed = s.Clock().Now().Sub(c0).Seconds()
	st = s.Stats()
	writes := writeRequests(st)
	bound = BudgetBound(users, int64(st.ResourceUnits), writes, caRequests(st))
	back := 0
	for _, id := range victims {
		if _, ok := s.Tenant().Get("user", id); ok {
			back++
		}
	}
	detail = fmt.Sprintf("%.1f s real (the restore command sleeps in real time) vs bound %.1f s (%s writes at %.0f/s, %s units at %.0f/s); %s of %s users back; %s 429s; includes the post-restore snapshot",
		elapsed, bound, fmtInt(writes), WriteRate, fmtInt(int64(st.ResourceUnits)), ReadRate(users), fmtInt(int64(back)), fmtInt(int64(n)), fmtInt(int64(st.Throttled)))
	switch {
	case err != nil:
		t.Rows = append(t.Rows, failed("f", runF, "time ÷ budget bound", 1.3, "×", err, detail))
	case back != n:
		t.Rows = append(t.Rows, failed("f", runF, "time ÷ budget bound", 1.3, "×", fmt.Errorf("%d of %d users restored", back, n), detail))
	default:
		t.Rows = append(t.Rows, upTo("f", runF, "time ÷ budget bound", elapsed/bound, 1.3, "×", detail))
	}
	return nil
}

// caRequests counts the requests answered by Conditional Access, whose
// budget is 1 request a second per tenant.
func caRequests(st graphsim.Stats) int64 {
	var n int64
	for _, e := range st.Endpoints {
		if strings.HasPrefix(e.Path, "/identity/conditionalAccess/") {
			n += int64(e.Requests - e.Throttled)
		}
	}
	return n
}

// writeRequests counts the writes Graph carried out ($batch envelopes and
// the getByIds read action aside).
func writeRequests(st graphsim.Stats) int64 {
	var n int64
	for _, e := range st.Endpoints {
		if e.Method == "GET" || e.Path == "/$batch" || strings.HasSuffix(e.Path, "getByIds") {
			continue
		}
		n += int64(e.Requests - e.Throttled)
	}
	return n
}
