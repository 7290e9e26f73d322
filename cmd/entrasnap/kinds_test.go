package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
)

// kindJSON is one element of `entrasnap kinds --json`, decoded strictly:
// a field the CLI adds or renames fails here first.
type kindJSON struct {
	Kind               string   `json:"kind"`
	Title              string   `json:"title"`
	Folder             string   `json:"folder"`
	GraphPath          string   `json:"graphPath"`
	APIVersion         string   `json:"apiVersion"`
	Restore            string   `json:"restore"`
	ExportOnlyReason   string   `json:"exportOnlyReason"`
	RestoreNote        string   `json:"restoreNote"`
	ReadPermissions    []string `json:"readPermissions"`
	RestorePermissions []string `json:"restorePermissions"`
	OptIn              string   `json:"optIn"`
	DelegatedOnly      string   `json:"delegatedOnly"`
	ReadNeedsWrite     string   `json:"readNeedsWrite"`
}

// TestKindsJSONMatchesCatalog decodes `kinds --json` and checks every
// element against the layout catalog: one per kind, in catalog order, with
// its folder, versioned Graph path, API version, restore support (an
// export-only kind names its reason and no restore permission) and
// permissions.
func TestKindsJSONMatchesCatalog(t *testing.T) {
	code, out, errOut := runCLI(t, "kinds", "--json")
	if code != exitOK {
		t.Fatalf("code %d: %s", code, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var got []kindJSON
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("kinds --json: %v\n%s", err, out)
	}
	cat := layout.Kinds()
	if len(got) != len(cat) {
		t.Fatalf("kinds --json lists %d kinds, the catalog holds %d", len(got), len(cat))
	}
	exportOnly := 0
	for i, k := range cat {
		g := got[i]
		if g.Kind != k.Name || g.Folder != k.Folder || g.Title != k.Title {
			t.Errorf("element %d: %s %s %q, want %s %s %q", i, g.Kind, g.Folder, g.Title, k.Name, k.Folder, k.Title)
		}
		if g.APIVersion != "v1.0" && g.APIVersion != "beta" || g.APIVersion != k.APIVersion {
			t.Errorf("%s: apiVersion %q, want %q (v1.0 or beta)", k.Name, g.APIVersion, k.APIVersion)
		}
		// The organization's id, which the reader fills in, shows as Graph's docs write it.
		wantPath := "/" + k.APIVersion + strings.ReplaceAll(k.ListPath, layout.OrganizationPlaceholder, "{organizationId}")
		if k.PerObject != "" {
			wantPath += "/{id}/" + k.PerObject
		}
		if g.GraphPath != wantPath || strings.Contains(g.GraphPath, "{{") || g.OptIn != k.OptIn || g.DelegatedOnly != k.DelegatedOnly ||
			g.ReadNeedsWrite != k.ReadNeedsWrite {
			t.Errorf("%s: graphPath %q", k.Name, g.GraphPath)
		}
		if !slices.Equal(g.ReadPermissions, layout.KindReadPermissions(k)) || len(g.ReadPermissions) == 0 {
			t.Errorf("%s: readPermissions %v, want %v", k.Name, g.ReadPermissions, layout.KindReadPermissions(k))
		}
		switch g.Restore {
		case "restorable":
			if k.ExportOnly != "" || g.ExportOnlyReason != "" || len(g.RestorePermissions) == 0 ||
				!slices.Equal(g.RestorePermissions, layout.KindRestorePermissions(k)) {
				t.Errorf("%s: restorable with reason %q, restorePermissions %v (catalog: export-only %q, %v)",
					k.Name, g.ExportOnlyReason, g.RestorePermissions, k.ExportOnly, layout.KindRestorePermissions(k))
			}
		case "export-only":
			exportOnly++
			if k.ExportOnly == "" || g.ExportOnlyReason != k.ExportOnly || g.RestorePermissions == nil || len(g.RestorePermissions) != 0 {
				t.Errorf("%s: export-only with reason %q, restorePermissions %v (catalog: %q)", k.Name, g.ExportOnlyReason, g.RestorePermissions, k.ExportOnly)
			}
		default:
			t.Errorf("%s: restore %q, want restorable or export-only", k.Name, g.Restore)
		}
	}
	if exportOnly == 0 {
		t.Error("no export-only kind listed (group lifecycle policies are)")
	}

	// The table says the same, with each export-only kind's reason and the count.
	code, text, _ := runCLI(t, "kinds")
	if code != exitOK {
		t.Fatalf("kinds: code %d", code)
	}
	for _, g := range got {
		if g.Restore == "export-only" && !strings.Contains(text, "  "+g.Kind+": "+g.ExportOnlyReason+"\n") {
			t.Errorf("kinds does not give %s's reason:\n%s", g.Kind, text)
		}
	}
	if want := fmt.Sprintf("%d kinds: %d restorable, %d export-only.", len(got), len(got)-exportOnly, exportOnly); !strings.Contains(text, want) {
		t.Errorf("kinds does not end with %q:\n%s", want, text)
	}
}

// TestReadmeCoverageRowIsTheCatalogs keeps the README's comparison row
// equal to what `entrasnap kinds --json` measures.
func TestReadmeCoverageRowIsTheCatalogs(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?m)^\\| Coverage \\| (\\d+) kinds \\((\\d+) restorable, (\\d+) export-only\\), measured by `entrasnap kinds --json`[;| ]").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no coverage row (| Coverage | N kinds (R restorable, E export-only), measured by `entrasnap kinds --json`) in its comparison table")
	}
	restorable, exportOnly := 0, 0
	for _, ki := range layout.KindInfos() {
		if ki.Restore == layout.ExportOnlyKind {
			exportOnly++
		} else {
			restorable++
		}
	}
	want := fmt.Sprintf("%d %d %d", restorable+exportOnly, restorable, exportOnly)
	if got := string(bytes.Join(m[1:], []byte(" "))); got != want {
		t.Errorf("README coverage row says %s kinds (restorable, export-only); the catalog holds %s: update the row", got, want)
	}
}

// Feature rollout policies, the on-premises synchronization settings and
// terms of use agreements are delegated only: `kinds` says why, and
// --permissions lists their delegated permissions apart from the
// application sets, which hold none of them.
func TestKindsDelegatedOnly(t *testing.T) {
	sets := permissionSets(t)
	// Terms of use agreements, feature rollout policies and the
	// on-premises synchronization settings.
	if !slices.Equal(sets["delegatedExport"], []string{"Agreement.Read.All", "OnPremDirectorySynchronization.Read.All", "Policy.Read.HybridAuthentication"}) ||
		// The restore also reads, as delegated scopes, what a rollout
		// policy's groups need (getByIds: Directory.Read.All) and the CA
		// policies naming a recreated agreement (Policy.Read.All).
		!slices.Equal(sets["delegatedRestore"], []string{"Agreement.ReadWrite.All", "Directory.Read.All", "OnPremDirectorySynchronization.ReadWrite.All", "Policy.Read.All", "Policy.ReadWrite.HybridAuthentication"}) {
		t.Errorf("permission sets: %v", sets)
	}
	for _, p := range append(sets["delegatedExport"], sets["delegatedRestore"]...) {
		if p == "Directory.Read.All" || p == "Policy.Read.All" {
			continue
		}
		if slices.Contains(sets["export"], p) || slices.Contains(sets["restore"], p) {
			t.Errorf("the application sets hold the delegated-only %s: %v", p, sets)
		}
	}
	for _, name := range []string{"feature-rollout-policies", "on-premises-sync", "terms-of-use"} {
		k, _ := layout.Lookup(name)
		if code, text, _ := runCLI(t, "kinds"); code != exitOK || !strings.Contains(text, "  "+name+": "+k.DelegatedOnly+"\n") {
			t.Errorf("kinds does not say why %s need a delegated sign-in:\n%s", name, text)
		}
	}
}

// API connectors are read only with a write permission: `kinds` marks the
// permission and says why the kind is opt-in, and --permissions lists it
// apart (optInReadWithWrite), never in the read-only export set; the
// restore set holds it.
func TestKindsReadWithWrite(t *testing.T) {
	sets := permissionSets(t)
	const perm = "APIConnectors.ReadWrite.All"
	// A user flow's identity providers and API connectors likewise
	// (user-flow-connections): the export set keeps only the read
	// permission of user flows.
	const ufPerm = "IdentityUserFlow.ReadWrite.All"
	if !slices.Equal(sets["optInReadWithWrite"], []string{perm, ufPerm}) || slices.Contains(sets["export"], perm) || !slices.Contains(sets["restore"], perm) ||
		slices.Contains(sets["export"], ufPerm) || !slices.Contains(sets["restore"], ufPerm) {
		t.Errorf("permission sets: %v", sets)
	}
	k, _ := layout.Lookup("api-connectors")
	code, text, _ := runCLI(t, "kinds")
	if code != exitOK || !strings.Contains(text, "  api-connectors (v1.0): "+k.OptIn+"\n") ||
		!regexp.MustCompile(`(?m)^api-connectors .*`+regexp.QuoteMeta(perm)+` \(a write permission`).MatchString(text) {
		t.Errorf("kinds does not say API connectors are opt-in, read with a write permission:\n%s", text)
	}
	code, text, _ = runCLI(t, "kinds", "--permissions")
	export, _, _ := strings.Cut(text, "Restore")
	if code != exitOK || strings.Contains(export, perm) || !strings.Contains(text, "  api-connectors: "+perm+"\n") ||
		strings.Contains(export, ufPerm) || !strings.Contains(text, "  "+layout.UserFlowConnections+": "+ufPerm+"\n") {
		t.Errorf("kinds --permissions:\n%s", text)
	}
	ufc, _ := layout.Lookup(layout.UserFlowConnections)
	if code, text, _ := runCLI(t, "kinds"); code != exitOK || !strings.Contains(text, "  "+layout.UserFlowConnections+" (v1.0): "+ufc.OptIn+"\n") {
		t.Errorf("kinds does not say user-flow-connections is opt-in:\n%s", text)
	}
}
