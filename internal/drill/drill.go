// Package drill runs rehearsals (entrasnap rehearse): a snapshot loaded
// into an in-process graphsim (internal/rehearse), the classic incidents
// made through Microsoft Graph (so the tenant's audit log has them), each
// restored with the product's own plan and apply (importer, as restore
// runs them) and verified, and the outcome recorded in the repository as a
// rehearsal record (layout.Rehearsal), one commit of its own.
//
// Nothing here writes to a real tenant: the only Graph it talks to is the
// graphsim it starts. The record is the only thing written to the
// repository; the restores record no post-restore snapshot.
package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/internal/rehearse"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Sleep waits d (or until ctx ends). The rehearsal tenant runs in this
// process, so its clients' waits move the tenant's clock instead of
// sleeping: the time a restore takes is the run clock's, throttling
// included, without the real wait.
type Sleep = func(ctx context.Context, d time.Duration) error

// Options say what to rehearse.
type Options struct {
	Repo *snapshot.Repo
	// At is the revision to rehearse: a snapshot tag, commit or date; ""
	// is the newest snapshot tag (HEAD when there is none).
	At string
	// Scenarios to run (ParseScenarios); nil runs them all.
	Scenarios []string
	// Throttle is graphsim's throttling: "realistic" (Graph's limits, the
	// default) or "off".
	Throttle string
	// Tool is the entrasnap version string recorded.
	Tool string
	// Client makes a Graph client for graphsim at url with token, waiting
	// with sleep between retries and for Graph's pacing.
	Client func(url, token string, sleep Sleep) (*graph.Client, error)
	// Progress, when set, gets one line per step.
	Progress io.Writer
	// Now is the run's start (default time.Now); the rehearsal tenant's
	// clock starts there and moves with the waits.
	Now func() time.Time
	// Freeze stops the tenant's clock at Now but for the waits (tests: the
	// times recorded are then the waits alone, deterministic). Otherwise
	// it runs from Now with the real time, plus the waits.
	Freeze bool
	// Licence of the rehearsal tenant (graphsim.LicenceFree, LicenceP1,
	// LicenceP2; "" is P2): rehearse as the tenant is licensed (without P1,
	// Graph refuses Conditional Access writes, so those restores fail).
	Licence string
	// Tenant, when set, is called with the rehearsal tenant once it is
	// loaded (tests look at it afterwards).
	Tenant func(*graphsim.Server)
}

// scenario is one classic incident: stage breaks the tenant through Graph
// and says which objects a restore must bring back.
type scenario struct {
	name  string
	stage func(ctx context.Context, r *run) (*damage, error)
}

// damage is what a scenario broke.
type damage struct {
	ids     []string // the objects to restore (restore's selectors)
	objects int
	what    string // one line: what was broken
}

// skip is a scenario that cannot be staged on this snapshot.
type skip struct{ why string }

func (s skip) Error() string { return s.why }

var scenarios = []scenario{
	{"ca-policy-deleted", caPolicyDeleted},
	{"group-membership-wiped", groupMembershipWiped},
	{"app-redirect-uris-changed", appRedirectURIsChanged},
	{"sp-permissions-changed", spPermissionsChanged},
	{"named-location-deleted", namedLocationDeleted},
	{"user-attributes-corrupted", userAttributesCorrupted},
}

// ParseScenarios reads a comma-separated list of scenario names ("" is
// all of them, nil); an unknown name is an error listing the known ones.
func ParseScenarios(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		known := false
		for _, sc := range scenarios {
			known = known || sc.name == n
		}
		if !known {
			return nil, fmt.Errorf("unknown scenario %q: the scenarios are %s", layout.Safe(n), strings.Join(layout.RehearsalScenarios, ", "))
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, nil
}

// run is one rehearsal in progress.
type run struct {
	o      Options
	commit string
	client *graph.Client
	sim    *graphsim.Server
	sleep  Sleep
	ids    *importer.IDMap // objects recreated under new ids so far
	// snaps holds the rehearsed commit's objects, decoded once for every
	// restore's plan, apply and verify.
	snaps importer.SnapshotCache
	files map[string]map[string]any
}

func (r *run) say(format string, args ...any) {
	if r.o.Progress != nil {
		fmt.Fprintf(r.o.Progress, "rehearse: "+format+"\n", args...)
	}
}

// Run rehearses: it loads the snapshot, runs the scenarios one after the
// other on the same tenant and returns the record (not yet committed:
// Commit). An error means no rehearsal could run (the snapshot could not
// be read or loaded); a scenario that fails is a "fail" in the record.
func Run(ctx context.Context, o Options) (*layout.Rehearsal, error) {
	if o.Repo == nil || o.Client == nil {
		return nil, errors.New("drill: Options.Repo and Client are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Throttle == "" {
		o.Throttle = "realistic"
	}
	rev, tag, err := target(ctx, o.Repo, o.At)
	if err != nil {
		return nil, err
	}
	h, err := o.Repo.Resolve(ctx, rev)
	if err != nil {
		return nil, err
	}
	start := o.Now().UTC().Truncate(time.Second)
	rec := &layout.Rehearsal{Version: layout.RehearsalFormat, StartedAt: start, Snapshot: tag, Commit: h.String(), Tool: o.Tool, Throttle: o.Throttle}
	r := &run{o: o, commit: h.String(), ids: importer.NewIDMap()}
	what := tag
	if what == "" {
		what = h.String()[:12]
	}
	r.say("loading %s of %s into graphsim (throttling %s)", what, o.Repo.Path(), o.Throttle)
	gopts := graphsim.Options{Throttle: o.Throttle, AuditLag: -1, Seed: 1, Licence: o.Licence}
	if o.Freeze {
		gopts.Now = start
	}
	// What the load left out goes in the record too, not only in the
	// progress: the scenarios ran on a tenant without it.
	sim, n, err := rehearse.Load(ctx, o.Repo, r.commit, gopts, func(s string) { r.say("%s", s); rec.Notes = append(rec.Notes, s) })
	if err != nil {
		return nil, fmt.Errorf("loading %s into graphsim: %w", what, err)
	}
	if !o.Freeze {
		// The run clock: from start, with the real time and the waits.
		sim.Clock().Advance(start.Sub(sim.Clock().Now()))
	}
	r.sim = sim
	if o.Tenant != nil {
		o.Tenant(sim)
	}
	ln, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	r.sleep = func(ctx context.Context, d time.Duration) error {
		sim.Clock().Advance(d)
		return ctx.Err()
	}
	if r.client, err = o.Client(ln.URL, sim.Token(), r.sleep); err != nil {
		return nil, err
	}
	r.say("loaded %d objects (tenant %s)", n, sim.TenantID())
	if r.files, err = objects(ctx, o.Repo, r.commit); err != nil {
		return nil, err
	}
	for _, sc := range scenarios {
		if len(o.Scenarios) > 0 && !contains(o.Scenarios, sc.name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := r.scenario(ctx, sc)
		rec.Scenarios = append(rec.Scenarios, res)
		switch res.Result {
		case layout.RehearsalPass:
			r.say("%s: pass, %d %s restored in %.1fs", sc.name, res.Objects, layout.Plural(res.Objects, "object", "objects"), res.RestoreSeconds)
		case layout.RehearsalSkipped:
			r.say("%s: skipped (%s)", sc.name, layout.RehearsalDetail(res.Detail))
		default:
			r.say("%s: FAIL: %s", sc.name, layout.RehearsalDetail(res.Detail))
		}
	}
	rec.Count()
	rec.FinishedAt = sim.Clock().Now().UTC().Truncate(time.Second)
	if rec.FinishedAt.Before(start) {
		rec.FinishedAt = start
	}
	return rec, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// target is the revision to rehearse and its snapshot tag ("" when it has
// none): at, or the newest snapshot tag.
func target(ctx context.Context, repo *snapshot.Repo, at string) (rev, tag string, err error) {
	if at == "" {
		tags, err := repo.Tags(ctx, "snapshot/")
		if err != nil {
			return "", "", err
		}
		if len(tags) == 0 {
			return "HEAD", "", nil
		}
		return "refs/tags/" + tags[0].Name, tags[0].Name, nil
	}
	log, err := repo.Log(ctx, at, 1)
	if err != nil {
		return "", "", err
	}
	if len(log) == 1 {
		name := strings.TrimPrefix(at, "refs/tags/")
		for _, t := range log[0].Tags {
			if t == name {
				return at, t, nil
			}
		}
		for _, t := range log[0].Tags {
			if strings.HasPrefix(t, "snapshot/") {
				return at, t, nil
			}
		}
	}
	return at, "", nil
}

// objects reads the object files of the kinds the scenarios break, by
// kind name and id.
func objects(ctx context.Context, repo *snapshot.Repo, rev string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, name := range []string{"conditional-access-policies", "groups", "applications", "service-principals", "named-locations", "users"} {
		k, _ := layout.Lookup(name)
		files, err := repo.ReadAll(ctx, rev, k.Root())
		if err != nil {
			return nil, err
		}
		for p, data := range files {
			kk, _, err := layout.Locate(p)
			if err != nil || kk.Name != name {
				continue
			}
			obj, err := layout.Decode(data)
			if err != nil {
				return nil, fmt.Errorf("%s at %s: %w (run entrasnap check)", p, rev, err)
			}
			id, _ := obj[k.KeyProp()].(string)
			if id != "" {
				out[name+"/"+id] = obj
			}
		}
	}
	return out, nil
}

// of returns the objects of a kind read by objects, sorted by id.
func (r *run) of(kind string) []map[string]any {
	var keys []string
	for k := range r.files {
		if strings.HasPrefix(k, kind+"/") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		out[i] = r.files[k]
	}
	return out
}

// scenario stages one incident, restores it and verifies.
func (r *run) scenario(ctx context.Context, sc scenario) layout.RehearsalScenario {
	out := layout.RehearsalScenario{Name: sc.name}
	r.say("%s: staging the incident through Graph", sc.name)
	d, err := sc.stage(ctx, r)
	var sk skip
	switch {
	case errors.As(err, &sk):
		out.Result, out.Detail = layout.RehearsalSkipped, sk.why
		return out
	case err != nil:
		out.Result, out.Detail = layout.RehearsalFail, "could not stage the incident: "+err.Error()
		return out
	}
	out.Objects = d.objects
	r.say("%s: %s; restoring %d %s", sc.name, d.what, len(d.ids), layout.Plural(len(d.ids), "object", "objects"))
	t0 := r.sim.Clock().Now()
	note, err := r.restore(ctx, d.ids)
	out.RestoreSeconds = r.sim.Clock().Now().Sub(t0).Seconds()
	if err != nil {
		out.Result, out.Detail = layout.RehearsalFail, d.what+"; "+err.Error()
		return out
	}
	out.Result, out.Detail = layout.RehearsalPass, d.what+"; "+note
	return out
}

// restore plans, applies and verifies the restore of ids from the
// rehearsed commit, as `entrasnap restore --at REV ID... --yes` does (the
// same importer calls and options, Conditional Access report-only), then
// plans again: the tenant must equal the snapshot for those objects.
func (r *run) restore(ctx context.Context, ids []string) (string, error) {
	opts := importer.Options{CAState: importer.CAStateReportOnly}
	load := func() (*importer.Plan, error) {
		in, err := importer.Load(ctx, importer.LoadOptions{Client: r.client, Repo: r.o.Repo, Rev: r.commit, Commit: r.commit,
			Selectors: ids, IDs: r.ids, Options: opts, Tool: r.o.Tool, Rehearsal: true, Snapshots: &r.snaps})
		if err != nil {
			return nil, err
		}
		if err := in.CheckTenant(); err != nil {
			return nil, err
		}
		return importer.Compute(in)
	}
	plan, err := load()
	if err != nil {
		return "", fmt.Errorf("planning the restore: %w", err)
	}
	if plan.Empty() {
		return "", errors.New("the restore planned nothing although the objects were broken")
	}
	res, err := importer.Apply(ctx, plan, importer.ApplyOptions{Client: r.client, Repo: r.o.Repo, Token: r.client.BearerToken(ctx), Sleep: r.sleep,
		Rehearsal: true, IDs: r.ids, Snapshots: &r.snaps})
	if res != nil {
		r.ids.Merge(res.IDs)
	}
	if err != nil {
		return "", fmt.Errorf("applying the restore: %w", err)
	}
	if !res.Complete() {
		msg := res.Err()
		if msg == nil {
			msg = errors.New("verification did not pass")
		}
		if len(res.Differences) > 0 {
			d := res.Differences[0]
			return "", fmt.Errorf("%v (first: %s %s %s)", msg, d.Kind, d.Key, d.What)
		}
		return "", msg
	}
	again, err := load()
	if err != nil {
		return "", fmt.Errorf("verifying: %w", err)
	}
	if !again.Empty() {
		a := again.Actions[0]
		return "", fmt.Errorf("verifying: the tenant still differs from the snapshot: %d %s planned after the restore (first: %s %s %s)",
			len(again.Actions), layout.Plural(len(again.Actions), "action", "actions"), a.Op, a.Kind, a.Key)
	}
	counts := plan.Counts()
	var ops []string
	for _, op := range sortedOps(counts) {
		ops = append(ops, fmt.Sprintf("%d %s", counts[op], op))
	}
	note := fmt.Sprintf("restored with %d %s (%s), verified", len(plan.Actions), layout.Plural(len(plan.Actions), "action", "actions"), strings.Join(ops, ", "))
	if n := res.IDs.Len(); n > 0 {
		note += fmt.Sprintf(", %d recreated under new ids", n)
	}
	if len(again.Warnings) > 0 {
		note += "; note: " + again.Warnings[0]
	}
	return note, nil
}

func sortedOps(m map[importer.Op]int) []importer.Op {
	var out []importer.Op
	for op := range m {
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
