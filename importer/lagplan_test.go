package importer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
)

// A plan made moments after a restore created a user reads that user by
// id (the id map names it), and a replica that has not seen it yet
// answers its sponsors "not found": the plan waits and reads again, within
// LoadOptions.ConsistencyTimeout, instead of failing with "run again in a
// minute", and finds the user there (nothing to create again). With no
// time to wait, it fails at once, as before.
func TestPlanAfterRestoreWaitsForItsNewObjects(t *testing.T) {
	const lag = 90 * time.Second
	e := newEnv(t, graphsim.Options{EventualConsistency: lag}, nil)
	var id string
	for _, u := range e.list("/v1.0/users?$select=id,userType,onPremisesSyncEnabled") {
		if str(u["userType"]) == "Member" && u["onPremisesSyncEnabled"] != true {
			id = str(u["id"])
			break
		}
	}
	e.do("DELETE", "/v1.0/users/"+id, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+id, nil)
	if p := e.plan(e.first, []string{id}, Options{}); p.Counts()[OpCreate] != 1 {
		t.Fatalf("want the user's create:\n%s", render(p))
	}
	o := e.applyOpts()
	o.ConsistencyTimeout = time.Second // the apply's verification gives up before the lag is over
	res, err := Apply(context.Background(), e.plan(e.first, []string{id}, Options{}), o)
	if err != nil || res.Snapshot == nil {
		t.Fatalf("apply: %v %+v", err, res)
	}
	newID, ok := res.IDs.Resolve(id)
	if !ok {
		t.Fatalf("the restore noted no new id for %s", id)
	}
	load := func(timeout time.Duration, slept *time.Duration) (*Input, error) {
		return Load(context.Background(), LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: []string{id}, Now: e.now,
			ConsistencyTimeout: timeout, Sleep: func(ctx context.Context, d time.Duration) error {
				*slept += d
				return simtest.Sleep(e.sim)(ctx, d)
			}})
	}

	// No wait: the lag fails the plan, as before.
	var slept time.Duration
	_, err = load(-1, &slept)
	var inc *IncompleteReadError
	if !errors.As(err, &inc) || !inc.lagOnly() || slept != 0 || !strings.Contains(err.Error(), "run again in a minute") {
		t.Fatalf("without a wait: %v (slept %s), want the lag refusal at once", err, slept)
	}

	// Waiting: the user is read once replicated, and not created again.
	in, err := load(2*time.Minute, &slept)
	if err != nil {
		t.Fatalf("the plan after the restore does not wait for the user it created (%s): %v", newID, err)
	}
	if slept == 0 || slept > 2*time.Minute {
		t.Errorf("waited %s, want some, within the timeout", slept)
	}
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Counts(); c[OpCreate] != 0 {
		t.Fatalf("the user the restore created is created again:\n%s", render(p))
	}
}
