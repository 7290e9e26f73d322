package importer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// A live group whose name repaints its own deletion as a harmless update:
// the plan still reads "- delete", with the name escaped.
func TestRenderEscapesHostileNames(t *testing.T) {
	keep := obj(t, "groups", gA, map[string]any{"displayName": "Keep", "securityEnabled": true, "mailEnabled": false, "mailNickname": "keep"})
	evil := obj(t, "groups", gB, map[string]any{"displayName": "Temp\x1b[2K\r  \x1b[33m~ update\x1b[0m Keep \u202eevil", "securityEnabled": true,
		"mailEnabled": false, "mailNickname": "evil"})
	p := compute(t, input([]*Object{keep}, []*Object{keep, evil}, func(in *Input) { in.Selection.Kinds = []string{"groups"} }))
	var buf bytes.Buffer
	if err := p.Render(&buf, RenderOptions{Requests: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"\x1b", "\r", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("plan holds %q raw:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `- delete Temp\x1b[2K\r  \x1b[33m~ update\x1b[0m Keep \u202eevil (bbbbbbbb…)`) {
		t.Errorf("the deletion is not shown as one, with the name escaped:\n%s", out)
	}
}

// A plan with nothing to write does not claim the tenant matches when it
// still has something to say (a membership left to its rule, a removal
// kept, an incomplete kind).
func TestRenderNothingToWriteIsNotAMatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Plan
		want string
	}{
		{"settled", Plan{}, "The tenant already matches the snapshot"},
		{"a warning", Plan{Warnings: []string{"group X: membership is managed by the membership rule"}}, "Nothing to write; what still differs is listed below"},
		{"a removal kept", Plan{Kept: []Kept{{Kind: "groups", Key: "k", Name: "G", Relationship: "members", Target: "t"}}}, "Nothing to write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			tc.p.Live = map[string]string{}
			if err := tc.p.Render(&b, RenderOptions{}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.want) {
				t.Errorf("plan renders:\n%s\nwant %q", b.String(), tc.want)
			}
			if tc.name != "settled" && strings.Contains(b.String(), "already matches") {
				t.Errorf("a plan with notes says the tenant matches:\n%s", b.String())
			}
		})
	}
}

// Render's formats: text escapes a hostile name, json is the plan file's
// content (Encode) with the name exact, another format is refused. The
// result of applying it renders the same two ways (Report, WriteJSON), and
// its progress is lines on the writer for text and nothing for json.
func TestPlanAndResultRenderFormats(t *testing.T) {
	name := "Pol\"icy\nX\x1b[31m\u202eevil\u200f😀../" + strings.Repeat("long", 80)
	plan := &Plan{Actions: []Action{{ID: "a1", Op: OpAddLink, Kind: "groups", Name: name, Relationship: "members", Target: "u1"}},
		Names: map[string]string{"u1": name}, Live: map[string]string{}}
	unsafe := []string{"\x1b", "\u202e", "\u200f", "Pol\"icy\nX"}
	var text bytes.Buffer
	if err := plan.Render(&text, RenderOptions{Format: "text"}); err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := plan.Render(&js, RenderOptions{Format: "json", Color: true, Requests: true}); err != nil {
		t.Fatal(err)
	}
	enc, err := plan.Encode()
	if err != nil || js.String() != string(enc) {
		t.Errorf("json is not Encode's (%v):\n%s", err, js.String())
	}
	var back Plan
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Actions) != 1 || back.Actions[0].Name != name {
		t.Errorf("json does not keep the name exactly (%v)", err)
	}
	if err := plan.Render(&bytes.Buffer{}, RenderOptions{Format: "markdown"}); err == nil || !strings.Contains(err.Error(), `"markdown"`) {
		t.Errorf("format markdown: err = %v", err)
	}

	res := &Result{Actions: []ActionResult{{ID: "a1", Op: OpAddLink, Status: StatusFailed, Error: name}}, IDs: NewIDMap()}
	var report, reportText bytes.Buffer
	if err := res.Render(&report, plan, "text"); err != nil {
		t.Fatal(err)
	}
	if res.Report(&reportText, plan); report.String() != reportText.String() {
		t.Errorf("result text is not Report's:\n%s", report.String())
	}
	var progress bytes.Buffer
	if step := plan.ApplyProgress(&progress, "text"); step == nil {
		t.Fatal("no text progress")
	} else {
		step(res.Actions[0])
	}
	if !strings.HasPrefix(progress.String(), "\nChecking the plan against the tenant, then applying 1 actions...\n") || !strings.Contains(progress.String(), "[a1]") {
		t.Errorf("text progress:\n%s", progress.String())
	}
	for _, out := range []string{text.String(), report.String(), progress.String()} {
		for _, bad := range unsafe {
			if strings.Contains(out, bad) {
				t.Errorf("text holds %q raw:\n%s", bad, out)
			}
		}
	}
	if !strings.Contains(text.String(), layout.Safe(name)) {
		t.Errorf("plan text lacks the escaped name:\n%s", text.String())
	}
	var quiet bytes.Buffer
	if plan.ApplyProgress(&quiet, "json") != nil || quiet.Len() != 0 {
		t.Errorf("json progress wrote %q", quiet.String())
	}
	var doc, direct bytes.Buffer
	if err := res.Render(&doc, plan, "json"); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteJSON(&direct, plan); err != nil || doc.String() != direct.String() {
		t.Errorf("result json is not WriteJSON's (%v)", err)
	}
	if err := res.Render(&bytes.Buffer{}, plan, "yaml"); err == nil {
		t.Error("result format yaml: no error")
	}
}

// Review is the one rule restore and apply share for showing a plan
// before it is saved or applied: text always; JSON alone unless the plan
// is applied, when the result carries it: after a question on a terminal,
// the plan goes there as text, and standard output stays one document.
func TestReviewShowsThePlanUnlessTheResultCarriesIt(t *testing.T) {
	keep := obj(t, "groups", gA, map[string]any{"displayName": "Keep", "securityEnabled": true, "mailEnabled": false, "mailNickname": "keep"})
	extra := obj(t, "groups", gB, map[string]any{"displayName": "Extra \"q\"\n\u200f🙂", "securityEnabled": true, "mailEnabled": false, "mailNickname": "extra"})
	full := compute(t, input([]*Object{keep}, []*Object{keep, extra}, func(in *Input) { in.Selection.Kinds = []string{"groups"} }))
	empty := compute(t, input([]*Object{keep}, []*Object{keep}, func(in *Input) { in.Selection.Kinds = []string{"groups"} }))
	if full.Empty() || !empty.Empty() {
		t.Fatalf("set-up: want one plan with actions and one without (%d, %d actions)", len(full.Actions), len(empty.Actions))
	}
	for _, tc := range []struct {
		name                 string
		p                    *Plan
		format               string
		saved, noAsk, prompt bool
		want, wantPrompt     string // "text", "json" or "" (nothing)
	}{
		{"text, asked", full, layout.FormatText, false, false, false, "text", ""},
		{"text, asked on a terminal", full, layout.FormatText, false, false, true, "text", ""},
		{"text, --yes", full, layout.FormatText, false, true, false, "text", ""},
		{"text, --out", full, "", true, false, false, "text", ""},
		{"json, no terminal to ask: the plan alone, then refused", full, layout.FormatJSON, false, false, false, "json", ""},
		{"json, asked on a terminal: the result carries it", full, layout.FormatJSON, false, false, true, "", "text"},
		{"json, --out", full, layout.FormatJSON, true, true, false, "json", ""},
		{"json, --out on a terminal", full, layout.FormatJSON, true, false, true, "json", ""},
		{"json, --yes: the result carries it", full, layout.FormatJSON, false, true, false, "", ""},
		{"json, --yes, nothing to do", empty, layout.FormatJSON, false, true, false, "json", ""},
		{"json, asked on a terminal, nothing to do", empty, layout.FormatJSON, false, false, true, "json", ""},
	} {
		var buf, prompt bytes.Buffer
		o := ReviewOptions{RenderOptions: RenderOptions{Format: tc.format}, Saved: tc.saved, Unprompted: tc.noAsk}
		if tc.prompt {
			o.Prompt = &prompt
		}
		if err := tc.p.Review(&buf, o); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, got := range []struct {
			where, want string
			buf         *bytes.Buffer
		}{{"standard output", tc.want, &buf}, {"the prompt's stream", tc.wantPrompt, &prompt}} {
			out := got.buf.String()
			switch got.want {
			case "":
				if out != "" {
					t.Errorf("%s: want nothing on %s, got:\n%s", tc.name, got.where, out)
				}
			case "json":
				var back Plan
				if err := json.Unmarshal(got.buf.Bytes(), &back); err != nil || len(back.Actions) != len(tc.p.Actions) {
					t.Errorf("%s: want the plan as JSON with %d actions on %s (err %v):\n%s", tc.name, len(tc.p.Actions), got.where, err, out)
				}
			case "text":
				if !strings.Contains(out, "Restore plan for tenant") || !strings.Contains(out, `Extra "q"\n\u200f🙂`) {
					t.Errorf("%s: want the text plan with the name escaped on %s:\n%s", tc.name, got.where, out)
				}
			}
		}
	}
}
