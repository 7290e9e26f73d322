package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/layout"
)

const onPremSyncKind = "on-premises-sync"

// The on-premises synchronization settings are served to delegated callers
// only (onpremisesdirectorysynchronization-get: "Application: Not
// supported"). An app-only export with exactly the listed application
// permissions skips the kind without a request and keeps its file; an
// app-only restore lists it as needing a delegated sign-in. Signed in as a
// Global Administrator with OnPremDirectorySynchronization.ReadWrite.All,
// the restore PATCHes the settings back (the whole features value: Graph
// replaces a complex property) and never creates or deletes the object.
func TestOnPremisesSyncAppOnlyAndDelegated(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	k, _ := layout.Lookup(onPremSyncKind)
	base := e.first
	files := e.snapshotFiles(base, k.Folder)
	if len(files) != 1 || !strings.Contains(files[0], e.sim.TenantID()) {
		t.Fatalf("on-premises sync files at %s: %v, want the tenant's one", base, files)
	}
	item := "/v1.0/directory/onPremisesSynchronization/" + e.sim.TenantID()
	// The incident: deletion prevention off, password hash sync off.
	e.do("PATCH", item, map[string]any{"configuration": map[string]any{"accidentalDeletionPrevention": map[string]any{"synchronizationPreventionType": "disabled"}},
		"features": map[string]any{"passwordSyncEnabled": false, "passwordWritebackEnabled": true}})

	app, _ := e.appOnlyExport(ctx, "onpremisessynchronization")
	if got := e.snapshotFiles("HEAD", k.Folder); len(got) != 1 || got[0] != files[0] {
		t.Errorf("app-only export: files %v, want %v kept", got, files)
	}
	p := e.planWith(app, base, []string{onPremSyncKind}, Options{})
	if len(p.Actions) != 0 || len(p.Managed) != 1 || p.Managed[0].By != delegatedOnlyBy {
		t.Fatalf("app-only plan:\n%s", render(p))
	}

	dc := rolloutAdmin(t, e, "OnPremDirectorySynchronization.ReadWrite.All", "Directory.Read.All")
	p = e.planWith(dc, base, []string{onPremSyncKind}, Options{})
	if len(p.Actions) != 1 || p.Actions[0].Request.Method != "PATCH" || p.Actions[0].Request.Path != item {
		t.Fatalf("delegated plan:\n%s", render(p))
	}
	r, err := Apply(ctx, p, e.applyOptsAs(ctx, dc))
	if err != nil || !r.Complete() {
		t.Fatalf("apply: %v %+v %+v %s", err, r.Actions, r.Differences, r.VerifyError)
	}
	after := e.get(item)
	if dig(after, "configuration", "accidentalDeletionPrevention", "synchronizationPreventionType") != "enabledForCount" ||
		dig(after, "features", "passwordSyncEnabled") != true || dig(after, "features", "passwordWritebackEnabled") != true ||
		dig(after, "features", "quarantineUponUpnConflictEnabled") != true {
		t.Errorf("after the restore: %v", after)
	}

	// Settled: the second plan is empty.
	if p = e.planWith(dc, base, []string{onPremSyncKind}, Options{}); !p.Empty() {
		t.Errorf("second plan:\n%s", render(p))
	}
}
