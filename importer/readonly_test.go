package importer

import (
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
)

// Graph returns info.logoUrl and verifiedPublisher but refuses them in a
// write: restore sends neither, on update and on recreate.
func TestRestoreNeverSendsReadOnlyNestedFields(t *testing.T) {
	for _, incident := range []string{"info changed", "purged"} {
		t.Run(incident, func(t *testing.T) {
			e := newEnv(t, graphsim.Options{}, nil)
			var app map[string]any
			for _, a := range e.list("/v1.0/applications") {
				if a["info"] != nil && len(e.list("/v1.0/servicePrincipals?$filter=appId eq '"+str(a["appId"])+"'")) == 1 {
					app = a
					break
				}
			}
			if app == nil {
				t.Fatal("no application with info and a service principal")
			}
			id := str(app["id"])
			sp := e.list("/v1.0/servicePrincipals?$filter=appId eq '" + str(app["appId"]) + "'")[0]
			sel := []string{id}
			switch incident {
			case "info changed":
				e.do("PATCH", "/v1.0/applications/"+id, map[string]any{"info": map[string]any{"marketingUrl": "https://evil.example"}})
			case "purged":
				sel = append(sel, str(sp["id"]))
				e.do("DELETE", "/v1.0/applications/"+id, nil)
				e.do("DELETE", "/v1.0/directory/deletedItems/"+id, nil)
				e.do("DELETE", "/v1.0/directory/deletedItems/"+str(sp["id"]), nil)
			}
			p := e.plan(e.first, sel, Options{})
			for _, a := range p.Actions {
				if s := string(a.Request.Body); strings.Contains(s, "logoUrl") || strings.Contains(s, "verifiedPublisher") {
					t.Errorf("action %s %s sends a read-only field: %s", a.ID, a.Request.Path, s)
				}
			}
			res := e.apply(p)
			if !res.Complete() {
				t.Fatalf("%+v\n%+v\nplan:\n%s", res.Actions, res.Differences, render(p))
			}
		})
	}
}

// Graph's organization update writes only the properties its page lists;
// a difference in any other is reported, never sent.
func TestOrganizationUpdateSendsOnlyItsUpdateList(t *testing.T) {
	const tid = "99999999-0000-4000-8000-000000000009"
	want := obj(t, "organization", tid, map[string]any{"id": tid, "displayName": "Contoso", "businessPhones": strs("+1 555 0100"),
		"preferredLanguage": "en", "technicalNotificationMails": strs("it@contoso.com")})
	live := obj(t, "organization", tid, map[string]any{"id": tid, "displayName": "Contoso", "businessPhones": strs("+1 555 0199"),
		"preferredLanguage": "fr", "technicalNotificationMails": strs("evil@example.com")})
	p := compute(t, input([]*Object{want}, []*Object{live}, nil))
	if len(p.Actions) != 1 {
		t.Fatalf("actions %+v", p.Actions)
	}
	if k := keysOf(bodyOf(t, p.Actions[0])); k != "technicalNotificationMails" {
		t.Errorf("PATCH sends %s, want technicalNotificationMails only", k)
	}
	if w := strings.Join(p.Actions[0].Warnings, "\n"); !strings.Contains(w, "businessPhones") || !strings.Contains(w, "preferredLanguage") {
		t.Errorf("warnings %q do not name the differences it cannot write", w)
	}
}
