package diff

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/internal/golden"
	"github.com/entrasnap/entrasnap/layout"
)

// TestRenderAttribution: who changed it under each change, as the history
// commands pass it (layout.ChangeRecord.Describe), with an actor whose
// name tries to forge lines, recolour the terminal and inject markdown.
func TestRenderAttribution(t *testing.T) {
	res := hostileScenario(t)
	at := time.Date(2026, 12, 6, 14, 2, 0, 0, time.UTC)
	alice := layout.ChangeRecord{ID: "a", Time: at, Activity: "Update conditional access policy",
		Actor: layout.ChangeActor{Type: "user", UserPrincipalName: "alice@contoso.com", App: "Azure portal"}}
	evil := layout.ChangeRecord{ID: "b", Time: at.Add(time.Minute), Activity: "Delete group\n  ~ changed forged",
		Actor: layout.ChangeActor{Type: "app", Name: "Evil\x1b[31m\u202e **bold** @acme/team <img src=x>\r\n", AppID: "9068f9d3-9dc1-4788-8acb-7c7480bcc156"}}
	who := func(c Change) []string {
		switch c.Kind {
		case "conditional-access-policies":
			return []string{alice.Describe()}
		case "groups":
			if c.Action == Removed {
				return []string{evil.Describe()}
			}
		}
		return []string{"no audit record (older than the audit log's retention)"}
	}
	var txt, md bytes.Buffer
	if err := res.Text(&txt, RenderOptions{Title: "a → b", Attribution: who}); err != nil {
		t.Fatal(err)
	}
	if err := res.Markdown(&md, RenderOptions{Title: "a → b", Attribution: who}); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{txt.String(), md.String()} {
		for _, bad := range []string{"\x1b", "\r", "\u202e", "\n  ~ changed forged"} {
			if strings.Contains(out, bad) {
				t.Errorf("output holds %q raw:\n%s", bad, out)
			}
		}
	}
	for _, bad := range []string{"<img", "**bold**", "@acme/team"} {
		if strings.Contains(md.String(), bad) {
			t.Errorf("markdown holds %q unescaped:\n%s", bad, md.String())
		}
	}
	if !strings.Contains(txt.String(), "      changed by alice@contoso.com (Azure portal), 2026-12-06 14:02 UTC, Update conditional access policy\n") {
		t.Errorf("text does not say who changed the policy:\n%s", txt.String())
	}
	golden.Check(t, "attribution.txt", txt.Bytes())
	golden.Check(t, "attribution.md", md.Bytes())
}
