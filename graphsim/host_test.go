package graphsim

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func TestListenServesUntilClose(t *testing.T) {
	s, err := New(Options{Profile: "none", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", ln.URL+"/v1.0/organization", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /v1.0/organization = %d, want 200", resp.StatusCode)
	}
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-ln.Err(); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Err after Close = %v", err)
	}
}

func TestSaveFileRoundTrip(t *testing.T) {
	s, err := New(Options{Profile: "demo", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tenant.json")
	if err := s.Tenant().SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	loaded, err := New(Options{State: f})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := loaded.Tenant().Count("user"), s.Tenant().Count("user"); a != b || a == 0 {
		t.Errorf("users after load = %d, saved %d", a, b)
	}
	if err := s.Tenant().SaveFile(filepath.Join(t.TempDir(), "missing", "t.json")); err == nil {
		t.Error("a save into a missing folder succeeded")
	}
}
