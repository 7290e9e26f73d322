package permgen

import (
	"bytes"
	"go/format"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// fixture is a tiny permissions.json in the shape of
// microsoft-graph-devx-content permissions/new/permissions.json.
const fixture = `{
  "$schema": "https://example.invalid/schema.json",
  "permissions": {
    "User.Read.All": {
      "authorizationType": "oAuth2",
      "schemes": {"Application": {"adminDisplayName": "x"}},
      "pathSets": [
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["GET"],
         "paths": {"/users": "least=DelegatedWork,Application", "/users/{id}": "", "/users/delta": ""}},
        {"schemeKeys": ["Application"], "methods": ["PATCH"],
         "paths": {"/users/{id}/profile/notes/{id}": "least=Application"}}
      ]
    },
    "User.ReadWrite.All": {
      "pathSets": [
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["GET"], "paths": {"/users": ""}},
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["POST"], "paths": {"/users": "least=Application"}},
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["PATCH"], "paths": {"/users/{userId}": "least=Application"}}
      ]
    },
    "User.ReadBasic.All": {
      "pathSets": [
        {"schemeKeys": ["DelegatedWork"], "methods": ["GET"], "paths": {"/users/{id}/manager": "least=DelegatedWork"}}
      ]
    },
    "Directory.Read.All": {
      "pathSets": [
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["POST"],
         "paths": {"/directoryObjects/getByIds": "least=DelegatedWork,Application",
                   "/applications/{id}/owners/$ref": ""}},
        {"schemeKeys": ["Application"], "methods": ["GET"], "paths": {"/users": ""}}
      ]
    },
    "Directory.ReadWrite.All": {
      "pathSets": [
        {"schemeKeys": ["Application"], "methods": ["PATCH"], "paths": {"/users/{id}": ""}}
      ]
    },
    "Application.ReadWrite.All": {
      "pathSets": [
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["POST"],
         "paths": {"/applications(appId={value})/owners/$ref": "", "/applications/{id}/owners/$ref": "least=DelegatedWork,Application"}},
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["GET"],
         "paths": {"/applications(appId={value})": ""}}
      ]
    },
    "Policy.Read.All": {
      "pathSets": [
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["GET"],
         "paths": {"/identity/conditionalAccess/policies": "least=DelegatedWork,Application",
                   "/policies/authenticationStrengthPolicies/findByMethodMode(authenticationMethodModes={value})": "",
                   "/policies/roleManagementPolicies": "least=Application"}},
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["POST", "PATCH"],
         "paths": {"/identity/conditionalAccess/policies": "least=DelegatedWork,Application"}}
      ]
    },
    "Policy.ReadWrite.ConditionalAccess": {
      "pathSets": [
        {"schemeKeys": ["DelegatedWork", "Application"], "methods": ["POST"],
         "paths": {"/identity/conditionalAccess/policies": "AlsoRequires=Policy.Read.All"}}
      ]
    },
    "Policy.ReadWrite.AuthenticationMethod": {
      "pathSets": [
        {"schemeKeys": ["Application"], "methods": ["PATCH"],
         "paths": {"/policies/authenticationStrengthPolicies/{id}": "least=Application"}}
      ]
    },
    "Sites.Read.All": {
      "pathSets": [
        {"schemeKeys": ["Application"], "methods": ["GET"],
         "paths": {"/sites/{id}": "", "/users/{id}/drive/root:/{item-path}:": ""}}
      ]
    }
  }
}`

func buildFixture(t *testing.T) (map[string][]string, *Log) {
	t.Helper()
	rows, lg, err := Build(strings.NewReader(fixture))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	for i, r := range rows {
		if i > 0 && (rows[i-1].Path > r.Path || rows[i-1].Path == r.Path && rows[i-1].Method >= r.Method) {
			t.Errorf("rows not sorted at %s %s", r.Method, r.Path)
		}
		if !slices.IsSorted(r.Perms) {
			t.Errorf("%s %s: perms not sorted", r.Method, r.Path)
		}
		m[r.Method+" "+r.Path] = r.Perms
	}
	return m, lg
}

func TestBuildFixture(t *testing.T) {
	m, lg := buildFixture(t)
	want := map[string][]string{
		// every application permission, whatever least= says; ReadWrite
		// implied next to Read on reads (Directory.ReadWrite.All is a known
		// application permission in the fixture)
		"GET /users":      {"Directory.Read.All", "Directory.ReadWrite.All", "User.Read.All", "User.ReadWrite.All"},
		"GET /users/{id}": {"User.Read.All", "User.ReadWrite.All"},
		// literal function-like segments stay literal
		"GET /users/delta": {"User.Read.All", "User.ReadWrite.All"},
		"POST /users":      {"User.ReadWrite.All"},
		// {userId} → {id}, rows merged
		"PATCH /users/{id}": {"Directory.ReadWrite.All", "User.ReadWrite.All"},
		// read action keeps its read permission
		"POST /directoryobjects/getbyids": {"Directory.Read.All", "Directory.ReadWrite.All"},
		// key syntax → {id}; $ref dropped; Directory.Read.All dropped from the write
		"POST /applications/{id}/owners": {"Application.ReadWrite.All"},
		"GET /applications/{id}":         {"Application.ReadWrite.All"},
		// CA: Policy.Read.All dropped from writes, Policy.ReadWrite.ConditionalAccess ensured
		"GET /identity/conditionalaccess/policies":  {"Policy.Read.All"},
		"POST /identity/conditionalaccess/policies": {"Policy.ReadWrite.ConditionalAccess"},
		// PATCH on the collection only had Policy.Read.All: emptied and gone
		"PATCH /identity/conditionalaccess/policies": nil,
		// function call → name()
		"GET /policies/authenticationstrengthpolicies/findbymethodmode()": {"Policy.Read.All"},
		"PATCH /policies/authenticationstrengthpolicies/{id}":             {"Policy.ReadWrite.AuthenticationMethod"},
		// alias of the v1.0 auth strength path
		"PATCH /identity/conditionalaccess/authenticationstrength/policies/{id}": {"Policy.ReadWrite.AuthenticationMethod"},
		// overrides add rows the json lacks
		"POST /groups/{id}/members":                                     {"Directory.ReadWrite.All", "Group.ReadWrite.All", "GroupMember.ReadWrite.All"},
		"GET /directory/deleteditems/microsoft.graph.user":              {"Directory.Read.All", "Directory.ReadWrite.All", "User.Read.All", "User.ReadWrite.All"},
		"DELETE /identity/conditionalaccess/deleteditems/policies/{id}": {"Policy.ReadWrite.ConditionalAccess"},
		// served since PIM role settings (graphsim/pim.go): the fixture's row plus the overrides' application permissions
		"GET /policies/rolemanagementpolicies": {"Policy.Read.All", "RoleManagementPolicy.Read.Directory", "RoleManagementPolicy.ReadWrite.Directory"},
		// left out: delegated only, outside the served prefixes, drive paths,
		// write granted only by a read permission
		"GET /users/{id}/manager":                  nil,
		"GET /sites/{id}":                          nil,
		"GET /users/{id}/drive/root:/{id}:":        nil,
		"PATCH /users/{id}/profile/notes/{id}":     nil,
		"POST /applications/{id}/owners/$ref":      nil,
		"POST /applications(appid={value})":        nil,
		"GET /identity/conditionalAccess/policies": nil,
	}
	for k, w := range want {
		got, ok := m[k]
		if w == nil {
			if ok {
				t.Errorf("%s: unexpected row %v", k, got)
			}
			continue
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s = %v, want %v", k, got, w)
		}
	}
	if !slices.Contains(lg.DroppedRead, "POST /applications/{id}/owners Directory.Read.All") ||
		!slices.Contains(lg.EmptiedRows, "PATCH /identity/conditionalaccess/policies") {
		t.Errorf("log misses changes: %+v", lg)
	}
}

func TestGenerateDeterministicAndFormatted(t *testing.T) {
	a, _, err := Generate(strings.NewReader(fixture), "fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 { // map order differs between runs
		b, _, err := Generate(strings.NewReader(fixture), "fixture.json")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("output differs between runs")
		}
	}
	f, err := format.Source(a)
	if err != nil || !bytes.Equal(f, a) {
		t.Fatalf("output is not gofmt'ed (err %v)", err)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "table_gen.go", a, 0); err != nil {
		t.Fatal(err)
	}
	src := string(a)
	for _, s := range []string{
		"// Code generated by graphsim/perms/internal/gen from fixture.json; DO NOT EDIT.",
		"package perms",
		`{"POST", "/users", `,
		`{"GET", "/policies/authenticationstrengthpolicies/findbymethodmode()", `,
		`{"Policy.ReadWrite.ConditionalAccess"}`,
	} {
		if !strings.Contains(src, s) {
			t.Errorf("output lacks %q", s)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"permissions": {}}`} {
		if _, _, err := Build(strings.NewReader(in)); err == nil {
			t.Errorf("Build(%q) succeeded", in)
		}
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"/users":                    "/users",
		"/Groups/{id}/Members/$ref": "/groups/{id}/members",
		"/groups/{group-id}/members/{directoryObject-id}/$ref":                "/groups/{id}/members/{id}",
		"/applications(appId={value})/owners":                                 "/applications/{id}/owners",
		"/servicePrincipals(appId='{appId}')":                                 "/serviceprincipals/{id}",
		"/users/{id}/reminderView(startDateTime={value},endDateTime={value})": "/users/{id}/reminderview()",
		"/directory/deletedItems/microsoft.graph.user":                        "/directory/deleteditems/microsoft.graph.user",
		"/users/$count": "/users/$count",
	} {
		if got, ok := NormalizePath(in); !ok || got != want {
			t.Errorf("NormalizePath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"/users/{id}/drive/root:/{path}:", "/users//x", "/users/a{b}"} {
		if got, ok := NormalizePath(in); ok {
			t.Errorf("NormalizePath(%q) = %q, want left out", in, got)
		}
	}
}

func TestIsReadOnlyPermission(t *testing.T) {
	for p, want := range map[string]bool{
		"User.Read.All": true, "Policy.Read.ConditionalAccess": true, "User.ReadBasic.All": true,
		"Calendars.Read": true, "ChannelMember.ReadForTeam": true, "Mail.ReadSelectedForUser": true,
		"User.ReadWrite.All": false, "Policy.ReadWrite.ConditionalAccess": false, "User.ReadUpdate.All": false,
		"Group.Create": false, "User.DeleteRestore.All": false, "EduReports-Reading.ReadWrite.All": false,
	} {
		if got := IsReadOnlyPermission(p); got != want {
			t.Errorf("IsReadOnlyPermission(%q) = %v", p, got)
		}
	}
}

// TestOverridesWellFormed: overrides name normalized paths, methods in upper
// case, and never give a write to a read-only permission.
func TestOverridesWellFormed(t *testing.T) {
	for _, o := range Overrides {
		if norm, ok := NormalizePath(o.Path); !ok || norm != o.Path || !Served(o.Path) {
			t.Errorf("override %s %s: not a normalized served path", o.Method, o.Path)
		}
		if o.Method != strings.ToUpper(o.Method) || o.Reason == "" || len(o.Perms) == 0 {
			t.Errorf("override %s %s: bad method, reason or perms", o.Method, o.Path)
		}
		if IsWrite(o.Method) && !IsReadAction(o.Path) {
			for _, p := range o.Perms {
				if IsReadOnlyPermission(p) {
					t.Errorf("override %s %s: read-only %s on a write", o.Method, o.Path, p)
				}
			}
		}
	}
	for _, a := range Aliases {
		for _, p := range []string{a.Path, a.Source} {
			if norm, ok := NormalizePath(p); !ok || norm != p || !Served(p) {
				t.Errorf("alias %s: not a normalized served path", p)
			}
		}
	}
}
