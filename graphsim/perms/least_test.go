package perms

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim/perms/internal/gen/permgen"
)

// Least answers what permissions.json flags least=Application, matched as
// Required matches (ids, $ref, version prefix, query), and AlsoRequires=.
func TestLeast(t *testing.T) {
	for _, c := range []struct {
		method, path string
		least, also  []string
	}{
		// directoryobject-getbyids: Directory.Read.All only.
		{"POST", "/v1.0/directoryObjects/getByIds", []string{"Directory.Read.All"}, nil},
		// The map's quirks stay: it flags a ReadWrite permission least for
		// some reads (graph-semantics.md §0).
		{"GET", "/v1.0/users/0b944de3-e0fc-4774-a49a-b135213725ef?$select=id", []string{"User.ReadBasic.All", "User.ReadWrite.All"}, nil},
		{"GET", "/beta/groups/{id}/members/$ref", []string{"GroupMember.ReadBasic.All"}, nil},
		// CA writes: Policy.Read.All "least", AlsoRequires= on the
		// write permission's entry, which is not flagged least.
		{"POST", "/v1.0/identity/conditionalAccess/policies", []string{"Policy.Read.All"}, nil},
	} {
		least, also, ok := Least(c.method, c.path)
		if !ok || !reflect.DeepEqual(least, c.least) || !reflect.DeepEqual(also, c.also) {
			t.Errorf("Least(%s %s) = %v + %v, %v; want %v + %v", c.method, c.path, least, also, ok, c.least, c.also)
		}
	}
	if _, _, ok := Least("GET", "/v1.0/nowhere/at/all"); ok {
		t.Error("Least knows a path Graph's map does not")
	}
}

func TestLeastTableUpToDate(t *testing.T) {
	in := filepath.Join("..", "..", "..", "shared", "graph-metadata", "permissions.json")
	f, err := os.Open(in)
	if err != nil {
		t.Skipf("permissions.json not available: %v", err)
	}
	defer f.Close()
	want, err := permgen.GenerateLeast(f, filepath.Base(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("least_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("least_gen.go is out of date: run go generate in graphsim/perms")
	}
}
