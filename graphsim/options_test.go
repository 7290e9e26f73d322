package graphsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
)

func TestOptionsCheck(t *testing.T) {
	for _, o := range []Options{{}, {Throttle: "off"}, {Throttle: "realistic", FaultRate: 1}, {FaultRate: 0.25}} {
		if err := o.Check(); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	for o, want := range map[*Options]string{
		{Throttle: "Realistic"}: `throttle "Realistic": want off or realistic`,
		{FaultRate: -0.1}:       "fault-rate -0.1: want a number from 0 to 1",
		{FaultRate: 1.5}:        "fault-rate 1.5: want a number from 0 to 1",
		{FaultRate: math.NaN()}: "fault-rate NaN: want a number from 0 to 1",
	} {
		if err := o.Check(); err == nil || err.Error() != want {
			t.Errorf("%+v: %v, want %s", *o, err, want)
		}
	}
}

// ServeUntil prints the line scripts read (url, tenant_id, token), serves
// until the context ends, then closes the listener.
func TestServeUntilAnnouncesAndCloses(t *testing.T) {
	s, err := New(Options{Profile: "empty", Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.ListenTLS("127.0.0.1:0", "") // no certificate file: plain http, as Listen
	if err != nil || !strings.HasPrefix(ln.URL, "http://127.0.0.1:") {
		t.Fatalf("ListenTLS without a certificate file: %v, %v; want http", ln, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := ln.ServeUntil(ctx, s, &out); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got["url"] != ln.URL || got["tenant_id"] != s.TenantID() || got["token"] != s.Token() {
		t.Fatalf("announced %q (%v), want url %s, tenant %s and the token", out.String(), err, ln.URL, s.TenantID())
	}
	if err := <-ln.Err(); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("after ServeUntil the listener ended with %v, want it closed", err)
	}
}
