// Package simexport is the set-up tests of the rehearsal packages
// (internal/drill, internal/rehearse) open with: a graphsim tenant, a
// client of it and a repository holding exports of it. It is apart from
// simtest because it imports exporter, whose own tests import simtest.
package simexport

import (
	"context"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// Tenant is a graphsim tenant (simtest.New), a client of it whose retry
// waits advance its clock, and a new repository with a working tree.
type Tenant struct {
	t      testing.TB
	Sim    *graphsim.Server
	Client *graph.Client
	Repo   *snapshot.Repo
}

// New starts a tenant with o (simtest.New's defaults) and serves it until
// the test ends.
func New(t testing.TB, o graphsim.Options) *Tenant {
	t.Helper()
	sim := simtest.New(t, o)
	return &Tenant{t: t, Sim: sim, Client: simtest.Client(t, sim, simtest.Serve(t, sim), ""), Repo: simtest.Repo(t, false)}
}

// Export exports kinds (every kind when none, as exporter.Options.Kinds nil) into the repository
// at the tenant's clock, allowing a shrink (a test's tenant is small), and
// fails the test unless the export succeeds and is complete.
func (tn *Tenant) Export(kinds ...*layout.Kind) *exporter.Result {
	tn.t.Helper()
	res, err := exporter.Run(context.Background(), exporter.Options{Client: tn.Client, Repo: tn.Repo, Kinds: kinds, AllowShrink: true,
		Now: func() time.Time { return tn.Sim.Clock().Now() }})
	if err != nil {
		tn.t.Fatalf("export of %s: %v", names(kinds), err)
	}
	if !res.Complete() {
		tn.t.Fatalf("export of %s is incomplete: %+v", names(kinds), res)
	}
	return res
}

func names(kinds []*layout.Kind) string {
	if len(kinds) == 0 {
		return "every kind"
	}
	s := ""
	for i, k := range kinds {
		if i > 0 {
			s += ", "
		}
		s += k.Name
	}
	return s
}
