package live

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// TestUsersRoundStreamsPages: when the export keeps delta state, users
// come through their initial delta round; like a list, each page goes to
// the sink as the round goes on, so memory does not grow
// with the users (the round is not held until it ends), and the round's
// deltaLink is kept.
func TestUsersRoundStreamsPages(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 250}})
	// 250 users: pages of 100, 100 and 50. The writer finishes a page's
	// files before it takes the next page, so when the third page is asked
	// for, the first page's 100 files are written (whatever the timing).
	var sunk, atThirdPage, skips atomic.Int64
	atThirdPage.Store(-1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/users/delta") && strings.Contains(r.URL.RawQuery, "skiptoken") && skips.Add(1) == 2 {
			atThirdPage.Store(sunk.Load())
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := graph.New(graph.Config{BaseURL: srv.URL, AccessToken: sim.Token(), HTTPClient: srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error { sim.Clock().Advance(d); return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	users, _ := layout.Lookup("users")
	lv, err := Read(context.Background(), ReadOptions{Client: c, Kinds: []*layout.Kind{users}, TrackDelta: true,
		Sink: func(path string, data []byte) error {
			if strings.HasPrefix(path, "users/") {
				sunk.Add(1)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if n := sim.Tenant().Count("user"); sunk.Load() != int64(n) {
		t.Errorf("%d user files written, the tenant has %d", sunk.Load(), n)
	}
	if got := atThirdPage.Load(); got < 100 {
		t.Errorf("when the round's third page was asked for, %d users had been written, want the first page's 100: the round is held until it ends", got)
	}
	if !strings.HasPrefix(lv.DeltaLinks["users"], "/v1.0/users/delta?") {
		t.Errorf("users deltaLink %q", lv.DeltaLinks["users"])
	}
}
