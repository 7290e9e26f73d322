package importer

import (
	"bytes"
	"context"
	"errors"
	"regexp"
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
	// The id map recorded notes when the user was created.
	ids, _, err := readIDMap(context.Background(), e.repo)
	if err != nil {
		t.Fatal(err)
	}
	if c := ids.IDs[id].Created; c.IsZero() || time.Since(c) > time.Minute || time.Since(c) < -time.Second {
		t.Fatalf("the id map at HEAD notes %s as created at %v, want about now", id, c)
	}
	var clock func() time.Time // nil: the wall clock
	load := func(timeout time.Duration, slept *time.Duration) (*Input, error) {
		return Load(context.Background(), LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: []string{id}, Now: e.now,
			Clock: clock, ConsistencyTimeout: timeout, Sleep: func(ctx context.Context, d time.Duration) error {
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

	// The same plan made when the user was created longer ago than the
	// timeout does not wait: Graph has had that long to show it.
	clock = func() time.Time { return time.Now().Add(2*time.Minute + time.Minute) }
	_, err = load(2*time.Minute, &slept)
	if !errors.As(err, &inc) || slept != 0 {
		t.Fatalf("a plan 3 minutes after the restore: %v (slept %s), want the refusal at once", err, slept)
	}
	clock = nil

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

// An id map written before entrasnap noted creation times (no created:
// line) names objects of a time not known: a plan does not wait for them.
// Nor does a plan wait on a 404 that names an object no restore created,
// when another object it reads was created moments ago by a restore.
func TestPlanWaitsOnlyForObjectsARestoreCreatedMomentsAgo(t *testing.T) {
	const lag = 90 * time.Second
	e := newEnv(t, graphsim.Options{EventualConsistency: lag}, nil)
	var users []string
	for _, u := range e.list("/v1.0/users?$select=id,userType,onPremisesSyncEnabled") {
		if str(u["userType"]) == "Member" && u["onPremisesSyncEnabled"] != true {
			users = append(users, str(u["id"]))
		}
	}
	if len(users) < 2 {
		t.Fatalf("want two cloud member users, have %d", len(users))
	}
	recreated, other := users[0], users[1]
	e.do("DELETE", "/v1.0/users/"+recreated, nil)
	e.do("DELETE", "/v1.0/directory/deletedItems/"+recreated, nil)
	o := e.applyOpts()
	o.ConsistencyTimeout = time.Second
	res, err := Apply(context.Background(), e.plan(e.first, []string{recreated}, Options{}), o)
	if err != nil || res.Snapshot == nil {
		t.Fatalf("apply: %v %+v", err, res)
	}
	var slept time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		slept += d
		return simtest.Sleep(e.sim)(ctx, d)
	}
	load := func(sel ...string) error {
		slept = 0
		_, err := Load(context.Background(), LoadOptions{Client: e.c, Repo: e.repo, Rev: e.first, Selectors: sel, Now: e.now,
			ConsistencyTimeout: 2 * time.Minute, Sleep: sleep})
		return err
	}

	// The same id map without its creation times: no wait.
	ids, _, err := readIDMap(context.Background(), e.repo)
	if err != nil {
		t.Fatal(err)
	}
	legacy := regexp.MustCompile(`(?m)^ *created: .*\n`).ReplaceAll(ids.Encode(), nil)
	if bytes.Equal(legacy, ids.Encode()) {
		t.Fatalf("no created line in the id map:\n%s", ids.Encode())
	}
	e.commitFile(IDMapPath, legacy, "an id map as entrasnap wrote it before it noted creation times")
	var inc *IncompleteReadError
	if err := load(recreated); !errors.As(err, &inc) || !inc.lagOnly() || slept != 0 {
		t.Fatalf("a plan reading a user of an id map without times: %v (slept %s), want the lag refusal at once", err, slept)
	}
	e.commitFile(IDMapPath, ids.Encode(), "the id map back")

	// The recreated user shows by now; another user, restored from the
	// recycle bin by someone else moments ago, does not yet.
	e.sim.Clock().Advance(2 * lag)
	if err := load(recreated); err != nil || slept != 0 {
		t.Fatalf("the recreated user once replicated: %v (slept %s)", err, slept)
	}
	e.do("DELETE", "/v1.0/users/"+other, nil)
	e.do("POST", "/v1.0/directory/deletedItems/"+other+"/restore", nil)
	err = load(recreated, other)
	if !errors.As(err, &inc) || !inc.lagOnly() || slept != 0 || !strings.Contains(err.Error(), "no restore created in the 2m0s before this plan") {
		t.Fatalf("a 404 on a user no restore created: %v (slept %s), want the refusal at once, saying why", err, slept)
	}
}
