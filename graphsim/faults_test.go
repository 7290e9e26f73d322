package graphsim

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// fltOutcome names what inject decided: "ok", "drop", or the status code.
func fltOutcome(drop bool, err *apiError) string {
	switch {
	case drop:
		return "drop"
	case err != nil:
		return strconv.Itoa(err.Status)
	}
	return "ok"
}

func TestFaultsInjectRates(t *testing.T) {
	for _, tc := range []struct {
		rate     float64
		n        int
		lo, hi   float64 // accepted band for the observed failure share
		kindsLow float64 // each kind's least share of the failures
	}{
		{rate: 0, n: 1000, lo: 0, hi: 0},
		{rate: 1, n: 1000, lo: 1, hi: 1, kindsLow: 0.2},
		{rate: 0.3, n: 10000, lo: 0.28, hi: 0.32, kindsLow: 0.2},
		{rate: 0.05, n: 10000, lo: 0.04, hi: 0.06, kindsLow: 0.15},
	} {
		t.Run(strconv.FormatFloat(tc.rate, 'f', -1, 64), func(t *testing.T) {
			f := newFaults(tc.rate, 42)
			seen := map[string]int{}
			failed := 0
			for range tc.n {
				drop, err := f.inject()
				o := fltOutcome(drop, err)
				seen[o]++
				if o != "ok" {
					failed++
				}
			}
			share := float64(failed) / float64(tc.n)
			if share < tc.lo || share > tc.hi {
				t.Errorf("rate %v: %d of %d requests failed (%.3f), want a share in [%v, %v]", tc.rate, failed, tc.n, share, tc.lo, tc.hi)
			}
			if failed == 0 {
				return
			}
			for _, k := range []string{"drop", "500", "503", "504"} {
				if ks := float64(seen[k]) / float64(failed); ks < tc.kindsLow {
					t.Errorf("rate %v: %s is %.3f of the failures (%v), want at least %v", tc.rate, k, ks, seen, tc.kindsLow)
				}
			}
		})
	}
}

func TestFaultsErrorShapes(t *testing.T) {
	f := newFaults(1, 7)
	want := map[int]string{500: "generalException", 503: "serviceNotAvailable", 504: "UnknownError"}
	for i := range 200 {
		drop, err := f.inject()
		if drop {
			if err != nil {
				t.Fatalf("draw %d: drop with an error %v", i, err)
			}
			continue
		}
		if err == nil {
			t.Fatalf("draw %d: rate 1 let a request through", i)
		}
		if err.Code != want[err.Status] {
			t.Errorf("draw %d: %d with code %q, want %q", i, err.Status, err.Code, want[err.Status])
		}
		switch err.Status {
		case 503:
			if n, e := strconv.Atoi(err.RetryAfter); e != nil || n < 1 || n > 5 {
				t.Errorf("draw %d: 503 Retry-After %q, want whole seconds in 1..5", i, err.RetryAfter)
			}
		default:
			if err.RetryAfter != "" {
				t.Errorf("draw %d: %d carries Retry-After %q", i, err.Status, err.RetryAfter)
			}
		}
	}
}

func TestFaultsDeterministicPerSeed(t *testing.T) {
	draw := func(seed uint64) string {
		f := newFaults(0.3, seed)
		var b strings.Builder
		for range 500 {
			b.WriteString(fltOutcome(f.inject()))
			b.WriteByte(' ')
		}
		return b.String()
	}
	if a, b := draw(1), draw(1); a != b {
		t.Error("two fault sources with seed 1 disagree")
	}
	if a, b := draw(1), draw(2); a == b {
		t.Error("seeds 1 and 2 give the same faults")
	}
}

func TestFaultsConcurrentUse(t *testing.T) {
	f := newFaults(0.5, 3)
	done := make(chan int)
	for range 8 {
		go func() {
			n := 0
			for range 1000 {
				if d, e := f.inject(); d || e != nil {
					n++
				}
			}
			done <- n
		}()
	}
	total := 0
	for range 8 {
		total += <-done
	}
	if total < 3500 || total > 4500 {
		t.Errorf("%d of 8000 concurrent draws failed at rate 0.5, want about 4000", total)
	}
}

// fltClient never reuses connections, so a dropped connection is reported as
// an error instead of being retried on a new one.
func fltClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func fltGet(t *testing.T, c *http.Client, ts *httptest.Server, token, method, path, body string) (int, http.Header, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func TestFaultsOverHTTP(t *testing.T) {
	t.Run("rate 1 fails every request", func(t *testing.T) {
		s, err := New(Options{Seed: 1, FaultRate: 1})
		if err != nil {
			t.Fatal(err)
		}
		uid, err := s.Tenant().Seed("user", map[string]any{"displayName": "A", "userPrincipalName": "a@contoso.onmicrosoft.com"})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s)
		defer ts.Close()
		c := fltClient()
		seen := map[string]int{}
		const n = 60
		for i := range n {
			status, h, body, err := fltGet(t, c, ts, s.Token(), http.MethodPatch, "/v1.0/users/"+uid, `{"jobTitle":"changed"}`)
			if err != nil {
				var uerr *url.Error
				if !errors.As(err, &uerr) {
					t.Fatalf("request %d: dropped connection surfaced as %T %v, want a *url.Error", i, err, err)
				}
				seen["drop"]++
				continue
			}
			seen[strconv.Itoa(status)]++
			if status < 500 {
				t.Fatalf("request %d: %d %s, want an injected fault", i, status, body)
			}
			a := thrAnswer{status: status, header: h, body: body}
			if code, _ := a.graphError(t); code == "" {
				t.Errorf("request %d: %d without a Graph error code: %s", i, status, body)
			}
			if status == 503 && h.Get("Retry-After") == "" {
				t.Errorf("request %d: 503 without Retry-After", i)
			}
		}
		for _, k := range []string{"drop", "500", "503", "504"} {
			if seen[k] == 0 {
				t.Errorf("no %s among %d faulted requests: %v", k, n, seen)
			}
		}
		// A dropped connection or a 504 may come after the PATCH was carried
		// out (TestFaultsSometimesLoseTheAnswerOfADoneRequest); 500 and 503
		// never reach the tenant.
		if st := s.Stats(); st.Faults != n || st.Requests != n {
			t.Errorf("stats: %d requests, %d faults; want %d and %d", st.Requests, st.Faults, n, n)
		}
	})
	t.Run("rate 0.3 fails about 30%", func(t *testing.T) {
		s, err := New(Options{Seed: 5, FaultRate: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s)
		defer ts.Close()
		c := fltClient()
		const n = 400
		failed := 0
		for range n {
			status, _, _, err := fltGet(t, c, ts, s.Token(), http.MethodGet, "/v1.0/users", "")
			switch {
			case err != nil || status >= 500:
				failed++
			case status != 200:
				t.Fatalf("unexpected status %d", status)
			}
		}
		if share := float64(failed) / n; share < 0.22 || share > 0.38 {
			t.Errorf("%d of %d requests failed (%.3f) at rate 0.3, want a share in [0.22, 0.38]", failed, n, share)
		}
		if st := s.Stats(); st.Faults != failed {
			t.Errorf("stats count %d faults, the client saw %d", st.Faults, failed)
		}
	})
}
