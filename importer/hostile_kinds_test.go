package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

// hostileText is one class of hostile value: the first value goes to an
// object's first free-text field (its name), the second to the next ones.
type hostileText struct {
	name        string
	first, rest string
}

// hostileTexts are values a person with write access to one object (or a
// hand-edited file) can put in its free-text fields.
var hostileTexts = []hostileText{
	{"controls, CR and LF", "Ops\x01\x07\x08\x1b[31m\x7f\u0085\u009b\ufffe\r- delete Finance\r\n# Approved", "nul\x00 tab\t bell\x07 \uffff\r\nline two\n\nline four\r"},
	{"bidi overrides and YAML colon, dash, comment", "- item: Admins\u202egnp.exe\u202c \u2066x\u2069 \u200e\u200f\u061c # not a comment", ": \u202dover\u202a\u202b\u202c ride\u2067"},
	{"YAML alias, anchor, tag", "*alias", "&anchor !!binary AAAA # comment"},
	{"YAML look-alikes and Windows names", "null", "CON"},
	{"very long", strings.Repeat("Långt namn ", 23), strings.Repeat("Ünïcødé ", 120)},
	{"path-like", "../../../../etc/passwd", "a/b\\c/..\\..\\d nul..."},
}

// hostileTarget is a restorable kind with free-text fields, and how to set
// and read them.
type hostileTarget struct {
	kind   string
	fields []string // top-level string fields, the name first
	// max is Graph's documented length limit of a field, where smaller
	// than the long values (graphsim/limits.go).
	max map[string]int
	// pick chooses the object of the kind to change (default: the first
	// that restore may write).
	pick func(o *Object) bool
	// set and get replace the default field access (nested fields).
	set func(obj map[string]any, v []string)
	get func(e *env, k *layout.Kind, key string) []string
	// keep: the object is not deleted for the recreate (its create is
	// covered by TestRecreateOneObjectOfEveryCreatableKind).
	keep bool
}

// userFlowCustom is the user flow attribute assignment of the demo flow
// the hostile test renames (a custom attribute's assignment).
const userFlowCustom = "_PartnerCompany"

// hostileTargets are the restorable kinds with free-text fields: #13's
// and the earlier ones'.
var hostileTargets = []hostileTarget{
	{kind: "access-package-catalogs", fields: []string{"displayName", "description"},
		pick: func(o *Object) bool { return o.Data["displayName"] == "Contractor onboarding" }},
	{kind: "connected-organizations", fields: []string{"displayName", "description"}},
	{kind: "access-packages", fields: []string{"displayName", "description"}},
	{kind: "access-package-assignment-policies", fields: []string{"displayName", "description"}},
	{kind: "access-review-definitions", fields: []string{"displayName", "descriptionForAdmins", "descriptionForReviewers"}},
	{kind: "user-flow-attributes", fields: []string{"description"}},
	{kind: "custom-authentication-extensions", fields: []string{"displayName", "description"}},
	{kind: "branding", fields: []string{"signInPageText", "usernameHintText"},
		// organizationalBrandingProperties: usernameHintText "Max 64
		// characters", signInPageText "Max 1024 characters".
		max:  map[string]int{"usernameHintText": 64, "signInPageText": 1024},
		pick: func(o *Object) bool { return o.Key == "fr-FR" }},
	{kind: "user-flows", fields: []string{"userAttributeAssignments/displayName"},
		set: func(obj map[string]any, v []string) {
			for _, a := range asSlice(obj["userAttributeAssignments"]) {
				if m := a.(map[string]any); strings.HasSuffix(str(m["id"]), userFlowCustom) {
					m["displayName"] = v[0]
				}
			}
		},
		get: func(e *env, k *layout.Kind, key string) []string {
			for _, a := range e.list(ufColl + "/" + key + "/userAttributeAssignments") {
				if strings.HasSuffix(str(a["id"]), userFlowCustom) {
					return []string{str(a["displayName"])}
				}
			}
			return []string{"(no assignment of the custom attribute)"}
		}},
	// Kinds restore wrote before #13, with the free-text fields a person
	// edits (their limits: graphsim/limits.go).
	{kind: "users", fields: []string{"displayName", "jobTitle", "department"}, keep: true,
		max:  map[string]int{"displayName": 256, "jobTitle": 128, "department": 64},
		pick: func(o *Object) bool { return o.Data["userType"] != "Guest" },
		// jobTitle and department are returned only on $select (resources/user).
		get: func(e *env, k *layout.Kind, key string) []string {
			u := e.get(itemPath(k, key) + "?$select=displayName,jobTitle,department")
			return []string{str(u["displayName"]), str(u["jobTitle"]), str(u["department"])}
		}},
	{kind: "groups", fields: []string{"displayName", "description"}, max: map[string]int{"displayName": 256},
		pick: func(o *Object) bool {
			return !dynamicMembership(o.Data) && o.Data["isAssignableToRole"] != true && o.Data["mailEnabled"] != true && len(asSlice(o.Data["groupTypes"])) == 0
		}},
	{kind: "applications", fields: []string{"displayName", "description"}, keep: true, max: map[string]int{"displayName": 256, "description": 1024}},
	// Its recycle bin is closed to app-only tokens: deleted, it could not be purged.
	{kind: "conditional-access-policies", fields: []string{"displayName"}, keep: true},
	{kind: "named-locations", fields: []string{"displayName"}},
	{kind: "authentication-contexts", fields: []string{"displayName", "description"}},
	{kind: "administrative-units", fields: []string{"displayName", "description"}},
	// keep: graphsim lets a custom role with assignments be deleted and
	// keeps the assignments dangling (not what Graph does: see the report).
	{kind: "role-definitions", fields: []string{"displayName", "description"}, keep: true},
	{kind: "token-lifetime-policies", fields: []string{"displayName"}},
	{kind: "permission-grant-policies", fields: []string{"displayName", "description"}},
	{kind: "identity-providers", fields: []string{"displayName"}},
	// attributeSet: "description ... Can be up to 128 characters long".
	{kind: "attribute-sets", fields: []string{"description"}, max: map[string]int{"description": 128}},
}

// values are the values of t's fields for h, each cut to its field's limit.
func (tg hostileTarget) values(h hostileText) []string {
	out := make([]string, len(tg.fields))
	for i, f := range tg.fields {
		v := h.rest
		if i == 0 {
			v = h.first
		}
		if m := tg.max[f]; m > 0 && utf8.RuneCountInString(v) > m {
			v = string([]rune(v)[:m])
		}
		out[i] = v
	}
	return out
}

func (tg hostileTarget) setValues(obj map[string]any, v []string) {
	if tg.set != nil {
		tg.set(obj, v)
		return
	}
	for i, f := range tg.fields {
		obj[f] = v[i]
	}
}

// fileValues reads t's fields from an object as a file holds it.
func (tg hostileTarget) fileValues(obj map[string]any) []string {
	if tg.set != nil {
		for _, a := range asSlice(obj["userAttributeAssignments"]) {
			if m := a.(map[string]any); strings.HasSuffix(str(m["id"]), userFlowCustom) {
				return []string{str(m["displayName"])}
			}
		}
		return nil
	}
	out := make([]string, len(tg.fields))
	for i, f := range tg.fields {
		out[i] = str(obj[f])
	}
	return out
}

// liveValues reads t's fields from the tenant through Graph.
func (tg hostileTarget) liveValues(e *env, k *layout.Kind, key string) []string {
	if tg.get != nil {
		return tg.get(e, k, key)
	}
	return tg.fileValues(e.get(e.fillOrg(itemPath(k, key))))
}

// objectByKey finds the object of kind k with key in a snapshot.
func objectByKey(snap diff.Snapshot, k *layout.Kind, key string) *Object {
	for _, o := range snap {
		if o.Kind == k && strings.EqualFold(o.Key, key) {
			return o
		}
	}
	return nil
}

// Every restorable kind with a free-text field (#13's and the earlier
// ones') goes through the
// whole cycle with hostile values in its fields (controls, CR and LF,
// bidi overrides, YAML specials, very long and path-like values): the
// values are written to a file, planned from the files and applied (the
// plan and its markdown escaped), the post-restore export writes them
// exactly (a safe path, valid UTF-8), check accepts the repository, diff
// renders them escaped, and once the objects are deleted for good a
// restore from that snapshot creates them again with the exact values.
func TestHostileTextInEveryRestorableKind(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	wt := e.repo.WorkTree()
	ctx := context.Background()

	// The objects, by key (a recreated object's key follows the id map).
	keys := map[string]string{}
	snap := e.snapshotObjects("HEAD")
	byKind := objectsByKind(snap)
	for _, tg := range hostileTargets {
		k, ok := layout.Lookup(tg.kind)
		if !ok || k.ExportOnly != "" {
			t.Fatalf("%s is not a restorable kind", tg.kind)
		}
		for _, o := range byKind[tg.kind] {
			if candidate(k, o) && (tg.pick == nil || tg.pick(o)) {
				keys[tg.kind] = o.Key
				break
			}
		}
		if keys[tg.kind] == "" {
			t.Fatalf("the demo tenant has no %s to change", k.Title)
		}
	}

	for _, h := range hostileTexts {
		t.Run(h.name, func(t *testing.T) {
			outer := e.t
			e.t = t
			defer func() { e.t = outer }()
			git(t, wt, "reset", "-q", "--hard")
			git(t, wt, "clean", "-qfd")
			base := strings.TrimSpace(git(t, wt, "rev-parse", "HEAD"))
			snap := e.snapshotObjects("HEAD")

			// The files, edited (renamed where the name is in the path).
			for _, tg := range hostileTargets {
				k, _ := layout.Lookup(tg.kind)
				o := objectByKey(snap, k, keys[tg.kind])
				if o == nil {
					t.Fatalf("%s %s is not in the snapshot", tg.kind, keys[tg.kind])
				}
				obj, err := layout.Decode([]byte(e.readWT(o.Path)))
				if err != nil {
					t.Fatalf("%s: %v", o.Path, err)
				}
				tg.setValues(obj, tg.values(h))
				p, err := layout.Path(k, obj)
				if err != nil {
					t.Fatalf("%s: no path for the hostile values: %v", o.Path, err)
				}
				if pr := hostilePathProblem(p); pr != "" {
					t.Errorf("%s: unsafe path for the hostile values (%s): %q", tg.kind, pr, p)
				}
				if p != o.Path {
					git(t, wt, "mv", o.Path, p)
				}
				e.writeWT(p, string(layout.Encode(obj)))
			}

			// Planned from the files and applied.
			pl := e.mustPlanFiles(Files{From: "HEAD", Worktree: true}, Options{})
			if c := pl.Counts(); c[OpUpdate] != len(hostileTargets) || len(pl.Actions) != len(hostileTargets) {
				t.Fatalf("want %d updates: %v\n%s", len(hostileTargets), c, render(pl))
			}
			checkSafeText(t, "the plan", render(pl))
			var md bytes.Buffer
			if err := pl.Markdown(&md, MarkdownOptions{}); err != nil {
				t.Fatal(err)
			}
			checkSafeText(t, "the plan's markdown", strings.ReplaceAll(md.String(), "@\u200b", "@"))
			if res := e.apply(roundTrip(t, pl)); !res.Complete() {
				t.Fatalf("apply: %+v\n%+v\n%s", res.Actions, res.Differences, res.VerifyError)
			}
			git(t, wt, "reset", "-q", "--hard")
			git(t, wt, "clean", "-qfd")

			// The tenant holds the values exactly, and so do the files of
			// the post-restore snapshot.
			after := e.snapshotObjects("HEAD")
			for _, tg := range hostileTargets {
				k, _ := layout.Lookup(tg.kind)
				want := tg.values(h)
				if got := tg.liveValues(e, k, keys[tg.kind]); !equalStrings(got, want) {
					t.Errorf("%s in the tenant: %q, want %q", tg.kind, got, want)
				}
				o := objectByKey(after, k, keys[tg.kind])
				if o == nil {
					t.Errorf("%s %s is not in the post-restore snapshot", tg.kind, keys[tg.kind])
					continue
				}
				if got := tg.fileValues(o.Data); !equalStrings(got, want) {
					t.Errorf("%s in %s: %q, want %q", tg.kind, o.Path, got, want)
				}
				if pr := hostilePathProblem(o.Path); pr != "" {
					t.Errorf("%s: unsafe path (%s): %q", tg.kind, pr, o.Path)
				}
				data, err := e.repo.ReadAll(ctx, strings.TrimSpace(git(t, wt, "rev-parse", "HEAD")), o.Path)
				if err != nil {
					t.Fatal(err)
				}
				for p, b := range data {
					if !utf8.Valid(b) || bytes.ContainsFunc(b, func(r rune) bool {
						return r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0xfffe || r == 0xffff)
					}) {
						t.Errorf("%s holds raw bytes YAML cannot carry:\n%q", p, b)
					}
				}
			}

			// check accepts the repository; diff renders the values escaped.
			if ps, err := check.Problems(ctx, e.repo.Path()); err != nil || len(ps) > 0 {
				t.Errorf("check: %v\n%s", err, strings.Join(ps, "\n"))
			}
			before := e.snapshotObjects(base)
			d := diff.Compare(before, after, diff.NewNames(before, after))
			if d.Empty() {
				t.Error("diff finds no change")
			}
			var text, dmd bytes.Buffer
			if err := d.Text(&text, diff.RenderOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := d.Markdown(&dmd, diff.RenderOptions{}); err != nil {
				t.Fatal(err)
			}
			checkSafeText(t, "the diff", text.String())
			checkSafeText(t, "the diff's markdown", strings.ReplaceAll(dmd.String(), "@\u200b", "@"))
			for _, l := range strings.Split(text.String()+"\n"+dmd.String(), "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "# Approved") || strings.HasPrefix(l, "- delete Finance") {
					t.Errorf("a value starts a line of its own: %q", l)
				}
			}

			// Deleted for good, then created again from that snapshot.
			hostileRev := strings.TrimSpace(git(t, wt, "rev-parse", "HEAD"))
			var sel []string
			gone := map[string]*Object{}
			for i := len(hostileTargets) - 1; i >= 0; i-- { // what names others first
				tg := hostileTargets[i]
				k, _ := layout.Lookup(tg.kind)
				if tg.keep || !contains(creatableNames(), k.Name) {
					continue
				}
				o := objectByKey(after, k, keys[tg.kind])
				if err := e.purge(k, o); err != nil {
					t.Logf("%s %s not deleted (%v): its create is covered by TestRecreateOneObjectOfEveryCreatableKind", tg.kind, o.Key, err)
					continue
				}
				gone[tg.kind] = o
				sel = append(sel, o.Path)
			}
			if len(gone) < 4 {
				t.Fatalf("only %d objects could be deleted: %v", len(gone), sortedKeys(gone))
			}
			rp := e.plan(hostileRev, sel, Options{})
			checkSafeText(t, "the restore plan", render(rp))
			res := e.apply(rp)
			if !res.Complete() {
				t.Fatalf("restore: %+v\n%+v\n%s\n%s", res.Actions, res.Differences, res.VerifyError, render(rp))
			}
			var back []string
			for kind, o := range gone {
				tg := targetOf(kind)
				k, _ := layout.Lookup(kind)
				key := o.Key
				if n, ok := res.IDs.Resolve(o.Key); ok {
					key = n
				}
				keys[kind] = key
				if got, want := tg.liveValues(e, k, key), tg.values(h); !equalStrings(got, want) {
					t.Errorf("recreated %s: %q, want %q", kind, got, want)
				}
				back = append(back, kind)
			}
			sort.Strings(back)
			t.Logf("recreated: %s", strings.Join(back, ", "))
		})
	}
}

func targetOf(kind string) hostileTarget {
	for _, tg := range hostileTargets {
		if tg.kind == kind {
			return tg
		}
	}
	panic("no hostile target " + kind)
}

func creatableNames() []string {
	var out []string
	for _, k := range creatableKinds() {
		out = append(out, k.Name)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hostilePathProblem says what is unsafe about a repository path, or "".
func hostilePathProblem(p string) string {
	if !utf8.ValidString(p) {
		return "invalid UTF-8"
	}
	for _, c := range strings.Split(p, "/") {
		switch {
		case c == "" || c == "." || c == "..":
			return fmt.Sprintf("component %q", c)
		case strings.HasSuffix(c, ".") || strings.HasSuffix(c, " "):
			return fmt.Sprintf("trailing dot or space in %q", c)
		case len(c) > 255:
			return "component longer than 255 bytes"
		}
		for _, r := range c {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || strings.ContainsRune(`\:*?"<>|`, r) {
				return fmt.Sprintf("character %U in %q", r, c)
			}
		}
	}
	return ""
}

// A file of each kind of hostileTargets holding invalid UTF-8 in a free-text field is
// refused before anything is planned, naming the file and saying UTF-8.
func TestInvalidUTF8InAFreeTextFieldIsRefused(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	wt := e.repo.WorkTree()
	byKind := objectsByKind(e.snapshotObjects("HEAD"))
	for _, tg := range hostileTargets {
		t.Run(tg.kind, func(t *testing.T) {
			defer git(t, wt, "reset", "-q", "--hard")
			o := byKind[tg.kind][0]
			field := tg.fields[0]
			if tg.set != nil {
				field = "displayName"
			}
			s := e.readWT(o.Path)
			i := strings.Index(s, field+": \"")
			if i < 0 {
				t.Fatalf("%s holds no %s:\n%s", o.Path, field, s)
			}
			i += len(field) + 3
			e.writeWT(o.Path, s[:i]+"bad \xff\xfe "+s[i:])
			_, err := e.planFiles(Files{From: "HEAD", Worktree: true}, Options{})
			var fe *FilesError
			if !errors.As(err, &fe) {
				t.Fatalf("want the file refused, got %v", err)
			}
			checkSafeText(t, "the error", err.Error())
			if !strings.Contains(err.Error(), o.Path) || !strings.Contains(err.Error(), "UTF-8") {
				t.Errorf("the error does not name %s and UTF-8:\n%s", o.Path, err)
			}
		})
	}
}
