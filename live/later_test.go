package live

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// TestLaterRunsBesideThePacedAndPlainReads (issue 12, a no-change day's
// wall time): with ReadOptions.Later, Read reads the kinds that do not
// resume from delta while Later runs (export reads the previous snapshot's
// tree then), Conditional Access's paced reads without holding one of the
// Concurrency slots; the delta kinds (users) wait until Later returned and
// take its Delta and UserProperties. Here Later returns only once Graph was
// asked for the Conditional Access policies and the domains, and the
// policies are answered only once the domains were asked for, with one
// slot: a paced read holding the slot, or a read waiting for Later, never
// finishes (the test then fails after a minute instead of hanging).
func TestLaterRunsBesideThePacedAndPlainReads(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{})
	var (
		mu          sync.Mutex
		seen        = map[string]chan struct{}{"ca": make(chan struct{}), "domains": make(chan struct{})}
		laterDone   bool
		usersEarly  bool
		closeSeen   = func(k string) { mu.Lock(); defer mu.Unlock(); closeOnce(seen[k]) }
		waitFor     = func(k string) <-chan struct{} { return seen[k] }
		giveUpAfter = time.Minute
	)
	srv := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.HasSuffix(p, "/identity/conditionalAccess/policies"):
			closeSeen("ca")
			select {
			case <-waitFor("domains"):
			case <-time.After(giveUpAfter):
			}
		case strings.HasSuffix(p, "/domains"):
			closeSeen("domains")
		case strings.Contains(p, "/users"):
			mu.Lock()
			usersEarly = usersEarly || !laterDone
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	c := simtest.Client(t, sim, srv, "")
	kinds := simtest.Kinds(t, "users", "domains", "conditional-access-policies")
	keep := []string{"id", "displayName", "userPrincipalName"}
	lv, err := Read(context.Background(), ReadOptions{Client: c, Kinds: kinds, Concurrency: 1, TrackDelta: true,
		Later: func(ctx context.Context) (Later, error) {
			for _, k := range []string{"ca", "domains"} {
				select {
				case <-waitFor(k):
				case <-time.After(giveUpAfter):
					return Later{}, errors.New("the " + k + " read did not start before Later returned")
				}
			}
			mu.Lock()
			laterDone = true
			mu.Unlock()
			return Later{UserProperties: keep}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if usersEarly {
		t.Error("users were read before Later returned")
	}
	for _, r := range lv.Kinds {
		if !r.Complete {
			t.Errorf("%s incomplete: %v", r.Kind, r.Err)
		}
	}
	n := 0
	for p, data := range lv.Files {
		if k, _, err := layout.Locate(p); err == nil && k.Name == "users" {
			n++
			if strings.Contains(string(data), "\njobTitle:") || strings.Contains(string(data), "\nmail:") {
				t.Fatalf("%s keeps a property outside Later's UserProperties:\n%s", p, data)
			}
		}
	}
	if n == 0 {
		t.Fatal("no user files")
	}
}

// TestLaterErrorStopsRead: an error from Later stops Read with that error.
func TestLaterErrorStopsRead(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{})
	c := simtest.Client(t, sim, simtest.Serve(t, sim), "")
	users, _ := layout.Lookup("users")
	domains, _ := layout.Lookup("domains")
	boom := errors.New("reading .entrasnap/config.yaml: broken")
	_, err := Read(context.Background(), ReadOptions{Client: c, Kinds: []*layout.Kind{users, domains},
		Later: func(context.Context) (Later, error) { return Later{}, boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("Read: %v, want %v", err, boom)
	}
}

func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}
