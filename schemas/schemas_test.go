package schemas

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"
)

// wantKinds are kinds the product must have a schema for (the layout
// catalog may add more; every one of them is checked by TestEveryKindCompiles).
var wantKinds = []string{
	"users", "groups", "conditional-access-policies", "named-locations", "applications",
	"service-principals", "authentication-method-configurations", "role-assignments",
	"cross-tenant-access-partners", "group-settings",
}

func TestEveryKindCompiles(t *testing.T) {
	kinds := Kinds()
	for _, k := range wantKinds {
		if !contains(kinds, k) {
			t.Errorf("Kinds() lacks %q: %v", k, kinds)
		}
	}
	for _, k := range kinds {
		s, err := For(k)
		if err != nil {
			t.Errorf("For(%q): %v", k, err)
			continue
		}
		if s.Kind() != k || len(s.JSON()) == 0 {
			t.Errorf("For(%q) = kind %q, %d bytes", k, s.Kind(), len(s.JSON()))
		}
		if again, _ := For(k); again != s {
			t.Errorf("For(%q) compiled twice", k)
		}
	}
	if _, err := For("no-such-kind"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("For(no-such-kind) = %v, want ErrUnknownKind", err)
	}
	if _, err := For("../generated/users"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("For(path) = %v, want ErrUnknownKind", err)
	}
}

// fixtures reads testdata/valid: <kind>.yaml or <kind>.<variant>.yaml.
func fixtures(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	out := map[string]map[string]any{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(raw, &obj); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = obj
	}
	return out
}

func kindOf(fixture string) string { k, _, _ := strings.Cut(fixture, "."); return k }

func fixture(t *testing.T, name string) map[string]any {
	t.Helper()
	obj, ok := fixtures(t)[name]
	if !ok {
		t.Fatalf("no fixture %s", name)
	}
	return obj
}

func TestRealisticObjectsValidate(t *testing.T) {
	have := map[string]bool{}
	for name, obj := range fixtures(t) {
		kind := kindOf(name)
		have[kind] = true
		s, err := For(kind)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := s.Validate(obj); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, k := range Kinds() {
		if !have[k] {
			t.Errorf("no realistic object in testdata/valid for kind %s", k)
		}
	}
}

// set assigns v at a dotted path of obj, creating objects on the way;
// "name[i]" indexes arrays.
func set(t *testing.T, obj map[string]any, path string, v any) {
	t.Helper()
	var cur any = obj
	// An annotation ("a.b@odata.context") is one key: split before it only.
	var segs []string
	if at := strings.IndexByte(path, '@'); at >= 0 {
		dot := strings.LastIndexByte(path[:at], '.')
		if dot >= 0 {
			segs = strings.Split(path[:dot], ".")
		}
		segs = append(segs, path[dot+1:])
	} else {
		segs = strings.Split(path, ".")
	}
	for i, seg := range segs {
		name, idx := seg, -1
		if j := strings.IndexByte(seg, '['); j >= 0 {
			name = seg[:j]
			n, err := atoi(strings.TrimSuffix(seg[j+1:], "]"))
			if err != nil {
				t.Fatal(err)
			}
			idx = n
		}
		m := cur.(map[string]any)
		last := i == len(segs)-1
		if idx < 0 {
			if last {
				m[name] = v
				return
			}
			if _, ok := m[name].(map[string]any); !ok {
				m[name] = map[string]any{}
			}
			cur = m[name]
			continue
		}
		arr := m[name].([]any)
		if last {
			arr[idx] = v
			return
		}
		cur = arr[idx]
	}
}

func TestValidationFailures(t *testing.T) {
	cases := []struct {
		name, fixture, path string
		value               any
		del                 bool
		wantPath, wantMsg   string
	}{
		{name: "unknown property", fixture: "users", path: "favoriteColor", value: "blue",
			wantPath: "favoriteColor", wantMsg: "unknown property"},
		{name: "wrong type", fixture: "users", path: "accountEnabled", value: "yes",
			wantPath: "accountEnabled", wantMsg: "expected boolean"},
		{name: "secret text", fixture: "applications", path: "passwordCredentials[0].secretText", value: "Y~nZ...secret",
			wantPath: "passwordCredentials[0].secretText", wantMsg: "secret"},
		{name: "key material", fixture: "service-principals", path: "keyCredentials[0].key", value: "MIIC...",
			wantPath: "keyCredentials[0].key", wantMsg: "secret"},
		{name: "password profile", fixture: "users", path: "passwordProfile", value: map[string]any{"forceChangePasswordNextSignIn": true},
			wantPath: "passwordProfile", wantMsg: "secret"},
		{name: "volatile", fixture: "users", path: "signInActivity", value: map[string]any{},
			wantPath: "signInActivity", wantMsg: "volatile"},
		{name: "id only", fixture: "conditional-access-policies", path: "grantControls.authenticationStrength.modifiedDateTime",
			value: "2021-12-01T00:00:00Z", wantPath: "grantControls.authenticationStrength.modifiedDateTime", wantMsg: "id only"},
		{name: "odata context", fixture: "users", path: "@odata.context", value: "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
			wantPath: "@odata.context", wantMsg: "annotation"},
		{name: "nested annotation", fixture: "conditional-access-policies", path: "grantControls.authenticationStrength@odata.context", value: "x",
			wantPath: "grantControls.authenticationStrength@odata.context", wantMsg: "annotation"},
		{name: "nested array element", fixture: "conditional-access-policies", path: "conditions.users.includeGroups", value: []any{"a", "b", 3.0},
			wantPath: "conditions.users.includeGroups[2]", wantMsg: "expected string"},
		{name: "nested unknown", fixture: "conditional-access-policies", path: "conditions.users.includeDepartments", value: []any{},
			wantPath: "conditions.users.includeDepartments", wantMsg: "unknown property"},
		{name: "enum", fixture: "conditional-access-policies", path: "state", value: "on",
			wantPath: "state", wantMsg: "value must be one of"},
		{name: "flags enum", fixture: "conditional-access-policies", path: "conditions.users.excludeGuestsOrExternalUsers.guestOrExternalUserTypes",
			value: "internalGuest,pirate", wantPath: "conditions.users.excludeGuestsOrExternalUsers.guestOrExternalUserTypes", wantMsg: "pattern"},
		{name: "not null", fixture: "conditional-access-policies", path: "displayName", value: nil,
			wantPath: "displayName", wantMsg: "expected string"},
		{name: "derived type property", fixture: "named-locations", path: "countriesAndRegions", value: []any{"US"},
			wantPath: "countriesAndRegions", wantMsg: "not a property of #microsoft.graph.ipNamedLocation"},
		{name: "derived complex type property", fixture: "named-locations", path: "ipRanges[0].lowerAddress", value: "10.0.0.1",
			wantPath: "ipRanges[0].lowerAddress", wantMsg: "not a property of #microsoft.graph.iPv4CidrRange"},
		{name: "other method's property", fixture: "authentication-method-configurations", path: "isUsableOnce", value: true,
			wantPath: "isUsableOnce", wantMsg: "not a property of #microsoft.graph.fido2AuthenticationMethodConfiguration"},
		{name: "other method's target property", fixture: "authentication-method-configurations", path: "includeTargets[0].authenticationMode", value: "any",
			wantPath: "includeTargets[0].authenticationMode", wantMsg: "unknown property"},
		{name: "unknown @odata.type", fixture: "named-locations", path: "@odata.type", value: "#microsoft.graph.user",
			wantPath: "@odata.type", wantMsg: "value must be one of"},
		{name: "missing key", fixture: "users", path: "id", del: true,
			wantPath: "id", wantMsg: "required property missing"},
		{name: "missing type of abstract kind", fixture: "authentication-method-configurations", path: "@odata.type", del: true,
			wantPath: "@odata.type", wantMsg: "required property missing"},
		{name: "member with more than a reference", fixture: "groups", path: "members[0].displayName", value: "Golf",
			wantPath: "members[0].displayName", wantMsg: "unknown property"},
		{name: "member without id", fixture: "groups", path: "owners", value: []any{map[string]any{"@odata.type": "#microsoft.graph.user"}},
			wantPath: "owners[0].id", wantMsg: "required property missing"},
		{name: "dropped child property", fixture: "service-principals", path: "appRoleAssignedTo[0].resourceDisplayName", value: "Contoso",
			wantPath: "appRoleAssignedTo[0].resourceDisplayName", wantMsg: "derived from the parent"},
		{name: "embedded", fixture: "authentication-methods-policy", path: "authenticationMethodConfigurations", value: []any{},
			wantPath: "authenticationMethodConfigurations", wantMsg: "own files"},
		{name: "extension on a closed type", fixture: "conditional-access-policies", path: "extension_0123456789abcdef0123456789abcdef_costCenter",
			value: "x", wantPath: "extension_0123456789abcdef0123456789abcdef_costCenter", wantMsg: "unknown property"},
		{name: "extension holding an object", fixture: "users", path: "extension_0123456789abcdef0123456789abcdef_costCenter",
			value: map[string]any{"a": "b"}, wantPath: "extension_0123456789abcdef0123456789abcdef_costCenter", wantMsg: "expected"},
		{name: "integer", fixture: "domains", path: "passwordNotificationWindowInDays", value: 1.5,
			wantPath: "passwordNotificationWindowInDays", wantMsg: "expected integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := fixture(t, c.fixture)
			if c.del {
				delete(obj, c.path)
			} else {
				set(t, obj, c.path, c.value)
			}
			s, err := For(kindOf(c.fixture))
			if err != nil {
				t.Fatal(err)
			}
			err = s.Validate(obj)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want *ValidationError", err)
			}
			if len(ve.Problems) != 1 {
				t.Errorf("problems = %v, want one", ve.Problems)
			}
			p := ve.Problems[0]
			if p.Path != c.wantPath || !strings.Contains(p.Message, c.wantMsg) {
				t.Errorf("problem = %q: %q, want %q: ...%q...", p.Path, p.Message, c.wantPath, c.wantMsg)
			}
			if strings.Contains(err.Error(), "Y~nZ") || strings.Contains(err.Error(), "MIIC") {
				t.Errorf("error echoes a secret value: %v", err)
			}
		})
	}
}

func TestProblemsSortedAndComplete(t *testing.T) {
	obj := fixture(t, "conditional-access-policies")
	set(t, obj, "state", "on")
	set(t, obj, "conditions.users.includeGroups", []any{"a", true})
	set(t, obj, "zzz", 1.0)
	set(t, obj, "@odata.etag", "W/1")
	s, _ := For("conditional-access-policies")
	var ve *ValidationError
	if err := s.Validate(obj); !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	var paths []string
	for _, p := range ve.Problems {
		paths = append(paths, p.Path)
	}
	want := []string{"@odata.etag", "conditions.users.includeGroups[1]", "state", "zzz"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	if msg := ve.Error(); !strings.HasPrefix(msg, "conditional-access-policies: ") || !strings.Contains(msg, "state: value must be one of") {
		t.Errorf("Error() = %q", msg)
	}
}

func TestExtensionPropertyOnOpenTypes(t *testing.T) {
	for _, kind := range []string{"users", "groups", "applications", "service-principals", "administrative-units"} {
		obj := fixture(t, kind)
		obj["extension_0123456789abcdef0123456789abcdef_costCenter"] = "CC-4711"
		obj["extension_0123456789abcdef0123456789abcdef_badges"] = []any{"gold", "silver"}
		s, _ := For(kind)
		if err := s.Validate(obj); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
		obj["extension_0123_short"] = "x"
		if err := s.Validate(obj); err == nil {
			t.Errorf("%s: malformed extension name accepted", kind)
		}
	}
}

func TestNullableAndAbsentType(t *testing.T) {
	// An object without @odata.type is of the kind's own type: a concrete
	// named location's derived properties are refused without it.
	obj := fixture(t, "named-locations.country")
	delete(obj, "@odata.type")
	s, _ := For("named-locations")
	var ve *ValidationError
	if err := s.Validate(obj); !errors.As(err, &ve) || ve.Problems[0].Message != "not a property of #microsoft.graph.namedLocation" {
		t.Errorf("Validate = %v", err)
	}
	// Nullable properties take null.
	u := fixture(t, "users")
	u["city"] = nil
	u["employeeOrgData"] = nil
	us, _ := For("users")
	if err := us.Validate(u); err != nil {
		t.Error(err)
	}
}

func TestReadOnly(t *testing.T) {
	cases := []struct {
		kind, path string
		want       bool
	}{
		{"applications", "id", true},
		{"applications", "appId", true},
		{"applications", "displayName", false},
		{"applications", "createdDateTime", true},
		{"applications", "createdByAppId", true}, // catalog and CSDL (Core.Immutable)
		{"applications", "passwordCredentials", true},
		{"applications", "passwordCredentials[].keyId", true}, // inside a read-only property
		{"applications", "passwordCredentials[0].displayName", true},
		{"applications", "web.redirectUris", false},
		{"applications", "requiredResourceAccess[].resourceAccess[].id", false},
		{"applications", "noSuchProperty", false},
		{"applications", "", false},
		{"users", "createdDateTime", true},
		{"users", "userPrincipalName", false},
		{"conditional-access-policies", "id", true},
		{"conditional-access-policies", "conditions.users.includeGroups", false},
		{"service-principals", "appRoles[].value", true},
		{"service-principals", "appRoleAssignedTo[].principalId", false},
		{"cross-tenant-access-partners", "tenantId", true},
		{"authentication-method-configurations", "id", true},
		{"authentication-method-configurations", "includeTargets[].id", false},
	}
	for _, c := range cases {
		s, err := For(c.kind)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.ReadOnly(c.path); got != c.want {
			t.Errorf("%s ReadOnly(%q) = %v, want %v", c.kind, c.path, got, c.want)
		}
	}
}

func TestValidateGoValues(t *testing.T) {
	s, _ := For("role-assignments")
	type assignment struct {
		ID               string `json:"id"`
		PrincipalID      string `json:"principalId"`
		RoleDefinitionID string `json:"roleDefinitionId"`
		DirectoryScopeID string `json:"directoryScopeId"`
	}
	if err := s.Validate(assignment{"a", "b", "c", "/"}); err != nil {
		t.Error(err)
	}
	if err := s.Validate(map[string]string{"id": "a", "principalId": "b"}); err != nil {
		t.Error(err)
	}
	if err := s.Validate(map[string]any{"id": "a", "principalId": 7}); err == nil {
		t.Error("int principalId accepted")
	}
	if err := s.Validate("not an object"); err == nil {
		t.Error("string accepted")
	}
}

func TestConcurrentUse(t *testing.T) {
	objs := fixtures(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name, obj := range objs {
				s, err := For(kindOf(name))
				if err == nil {
					err = s.Validate(obj)
				}
				if err != nil {
					errs <- err
					return
				}
				s.ReadOnly("id")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDotted(t *testing.T) {
	inst := map[string]any{
		"conditions": map[string]any{"users": map[string]any{"includeGroups": []any{"a", "b", "c"}}},
		"a/b":        map[string]any{"2": "x"},
	}
	for loc, want := range map[string]string{
		"":                                  "",
		"/conditions/users/includeGroups/2": "conditions.users.includeGroups[2]",
		"/a~1b/2":                           "a/b.2",
		"/missing/0":                        "missing.0",
	} {
		if got := dotted(inst, loc); got != want {
			t.Errorf("dotted(%q) = %q, want %q", loc, got, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
