package live

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// TestReadAuditsWindow: ReadAudits returns the records of its window only,
// converted (actor, targets, JSON-text values); a token
// without AuditLog.Read.All gives an AuditUnavailableError.
func TestReadAuditsWindow(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{Profile: "empty", AuditLag: -1})
	srv := simtest.Serve(t, sim)
	c := simtest.Client(t, sim, srv, "")
	ctx := context.Background()
	start := sim.Clock().Now()
	var ids []string
	for i := 0; i < 3; i++ {
		sim.Clock().Advance(time.Minute)
		resp, err := c.Post(ctx, "/v1.0/groups", map[string]any{"displayName": "G" + string(rune('a'+i)), "mailNickname": "g" + string(rune('a'+i)),
			"mailEnabled": false, "securityEnabled": true})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strings.Split(resp.Header.Get("Location"), "/")[len(strings.Split(resp.Header.Get("Location"), "/"))-1])
	}
	// The window holds the 2nd and 3rd creations.
	recs, err := ReadAudits(ctx, c, start.Add(90*time.Second), sim.Clock().Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2: %+v", len(recs), recs)
	}
	for _, r := range recs {
		if r.Activity != "Add group" || r.Actor.Type != "app" || r.Actor.Name != "graphsim" || len(r.Targets) != 1 || r.Targets[0].Type != "Group" {
			t.Errorf("record %+v", r)
		}
		if r.Names(ids[0]) {
			t.Errorf("the first group's record is outside the window: %+v", r)
		}
		found := false
		for _, p := range r.Targets[0].Properties {
			if p.Name == "securityEnabled" && p.New == "[true]" && p.Old == "[]" {
				found = true
			}
		}
		if !found {
			t.Errorf("securityEnabled [] → [true] not among %+v", r.Targets[0].Properties)
		}
	}
	// Without the permission.
	deny := simtest.Client(t, sim, simtest.Serve(t, simtest.Denying(sim, "auditLogs")), "")
	_, err = ReadAudits(ctx, deny, start, sim.Clock().Now())
	var ue *AuditUnavailableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "AuditLog.Read.All") {
		t.Errorf("403: %v, want an AuditUnavailableError naming AuditLog.Read.All", err)
	}
}

// TestAuditRecordUserWithApp: a record whose initiatedBy names both a user
// and an app (Graph's type allows both; its documented records of a
// user's change have "app": null) keeps the app's name next to the user,
// and the attribution line shows it; with "app": null it shows the user
// alone.
func TestAuditRecordUserWithApp(t *testing.T) {
	for _, c := range []struct{ app, want string }{
		{`{"appId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "displayName": "Azure Portal", "servicePrincipalId": null}`, "changed by alice@contoso.com (Azure Portal), "},
		{`null`, "changed by alice@contoso.com, "},
	} {
		var a graphAudit
		raw := `{"id": "Directory_1", "activityDateTime": "2026-12-06T14:02:00Z", "activityDisplayName": "Update conditional access policy", "result": "success",
			"initiatedBy": {"user": {"id": "u1", "displayName": "Alice", "userPrincipalName": "alice@contoso.com"}, "app": ` + c.app + `}}`
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			t.Fatal(err)
		}
		r, ok := a.record()
		if !ok || r.Actor.Type != "user" || !strings.HasPrefix(r.Describe(), c.want) {
			t.Errorf("app %s: %q (%+v), want it to start %q", c.app, r.Describe(), r.Actor, c.want)
		}
	}
}
