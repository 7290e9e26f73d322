package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/check"
)

func TestResultReport(t *testing.T) {
	plan := &Plan{Actions: []Action{{ID: "a1", Op: "add", Kind: "groups", Name: "Finance", Relationship: "members", Target: "u1"}},
		Names: map[string]string{"u1": "Ann"}}
	res := &Result{Actions: []ActionResult{
		{ID: "a1", Op: "add", Status: StatusFailed, Error: "denied\x1b[31m"},
		{ID: "a2", Op: "update", Status: StatusDone},
	}, IDs: NewIDMap()}
	for i := 20; i > 0; i-- {
		res.IDs.Add("groups", fmt.Sprintf("old-%02d", i), fmt.Sprintf("new-%02d", i), "r")
	}
	var b strings.Builder
	res.Report(&b, plan)
	out := b.String()
	for _, want := range []string{
		"Restore: 1 done, 0 already in place, 1 failed, 0 skipped.\n",
		`  FAILED  [a1] add groups "Finance" members "Ann" (u1): denied\x1b[31m` + "\n",
		"Verification: 0 differences remain:\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "[a2]") {
		t.Errorf("a done action is listed in the summary:\n%s", out)
	}
	// The recreated objects are listed in a stable (sorted) order.
	var olds []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  groups old-") {
			olds = append(olds, strings.Fields(l)[1])
		}
	}
	if len(olds) != 20 || !slices.IsSorted(olds) {
		t.Errorf("new ids listed %v, want the 20 old ids sorted", olds)
	}
}

func TestTenantNameAndBreakGlass(t *testing.T) {
	in := &Input{TenantID: "t1", Live: map[string]map[string]*Object{"organization": {"t1": {Data: map[string]any{"displayName": "  Contoso "}}}}}
	if got := in.TenantName(); got != "Contoso" {
		t.Errorf("TenantName = %q, want Contoso", got)
	}
	if got := (&Input{TenantID: "t1"}).TenantName(); got != "t1" {
		t.Errorf("TenantName without organization = %q, want the tenant id", got)
	}
	for data, want := range map[string][]string{"- a\n- b@x\n": {"a", "b@x"}, "breakGlass: [c]\n": {"c"}} {
		got, err := ParseBreakGlass([]byte(data))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseBreakGlass(%q) = %v, %v; want %v", data, got, err, want)
		}
	}
	if _, err := ParseBreakGlass([]byte("other: 1\n")); err == nil || !strings.Contains(err.Error(), "want a YAML list") {
		t.Errorf("ParseBreakGlass of a mapping without breakGlass: %v", err)
	}

	// ReadBreakGlass: none without a file; the file read (bounded) and
	// parsed, its hostile name escaped in every error.
	if got, err := ReadBreakGlass(""); got != nil || err != nil {
		t.Errorf(`ReadBreakGlass("") = %v, %v; want none`, got, err)
	}
	dir := filepath.Join(t.TempDir(), "b\"q\" \u200f🙂\nx")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	good, bad := filepath.Join(dir, "../ok.yaml"), filepath.Join(dir, "bad\x1b[31m.yaml")
	for file, data := range map[string]string{good: "- admin@contoso.example\n- \"0f0e\"\n", bad: "other: 1\n"} {
		if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := ReadBreakGlass(good); err != nil || !slices.Equal(got, []string{"admin@contoso.example", "0f0e"}) {
		t.Errorf("ReadBreakGlass(good) = %v, %v", got, err)
	}
	if _, err := ReadBreakGlass(bad); err == nil || !strings.Contains(err.Error(), "want a YAML list") || !strings.Contains(err.Error(), `\u200f🙂\nx/bad\x1b[31m.yaml: `) || strings.ContainsAny(err.Error(), "\x1b\u200f") {
		t.Errorf("ReadBreakGlass(bad) = %v, want the escaped name and what is wrong", err)
	}
	if _, err := ReadBreakGlass(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadBreakGlass(missing) = %v", err)
	}
	t.Setenv(check.MaxFileSizeEnv, "8B")
	if _, err := ReadBreakGlass(good); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ReadBreakGlass of a file over %s: %v", check.MaxFileSizeEnv, err)
	}
}
