package live

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

var updateGolden = flag.Bool("update", false, "rewrite live/testdata golden files from this run")

const combinationsEndpoint = "GET /v1.0/identity/conditionalAccess/authenticationStrength/policies/{id}/combinationConfigurations"

// TestBuiltInStrengthsSkipCombinationReads: Graph supports combination
// configurations only for custom authentication strengths
// (authenticationstrengthpolicy-list-combinationconfigurations), and every
// such read is a Conditional Access request paced at one a second. The
// reader asks for them once per custom strength and never for a built-in
// one, and writes the same files as before it skipped them
// (testdata/strengths: the files of the read that asked for every
// strength's, regenerate with -update only when the format changes on
// purpose).
func TestBuiltInStrengthsSkipCombinationReads(t *testing.T) {
	_, c := deltaSim(t, graphsim.Sizes{Users: 5, Groups: 2, MembersPerGroup: 2})
	strengths, _ := layout.Lookup("authentication-strengths")
	// The demo tenant's custom strength gets a FIDO2 restriction, so a
	// custom strength's read is seen to be written.
	var customID string
	var list struct {
		Value []map[string]any `json:"value"`
	}
	body, err := c.Get(t.Context(), "/v1.0/policies/authenticationStrengthPolicies")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	builtIn := 0
	for _, s := range list.Value {
		if s["policyType"] == "custom" {
			customID, _ = s["id"].(string)
		} else {
			builtIn++
		}
	}
	if customID == "" || builtIn == 0 {
		t.Fatalf("the demo tenant needs a custom and a built-in strength: custom %q, %d built-in", customID, builtIn)
	}
	mustDo(t, c, "POST", "/v1.0/identity/conditionalAccess/authenticationStrength/policies/"+customID+"/combinationConfigurations",
		`{"@odata.type":"#microsoft.graph.fido2CombinationConfiguration","allowedAAGUIDs":["90a3ccdf-635c-4729-a248-9b709135078f"],"appliesToCombinations":["fido2"]}`)

	before := c.Stats().Endpoints[combinationsEndpoint].Requests
	files, _ := readWith(t, &reader{c: c, progress: NoProgress{}}, []*layout.Kind{strengths})
	reads := c.Stats().Endpoints[combinationsEndpoint].Requests - before
	custom := 0
	for p, data := range files {
		if bytes.Contains(data, []byte(`policyType: "custom"`)) {
			custom++
			if !bytes.Contains(data, []byte("90a3ccdf-635c-4729-a248-9b709135078f")) {
				t.Errorf("%s: the custom strength's combination configuration is missing:\n%s", p, data)
			}
		}
	}
	if custom != 1 || len(files) != custom+builtIn {
		t.Fatalf("read %d files, %d custom; the tenant has 1 custom and %d built-in strengths", len(files), custom, builtIn)
	}
	if reads != int64(custom) {
		t.Errorf("%d combinationConfigurations reads for %d custom and %d built-in strengths, want %d (none for a built-in strength)", reads, custom, builtIn, custom)
	}

	dir := filepath.Join("testdata", "strengths")
	if *updateGolden {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for p, data := range files {
			f := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string][]byte{}
	err = filepath.WalkDir(dir, func(f string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(f)
		rel, _ := filepath.Rel(dir, f)
		want[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	if len(want) != len(files) {
		t.Errorf("read %d files (%s), %s holds %d", len(files), strings.Join(names, ", "), dir, len(want))
	}
	for _, p := range names {
		if w, ok := want[p]; !ok {
			t.Errorf("%s: not in %s", p, dir)
		} else if !bytes.Equal(files[p], w) {
			t.Errorf("%s differs from %s:\n got: %q\nwant: %q", p, dir, files[p], w)
		}
	}
}
