package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/go-git/go-git/v5/plumbing"
)

// files is a baseline held in memory: it implements Repo for one commit.
type files map[string][]byte

func (f files) Walk(_ context.Context, _, prefix string, fn func(string, plumbing.Hash) error) error {
	for p, data := range f {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			if err := fn(p, plumbing.ComputeHash(plumbing.BlobObject, data)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f files) ReadFile(_ context.Context, _, p string) ([]byte, error) { return f[p], nil }

const commit = "0123456789abcdef0123456789abcdef01234567"

// object adds an object of kind to fs and returns its path.
func object(t *testing.T, fs files, kind string, obj map[string]any) string {
	t.Helper()
	k, ok := layout.Lookup(kind)
	if !ok {
		t.Fatalf("no kind %s", kind)
	}
	p, err := layout.Path(k, obj)
	if err != nil {
		t.Fatal(err)
	}
	fs[p] = layout.Canonical(k, obj)
	return p
}

// driftCase is a baseline and a live read of six kinds: a policy changed,
// a group added, users not licensed, named locations not read (a missing
// permission), applications read but not in the baseline, and a baseline
// group file that cannot be decoded.
func driftCase(t *testing.T) Input {
	base, tenant := files{}, files{}
	pol := map[string]any{"id": "c0ffee00-0000-4000-8000-000000000001", "displayName": "Require MFA", "state": "enabled"}
	object(t, base, "conditional-access-policies", pol)
	object(t, tenant, "conditional-access-policies", map[string]any{"id": pol["id"], "displayName": "Require MFA", "state": "disabled"})
	g1 := map[string]any{"id": "9a000000-0000-4000-8000-000000000001", "displayName": "Finance"}
	object(t, base, "groups", g1)
	object(t, tenant, "groups", g1)
	object(t, tenant, "groups", map[string]any{"id": "9a000000-0000-4000-8000-000000000002", "displayName": "New group"})
	broken := object(t, base, "groups", map[string]any{"id": "9a000000-0000-4000-8000-000000000003", "displayName": "Broken"})
	base[broken] = []byte("displayName: [\n")
	object(t, tenant, "groups", map[string]any{"id": "9a000000-0000-4000-8000-000000000003", "displayName": "Broken"})
	object(t, base, "users", map[string]any{"id": "5e000000-0000-4000-8000-000000000001", "displayName": "Ada"})
	object(t, base, "named-locations", map[string]any{"id": "10c00000-0000-4000-8000-000000000001", "displayName": "Office"})
	object(t, tenant, "applications", map[string]any{"id": "a0000000-0000-4000-8000-000000000001", "displayName": "App"})
	return Input{
		Baseline: "HEAD", Commit: commit, Repo: base, Index: history.FromFiles(base),
		Manifest: &layout.Manifest{TenantID: "t", Kinds: map[string]layout.ManifestKind{
			"conditional-access-policies": {Complete: true, Objects: 1},
			"groups":                      {Complete: false, Objects: 2, Reason: "throttled"},
			"users":                       {Complete: true, Objects: 1},
			"named-locations":             {Complete: true, Objects: 1},
		}},
		Live: &live.Live{TenantID: "t", Files: tenant, Kinds: []live.KindResult{
			{Kind: "conditional-access-policies", Complete: true},
			{Kind: "groups", Complete: true},
			{Kind: "users", NotLicensed: "Microsoft Entra ID P1"},
			{Kind: "named-locations", Reason: "403 Forbidden", Permissions: []string{"Policy.Read.All"}},
			{Kind: "applications", Complete: true},
		}},
	}
}

func changes(res *diff.Result) []string {
	var out []string
	for _, c := range res.Changes {
		out = append(out, string(c.Action)+" "+c.Kind+" "+c.Name)
	}
	sort.Strings(out)
	return out
}

func TestCompare(t *testing.T) {
	in := driftCase(t)
	rep, err := Compare(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	// Compared: the policy and the groups; the unreadable baseline group
	// is neither changed nor added; users (not licensed) are not removed.
	if got, want := changes(rep.Critical), []string{"added groups New group", "changed conditional-access-policies Require MFA"}; !reflect.DeepEqual(got, want) {
		t.Errorf("critical changes = %q, want %q", got, want)
	}
	if !rep.Other.Empty() || rep.Kinds != 2 {
		t.Errorf("other = %q, kinds compared = %d, want none and 2", changes(rep.Other), rep.Kinds)
	}
	want := []NotChecked{
		{Kind: "named-locations", Title: "Named locations", Reason: "403 Forbidden; grant Policy.Read.All to the app entrasnap signs in as", Permissions: []string{"Policy.Read.All"}, Critical: true},
		{Kind: "applications", Title: "Applications", Reason: "the baseline does not hold this kind (it was not exported then)", Critical: true},
	}
	for i := range want {
		k, _ := layout.Lookup(want[i].Kind)
		want[i].Title = k.Title
	}
	if !reflect.DeepEqual(rep.NotChecked, want) {
		t.Errorf("not checked = %+v\nwant %+v", rep.NotChecked, want)
	}
	if got := rep.Unchecked; !reflect.DeepEqual(got, []string{"named-locations", "applications"}) {
		t.Errorf("Unchecked = %q", got)
	}
	if len(rep.Skipped) != 1 || !strings.HasPrefix(rep.Skipped[0].Path, "groups/") {
		t.Errorf("skipped = %+v, want the broken group", rep.Skipped)
	}
	if u := rep.Unread(); len(u) != 1 || u[0].Path != rep.Skipped[0].Path || u[0].Rev != in.Baseline || in.Baseline == "" {
		t.Errorf("Unread = %+v, want the broken group at the baseline %q", u, in.Baseline)
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, w := range []string{"not licensed in this tenant (needs Microsoft Entra ID P1): not compared with the baseline's 1", "carried from an earlier snapshot: they could not be read then (throttled)", "not checked: " + rep.Skipped[0].Path} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes lack %q:\n%s", w, notes)
		}
	}

	// A refusal the reader worded by its token (live.KindError.Remedy):
	// a signed-in user's token is told the delegated permission, not an
	// application permission to grant.
	in = driftCase(t)
	for i := range in.Live.Kinds {
		if kr := &in.Live.Kinds[i]; kr.Kind == "named-locations" {
			kr.Err = &live.KindError{Kind: kr.Kind, What: "list", Status: 403, Permissions: kr.Permissions, Token: live.TokenDelegated}
		}
	}
	if rep, err = Compare(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if r := rep.NotChecked[0].Reason; !strings.HasPrefix(r, "403 Forbidden; ") || !strings.Contains(r, "does not carry the delegated permission Policy.Read.All") || strings.Contains(r, "grant Policy.Read.All") {
		t.Errorf("delegated refusal: %q", r)
	}
}

// With a watch list, only watched drift is critical, and a kind that was
// not checked is critical only if it may hold watched objects.
func TestCompareWatch(t *testing.T) {
	for _, tc := range []struct {
		watch             string
		critical, other   []string
		uncheckedCritical []string
	}{
		{"kinds: [groups]\n", []string{"added groups New group"}, []string{"changed conditional-access-policies Require MFA"}, nil},
		{"paths: [conditional-access]\n", []string{"changed conditional-access-policies Require MFA"}, []string{"added groups New group"}, []string{"named-locations"}},
		{"objects: [\"conditional-access/named-locations/Office\"]\n", nil, []string{"added groups New group", "changed conditional-access-policies Require MFA"}, []string{"named-locations"}},
		{"kinds: [users]\n", nil, []string{"added groups New group", "changed conditional-access-policies Require MFA"}, nil},
	} {
		in := driftCase(t)
		w, err := ParseWatch([]byte(tc.watch))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Resolve(in.Index); err != nil {
			t.Fatal(err)
		}
		in.Watch, in.WatchFile = w, "watch.yaml"
		rep, err := Compare(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if got := changes(rep.Critical); !reflect.DeepEqual(got, tc.critical) {
			t.Errorf("%q: critical = %q, want %q", tc.watch, got, tc.critical)
		}
		if got := changes(rep.Other); !reflect.DeepEqual(got, tc.other) {
			t.Errorf("%q: other = %q, want %q", tc.watch, got, tc.other)
		}
		if got := rep.Unchecked; !reflect.DeepEqual(got, tc.uncheckedCritical) {
			t.Errorf("%q: unchecked critical = %q, want %q", tc.watch, got, tc.uncheckedCritical)
		}
	}
}

// The renderings carry the same report: JSON's flags and counts, text's
// sections and marks.
func TestRender(t *testing.T) {
	in := driftCase(t)
	in.Watch, _ = ParseWatch([]byte("kinds: [groups, named-locations]\n"))
	in.WatchFile = "w.yaml"
	rep, err := Compare(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.JSON(&b); err != nil {
		t.Fatal(err)
	}
	var js struct {
		Commit                string
		KindsCompared         int
		Drift, CriticalDrift  bool
		Critical, NotCritical struct{ Added, Changed int }
		NotChecked            []NotChecked
	}
	if err := json.Unmarshal(b.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if js.Commit != commit || js.KindsCompared != 2 || !js.Drift || !js.CriticalDrift || js.Critical.Added != 1 || js.NotCritical.Changed != 1 ||
		len(js.NotChecked) != 2 || !js.NotChecked[0].Critical || js.NotChecked[1].Critical {
		t.Errorf("json: %+v\n%s", js, b.String())
	}
	// The keys are an interface: CI jobs read them (JSON decoding in Go
	// ignores case, so compare the names as written).
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &keys); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range keys {
		got = append(got, k)
	}
	sort.Strings(got)
	if want := []string{"baseline", "commit", "critical", "criticalDrift", "drift", "kindsCompared", "notChecked", "notCritical", "notes", "tenantId", "watch"}; !reflect.DeepEqual(got, want) {
		t.Errorf("json keys = %q, want %q", got, want)
	}
	if !strings.Contains(b.String(), `"kind": "named-locations",`) || !strings.Contains(b.String(), `"critical": true`) {
		t.Errorf("json not-checked entries:\n%s", b.String())
	}
	b.Reset()
	if err := rep.Text(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Drift: HEAD (0123456789ab) → live tenant, 2 kinds compared", "CRITICAL drift (watched in w.yaml):", "not watched in w.yaml", "[watched]: 403 Forbidden"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := rep.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "#### Not checked") || !strings.Contains(b.String(), " (watched): 403 Forbidden") {
		t.Errorf("markdown:\n%s", b.String())
	}
}

// A delegated-only kind an app-only read skipped (feature rollout
// policies) is noted, not reported as unchecked drift nor as removed.
func TestCompareNotesDelegatedOnlySkip(t *testing.T) {
	in := driftCase(t)
	in.Live.Kinds = append(in.Live.Kinds, live.KindResult{Kind: "feature-rollout-policies", Skipped: "app-only"})
	rep, err := Compare(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, nc := range rep.NotChecked {
		if nc.Kind == "feature-rollout-policies" {
			t.Errorf("not checked: %+v", nc)
		}
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "feature rollout (staged rollout) policies are served by Graph to delegated callers only") {
		t.Errorf("notes: %q", rep.Notes)
	}
}

// drift's verdict on kinds it could not check: an error naming them only
// when no critical drift was found (critical drift is its own verdict),
// none when every kind that may hold critical drift was checked.
func TestUncheckedError(t *testing.T) {
	for _, tc := range []struct {
		rep  Report
		want string // "" for no error
	}{
		{Report{}, ""},
		{Report{Critical: &diff.Result{}}, ""},
		{Report{Critical: &diff.Result{}, Unchecked: []string{"named-locations", "applications"}},
			"no drift found, but named-locations, applications could not be checked (see above); fix the cause and run drift again"},
		{Report{Unchecked: []string{"groups"}}, "no drift found, but groups could not be checked (see above); fix the cause and run drift again"},
		{Report{Critical: &diff.Result{Changes: []diff.Change{{Kind: "groups"}}}, Unchecked: []string{"named-locations"}}, ""},
	} {
		err := tc.rep.UncheckedError()
		if got := fmt.Sprint(err); tc.want == "" && err != nil || tc.want != "" && got != tc.want {
			t.Errorf("%+v: UncheckedError() = %v, want %q", tc.rep, err, tc.want)
		}
	}
}

// A refusal the reader words itself (live.KindError.Worded: a role scoped
// to attribute sets, whose names are the tenant's) reaches the report, not
// only "permission denied": escaped in text and markdown, exact in JSON.
func TestCompareWordedRefusal(t *testing.T) {
	in := driftCase(t)
	why := "the signed-in user reads the attribute sets of attribute sets HR, Fin \"q\"\n\u202e<b>@team</b> [x](y) only; run it signed in as a user holding Attribute Definition Reader over the whole directory"
	in.Live.Kinds = append(in.Live.Kinds, live.KindResult{Kind: "attribute-sets", Reason: "list: permission denied",
		Err: &live.KindError{Kind: "attribute-sets", What: "list", Status: 403, Err: fmt.Errorf("%s", why)}})
	rep, err := Compare(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var text, md, js bytes.Buffer
	if err := rep.Text(&text, false); err != nil {
		t.Fatal(err)
	}
	if err := rep.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.JSON(&js); err != nil {
		t.Fatal(err)
	}
	if want := "  custom security attribute sets: list: permission denied; " + layout.Safe(why) + "\n"; !strings.Contains(text.String(), want) {
		t.Errorf("text lacks %q:\n%s", want, text.String())
	}
	if want := "- **custom security attribute sets**: list: permission denied; " + diff.MarkdownText(why) + "\n"; !strings.Contains(md.String(), want) || strings.Contains(md.String(), "<b>") {
		t.Errorf("markdown lacks %q:\n%s", want, md.String())
	}
	var out struct{ NotChecked []NotChecked }
	if err := json.Unmarshal(js.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if nc := out.NotChecked[len(out.NotChecked)-1]; nc.Kind != "attribute-sets" || nc.Reason != "list: permission denied; "+why || !nc.Critical {
		t.Errorf("json: %+v", nc)
	}
}

// An agreement whose files Graph now answers without their bytes
// ("fileData": null) is not drift when the baseline holds the same files
// (the next export keeps the baseline's PDFs: layout.SameDocuments), whether
// the baseline read them or kept them itself; a file whose properties
// changed is.
func TestCompareAgreementFilesWithoutBytes(t *testing.T) {
	const id = "7a0c4e21-3b5d-4f6e-8a91-2c3d4e5f6a01"
	k, _ := layout.Lookup("terms-of-use")
	file := func(lang, name string, data map[string]any) map[string]any {
		return map[string]any{"language": lang, "fileName": name, "isDefault": lang == "en-US", "isMajorVersion": false, "fileData": data}
	}
	im := func(lang string) layout.Image {
		im, err := k.NewItemImage(id, lang, []byte("%PDF-1.4\n"+lang+"\n%%EOF\n"))
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
	for _, c := range []struct {
		name string
		base []any
		want []string
	}{
		{"baseline read the bytes", []any{file("en-US", "en.pdf", im("en-US").Value()), file("de-DE", "de.pdf", im("de-DE").Value())}, nil},
		{"baseline kept them", []any{file("en-US", "en.pdf", layout.CarriedValue(im("en-US"))), file("de-DE", "de.pdf", layout.CarriedValue(im("de-DE")))}, nil},
		{"a file renamed since", []any{file("en-US", "en.pdf", im("en-US").Value()), file("de-DE", "old.pdf", im("de-DE").Value())}, []string{"changed terms-of-use Guest terms"}},
	} {
		base, tenant := files{}, files{}
		object(t, base, "terms-of-use", map[string]any{"id": id, "displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true, "files": c.base})
		object(t, tenant, "terms-of-use", map[string]any{"id": id, "displayName": "Guest terms", "isViewingBeforeAcceptanceRequired": true,
			"files": []any{file("en-US", "en.pdf", layout.NotReturnedValue()), file("de-DE", "de.pdf", layout.NotReturnedValue())}})
		rep, err := Compare(context.Background(), Input{Baseline: "HEAD", Commit: commit, Repo: base, Index: history.FromFiles(base),
			Manifest: &layout.Manifest{TenantID: "t", Kinds: map[string]layout.ManifestKind{"terms-of-use": {Complete: true, Objects: 1}}},
			Live:     &live.Live{TenantID: "t", Files: tenant, Kinds: []live.KindResult{{Kind: "terms-of-use", Complete: true}}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := append(changes(rep.Critical), changes(rep.Other)...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: drift %q, want %q", c.name, got, c.want)
		}
	}
}
