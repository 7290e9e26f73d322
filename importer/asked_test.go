package importer

import (
	"context"
	"strings"
	"testing"
)

// TestAskedCheck: the restore command's flag combinations are decided
// here, each refusal naming the flags (cmd/entrasnap prints them as usage
// errors, exit 64).
func TestAskedCheck(t *testing.T) {
	ok := CAStateReportOnly
	for _, tc := range []struct {
		name string
		a    Asked
		want string // "" accepted
	}{
		{"snapshot", Asked{At: "HEAD", Selectors: []string{"x"}, CAState: string(ok)}, ""},
		{"all", Asked{At: "HEAD", All: true, CAState: string(CAStateAsIs)}, ""},
		{"no at", Asked{Selectors: []string{"x"}, CAState: string(ok)}, "--at is required"},
		{"no selector", Asked{At: "HEAD", CAState: string(ok)}, "at least one SELECTOR"},
		{"bad ca-state", Asked{At: "HEAD", All: true, CAState: "off"}, `--ca-state "off": want report-only or as-is`},
		{"changed", Asked{Changed: "a..b", CAState: string(ok), AllowDeletes: true}, ""},
		{"worktree", Asked{Worktree: true, CAState: string(ok)}, ""},
		{"both sources", Asked{Changed: "a..b", Worktree: true, CAState: string(ok)}, "two sources of files"},
		{"files with at", Asked{Worktree: true, At: "HEAD", CAState: string(ok)}, "give no --at, SELECTOR or --all"},
		{"files with all", Asked{Changed: "a..b", All: true, CAState: string(ok)}, "give no --at, SELECTOR or --all"},
		{"allow-deletes alone", Asked{At: "HEAD", All: true, AllowDeletes: true, CAState: string(ok)}, "--allow-deletes goes with --changed"},
		{"three dots", Asked{Changed: "a...b", CAState: string(ok)}, "--changed \"a...b\": give two revisions"},
		{"files bad ca-state", Asked{Worktree: true, CAState: ""}, "--ca-state"},
	} {
		err := tc.a.Check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want accepted", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestAskedFiles(t *testing.T) {
	if f := (Asked{At: "HEAD"}).Files(); f != nil {
		t.Errorf("a snapshot's restore has Files %+v, want nil", f)
	}
	if f := (Asked{Worktree: true}).Files(); f == nil || f.From != "HEAD" || !f.Worktree {
		t.Errorf("--worktree: Files %+v, want From HEAD, Worktree", f)
	}
	if f := (Asked{Changed: "origin/main..topic"}).Files(); f == nil || f.From != "origin/main" || f.To != "topic" || f.Worktree {
		t.Errorf("--changed: Files %+v, want origin/main to topic", f)
	}
}

// TestNameConfirmation: a whole-tenant rollback, and a plan from files
// deleting more than MassDeleteLimit objects, need the tenant's name;
// MassDeleteLimit deletes, or any number from a snapshot's plan, do not.
func TestNameConfirmation(t *testing.T) {
	deletes := func(n int, files bool) *Plan {
		p := &Plan{}
		for range n {
			p.Actions = append(p.Actions, Action{Op: OpDelete})
		}
		p.Actions = append(p.Actions, Action{Op: OpUpdate})
		if files {
			p.Files = &Files{From: "a", To: "b"}
		}
		return p
	}
	in := &Input{TenantID: "t1", Live: map[string]map[string]*Object{"organization": {"t1": {Data: map[string]any{"displayName": "  Contoso Ltd "}}}}}
	for _, tc := range []struct {
		name        string
		a           Asked
		plan        *Plan
		want        string
		wantDeletes int
	}{
		{"all", Asked{At: "snap-1", All: true}, deletes(50, false), "This rolls back the whole tenant t1 to snap-1.", 0},
		{"snapshot deletes", Asked{At: "HEAD", Selectors: []string{"users"}}, deletes(50, false), "", 0},
		{"files at the limit", Asked{Worktree: true}, deletes(MassDeleteLimit, true), "", 0},
		{"files over the limit", Asked{Worktree: true}, deletes(MassDeleteLimit+1, true), "This deletes 11 objects from tenant t1.", 11},
	} {
		what, n := tc.a.NameConfirmation(tc.plan, in)
		if what != tc.want || n != tc.wantDeletes {
			t.Errorf("%s: (%q, %d), want (%q, %d)", tc.name, what, n, tc.want, tc.wantDeletes)
		}
	}
	// apply loads nothing to confirm a saved plan with (nil client and
	// repository) unless it is one from files over the limit.
	for _, p := range []*Plan{deletes(50, false), deletes(MassDeleteLimit, true)} {
		if in, err := p.SavedInput(context.Background(), nil, nil); in != nil || err != nil {
			t.Errorf("SavedInput of %d deletes (files %v): %v, %v; want nothing to confirm", len(p.Actions)-1, p.Files != nil, in, err)
		}
	}
	for typed, want := range map[string]bool{"contoso ltd": true, " Contoso Ltd\n": true, "Contoso": false, "t1": false, "": false} {
		if in.IsTenantName(typed) != want {
			t.Errorf("IsTenantName(%q) = %v, want %v", typed, !want, want)
		}
	}
}

// TestConfirm: the confirmation rules of a restore, prompt by prompt. A
// name is asked before "yes"; without a terminal (ask nil) nothing is
// asked and only --yes and --confirm-tenant confirm; a cancelled prompt
// stops it. Every refusal says nothing was written.
func TestConfirm(t *testing.T) {
	in := &Input{TenantID: "t1", Live: map[string]map[string]*Object{"organization": {"t1": {Data: map[string]any{"displayName": "Contoso"}}}}}
	small := &Plan{Actions: []Action{{Op: OpUpdate}}}
	outside := &Plan{Actions: []Action{{Op: OpUpdate}}, SignedIn: "helpdesk@contoso.com",
		OutOfScope: []ScopeNote{{Kind: "users", Name: "Adele Adams", Action: "update", Reason: "not in administrative unit Helpdesk-EU"}}}
	mass := &Plan{Files: &Files{From: "a", To: "b"}}
	for range MassDeleteLimit + 2 {
		mass.Actions = append(mass.Actions, Action{Op: OpDelete})
	}
	type answer struct {
		line string
		ok   bool
	}
	for _, tc := range []struct {
		name    string
		a       Asked
		plan    *Plan
		tty     bool
		answers []answer
		prompts int
		want    string // "" goes ahead
	}{
		{"yes flag", Asked{At: "HEAD", Yes: true}, small, false, nil, 0, ""},
		{"no terminal", Asked{At: "HEAD"}, small, false, nil, 0, "standard input is not a terminal"},
		{"typed yes", Asked{At: "HEAD"}, small, true, []answer{{"yes", true}}, 1, ""},
		{"typed y", Asked{At: "HEAD"}, small, true, []answer{{"y", true}}, 1, "restore cancelled, nothing was written"},
		{"ctrl-c", Asked{At: "HEAD"}, small, true, []answer{{"", false}}, 1, "cancelled at the prompt"},
		{"all, no terminal", Asked{At: "HEAD", All: true, Yes: true}, small, false, nil, 0, `--all needs the tenant's name: run on a terminal, or add --confirm-tenant "Contoso"`},
		{"all, flag", Asked{At: "HEAD", All: true, Yes: true, ConfirmTenant: " contoso "}, small, false, nil, 0, ""},
		{"all, wrong flag", Asked{At: "HEAD", All: true, Yes: true, ConfirmTenant: "Fabrikam"}, small, true, nil, 0, `--confirm-tenant "Fabrikam" is not the name`},
		{"all, typed", Asked{At: "HEAD", All: true}, small, true, []answer{{"CONTOSO", true}, {"yes", true}}, 2, ""},
		{"all, typed wrong", Asked{At: "HEAD", All: true}, small, true, []answer{{"Fabrikam", true}}, 1, "the name does not match"},
		{"all, ctrl-c at the name", Asked{At: "HEAD", All: true}, small, true, []answer{{"", false}}, 1, "cancelled at the prompt"},
		{"mass delete, no terminal", Asked{Worktree: true, Yes: true}, mass, false, nil, 0, "the plan deletes 12 objects (more than 10)"},
		{"mass delete, typed", Asked{Worktree: true, Yes: true}, mass, true, []answer{{"Contoso", true}}, 1, ""},
		// Refused before any prompt: apply would refuse it after the "yes".
		{"out of scope, terminal", Asked{At: "HEAD"}, outside, true, nil, 0, "users/Adele Adams: not in administrative unit Helpdesk-EU"},
		{"out of scope, yes flag", Asked{At: "HEAD", Yes: true}, outside, false, nil, 0, "outside what helpdesk@contoso.com may change"},
	} {
		var ask func(string) (string, bool)
		prompts := 0
		if tc.tty {
			ask = func(prompt string) (string, bool) {
				if prompts >= len(tc.answers) {
					t.Fatalf("%s: unexpected prompt %q", tc.name, prompt)
				}
				a := tc.answers[prompts]
				prompts++
				return a.line, a.ok
			}
		}
		err := tc.a.Confirm(tc.plan, in, ask)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want to go ahead", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was written")):
			t.Errorf("%s: %v, want %q and nothing was written", tc.name, err, tc.want)
		}
		if prompts != tc.prompts {
			t.Errorf("%s: %d prompts, want %d", tc.name, prompts, tc.prompts)
		}
		// Asks (Review shows the plan beside a question when it is true)
		// says whether a terminal gets a question; a plan outside the
		// user's scope is refused before any.
		if asks := tc.a.Asks(tc.plan, in); tc.tty && len(tc.plan.OutOfScope) == 0 && asks != (tc.prompts > 0) {
			t.Errorf("%s: Asks = %v, but the terminal got %d prompts", tc.name, asks, tc.prompts)
		}
	}
}
