package main

// Benchmarks of the history commands (issue 4's quality bar). Run them with
//
//	go test -run XXX -bench . ./cmd/entrasnap
//
// Each builds its repository once (outside the timing) in a temporary folder.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// benchRun runs the CLI and fails the benchmark on an unexpected exit code.
func benchRun(b *testing.B, want int, args ...string) string {
	b.Helper()
	var out, errb bytes.Buffer
	if code := run(append([]string{"entrasnap"}, args...), strings.NewReader(""), &out, &errb); code != want {
		b.Fatalf("entrasnap %s: code %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String()
}

func benchPatch(b *testing.B, sim *graphsim.Server, base, path string, body map[string]any) {
	b.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("PATCH", base+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+sim.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		b.Fatalf("PATCH %s: %d", path, resp.StatusCode)
	}
}

// BenchmarkDiffLarge: `entrasnap diff` (the CLI's runDiff, text output)
// between two exports of graphsim's large profile cut to 20,000 users and
// 2,000 groups (with the profile's 2,000 app registrations and their
// service principals, 50 CA policies: about 26,000 object files), with 100
// objects changed in between: 70 users, 25 groups and 5 CA policies.
// Building the repository takes two exports (about 15 s).
func BenchmarkDiffLarge(b *testing.B) {
	sim, err := graphsim.New(graphsim.Options{Profile: "large", Seed: 1, Sizes: graphsim.Sizes{Users: 20000, Groups: 2000}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	b.Cleanup(srv.Close)
	repo := filepath.Join(b.TempDir(), "backup")
	conn := []string{"--graph-url", srv.URL, "--access-token", sim.Token()}
	benchRun(b, exitOK, append([]string{"export", "--repo", repo}, conn...)...)

	tn := sim.Tenant()
	users, groups, policies := tn.List("user"), tn.List("group"), tn.List("conditionalAccessPolicy")
	for i := 0; i < 70; i++ {
		u := users[i*len(users)/70]
		benchPatch(b, sim, srv.URL, "/v1.0/users/"+u["id"].(string), map[string]any{"jobTitle": fmt.Sprintf("Changed title %d", i)})
	}
	for i := 0; i < 25; i++ {
		g := groups[i*len(groups)/25]
		benchPatch(b, sim, srv.URL, "/v1.0/groups/"+g["id"].(string), map[string]any{"description": fmt.Sprintf("Changed description %d", i)})
	}
	for i := 0; i < 5; i++ {
		p := policies[i*len(policies)/5]
		state := "disabled"
		if p["state"] == "disabled" {
			state = "enabled"
		}
		benchPatch(b, sim, srv.URL, "/v1.0/identity/conditionalAccess/policies/"+p["id"].(string), map[string]any{"state": state})
	}
	benchRun(b, exitOK, append([]string{"export", "--repo", repo}, conn...)...)

	out := benchRun(b, exitOK, "diff", "--repo", repo)
	if !strings.Contains(out, "0 added, 0 removed, 100 changed") {
		b.Fatalf("the diff is not the 100 changes made:\n%s", out)
	}

	b.Run("text", func(b *testing.B) {
		e := &env{streams: streams{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}}
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := runDiff(ctx, e, output{format: "text"}, repo, "HEAD~1", "HEAD", nil, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		e := &env{streams: streams{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}}
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := runDiff(ctx, e, output{format: "json"}, repo, "HEAD~1", "HEAD", nil, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	// check reads and validates every file of the latest snapshot.
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			benchRun(b, exitOK, "check", "--repo", repo)
		}
	})
}

// log365 builds a repository of 365 daily snapshots written directly with
// snapshot.WriteSnapshot: 5,000 users, 500 groups and 50 CA policies (5,550
// object files), 20 files changed every day, and one CA policy, the one
// whose history is asked for, changed every 7th day and renamed on day 203.
func log365(b *testing.B) (repo, policyID string) {
	b.Helper()
	ctx := context.Background()
	r, err := snapshot.Init(filepath.Join(b.TempDir(), "backup"), true)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	kind := func(name string) *layout.Kind {
		k, ok := layout.Lookup(name)
		if !ok {
			b.Fatalf("no kind %s", name)
		}
		return k
	}
	users, groups, policies := kind("users"), kind("groups"), kind("conditional-access-policies")
	id := func(prefix, i int) string {
		return fmt.Sprintf("%06x%02x-0000-4000-8000-%012x", (i*2654435761)&0xffffff, prefix, i)
	}
	type object struct {
		k   *layout.Kind
		obj map[string]any
	}
	var objs []object
	for i := 0; i < 5000; i++ {
		objs = append(objs, object{users, map[string]any{
			"id": id(1, i), "displayName": fmt.Sprintf("User %d", i), "userPrincipalName": fmt.Sprintf("user%d@contoso.example", i),
			"jobTitle": "Engineer", "accountEnabled": true,
		}})
	}
	for i := 0; i < 500; i++ {
		members := []any{}
		for j := 0; j < 10; j++ {
			members = append(members, map[string]any{"id": id(1, (i*10+j)%5000), "@odata.type": "#microsoft.graph.user"})
		}
		objs = append(objs, object{groups, map[string]any{"id": id(2, i), "displayName": fmt.Sprintf("Group %d", i), "members": members}})
	}
	for i := 0; i < 50; i++ {
		objs = append(objs, object{policies, map[string]any{
			"id": id(3, i), "displayName": fmt.Sprintf("CA%03d policy", i), "state": "enabled",
			"conditions": map[string]any{"users": map[string]any{"includeUsers": []any{"All"}, "excludeGroups": []any{id(2, i)}}},
		}})
	}
	const target = 5500 + 17 // a CA policy
	policyID = objs[target].obj["id"].(string)
	files := map[string][]byte{}
	put := func(o object) {
		p, err := layout.Path(o.k, o.obj)
		if err != nil {
			b.Fatal(err)
		}
		files[p] = layout.Canonical(o.k, o.obj)
	}
	for _, o := range objs {
		put(o)
	}
	start := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	for day := 0; day < 365; day++ {
		if day > 0 {
			for j := 0; j < 20; j++ {
				o := objs[(day*7919+j*104729)%5500] // users and groups
				if o.k == users {
					o.obj["jobTitle"] = fmt.Sprintf("Title of day %d", day)
				} else {
					o.obj["description"] = fmt.Sprintf("day %d", day)
				}
				put(o)
			}
			if day%7 == 0 {
				o := objs[target]
				if day == 203 {
					old, _ := layout.Path(o.k, o.obj)
					delete(files, old)
					o.obj["displayName"] = "CA017 policy (renamed)"
				}
				o.obj["state"] = []string{"enabled", "disabled", "enabledForReportingButNotEnforced"}[day/7%3]
				put(o)
			}
		}
		when := start.AddDate(0, 0, day)
		sig := snapshot.Signature{Name: "entrasnap", Email: "entrasnap@localhost", When: when}
		_, err := r.WriteSnapshot(ctx, snapshot.Snapshot{
			Files: files, Message: fmt.Sprintf("entrasnap snapshot: day %d", day),
			Author: sig, Committer: sig, Tag: "snapshot/" + when.Format("20060102T150405Z"),
		})
		if err != nil {
			b.Fatalf("day %d: %v", day, err)
		}
	}
	return r.Path(), policyID
}

// BenchmarkLog365: `entrasnap log` of one CA policy over 365 daily
// snapshots (53 changes, one rename), through the CLI's runLog.
func BenchmarkLog365(b *testing.B) {
	repo, id := log365(b)
	var out bytes.Buffer
	e := &env{streams: streams{stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard}}
	if err := runLog(context.Background(), e, output{format: "json"}, repo, "HEAD", id); err != nil {
		b.Fatal(err)
	}
	var entries []history.Entry
	if err := json.Unmarshal(out.Bytes(), &entries); err != nil {
		b.Fatal(err)
	}
	renamed := false
	for _, en := range entries {
		for _, s := range en.Summary {
			renamed = renamed || strings.HasPrefix(s, "renamed:")
		}
	}
	if len(entries) != 53 || !renamed {
		b.Fatalf("log found %d entries (renamed: %v), want 53 with the rename", len(entries), renamed)
	}
	b.Run("text", func(b *testing.B) {
		e := &env{streams: streams{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}}
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := runLog(ctx, e, output{format: "text"}, repo, "HEAD", id); err != nil {
				b.Fatal(err)
			}
		}
	})
}
