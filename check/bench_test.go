package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// template is a kind's valid test object (schemas/testdata/valid).
func template(tb testing.TB, kindName string) map[string]any {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "schemas", "testdata", "valid", kindName+".yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	obj, err := layout.Decode(data)
	if err != nil {
		tb.Fatal(err)
	}
	return obj
}

// generatedFiles is a snapshot of a tenant of users users and groups
// groups of up to 50 user members and an owner each, made from the kinds'
// valid test objects (the shape export writes), with hostile display names
// among them, and a manifest. A check of it finds nothing.
func generatedFiles(tb testing.TB, users, groups int) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	uk, _ := layout.Lookup("users")
	gk, _ := layout.Lookup("groups")
	hostile := []string{"O'Brien \"Quote\"", "new\nline", "\u202eevil\u200f", "emoji \U0001F600", "../../etc/passwd", strings.Repeat("long ", 200)}
	userID := func(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }
	put := func(k *layout.Kind, obj map[string]any) {
		p, err := layout.Path(k, obj)
		if err != nil {
			tb.Fatal(err)
		}
		files[p] = layout.Canonical(k, obj)
	}
	ut := template(tb, "users")
	for i := 0; i < users; i++ {
		u := layout.Copy(ut).(map[string]any)
		name := fmt.Sprintf("User %d", i)
		if i%100 == 0 {
			name = hostile[(i/100)%len(hostile)] + " " + name
		}
		upn := fmt.Sprintf("user%d@contoso.onmicrosoft.com", i)
		u["id"], u["displayName"], u["userPrincipalName"], u["mail"], u["mailNickname"] = userID(i), name, upn, upn, fmt.Sprintf("user%d", i)
		u["identities"] = []any{map[string]any{"issuer": "contoso.onmicrosoft.com", "issuerAssignedId": upn, "signInType": "userPrincipalName"}}
		u["proxyAddresses"] = []any{"SMTP:" + upn}
		put(uk, u)
	}
	gt := template(tb, "groups")
	for i := 0; i < groups; i++ {
		g := layout.Copy(gt).(map[string]any)
		g["id"] = fmt.Sprintf("%08x-1111-4000-8000-%012x", i, i)
		g["displayName"] = fmt.Sprintf("Group %d %s", i, hostile[i%len(hostile)])
		var members []any
		for j := 0; j < 50 && j < users; j++ {
			members = append(members, map[string]any{"@odata.type": "#microsoft.graph.user", "id": userID((i*50 + j) % users)})
		}
		g["members"] = members
		g["owners"] = []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": userID(i % users)}}
		put(gk, g)
	}
	files[ManifestPath] = manifest(map[string]int{"users": users, "groups": groups})
	return files
}

// BenchmarkRepo is `entrasnap check` of one snapshot of a generated tenant
// (bench row e3 at a size a test can afford: 2,000 users and 400 groups,
// 2,400 object files; go test -bench Repo -benchtime 3x ./check). Its CPU
// time per file was the regression row e3 showed at 20,000 users (18.6 s of
// CPU for 25,518 files on 2026-12-06).
func BenchmarkRepo(b *testing.B) {
	r, err := snapshot.Init(filepath.Join(b.TempDir(), "backup"), true)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	files := generatedFiles(b, 2000, 400)
	if _, err := r.WriteSnapshot(context.Background(), snapshot.Snapshot{Files: files, Message: "bench", Tag: "snapshot/bench"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Repo(context.Background(), r, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK || rep.Snapshots[0].Files != 2400 {
			b.Fatalf("the generated snapshot: %d files, %+v", rep.Snapshots[0].Files, rep.Snapshots[0].Issues)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/2400, "µs/file")
}

// TestRepoFileTooLargeAmongMany: in a snapshot of more than 256 files (read
// in one pass), a file over the limit is reported, unread, and every other
// file is still checked (a dangling member elsewhere is found); the
// repository keeps its own limit after (a later check without one reads
// the large file).
func TestRepoFileTooLargeAmongMany(t *testing.T) {
	files := generatedFiles(t, 300, 10)
	k := kind(t, "groups")
	pa, a := objectFile(t, k, map[string]any{"id": groupA, "displayName": "Large", "description": strings.Repeat("x", 80<<10)})
	pb, b := objectFile(t, k, map[string]any{"id": groupB, "displayName": "B", "members": []any{
		map[string]any{"@odata.type": "#microsoft.graph.group", "id": groupA}, map[string]any{"@odata.type": "#microsoft.graph.user", "id": dead}}})
	files[pa], files[pb] = a, b
	files[ManifestPath] = manifest(map[string]int{"users": 300, "groups": 12})
	r := newCheckRepo(t)
	writeSnapshot(t, r, files, "snapshot/1")
	r.SetMaxFileSize(5 << 20)
	for _, limit := range []int64{64 << 10, 0} {
		rep, err := Repo(context.Background(), r, Options{MaxFileSize: limit})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.MaxFileSize(); got != 5<<20 {
			t.Fatalf("after Repo with a limit of %d, the repository's limit is %d, want its own 5 MiB back", limit, got)
		}
		var got []string
		for _, is := range rep.Snapshots[0].Issues {
			got = append(got, is.File+" "+is.Property+" "+is.Message)
		}
		want := []string{pb + " members[1].id " + dead + " names no object in the snapshot (users): a dangling reference Graph would not return; export again, or remove it"}
		if limit > 0 {
			want = append([]string{pa + "  " + TooLargeMessage(limit)}, want...)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || rep.Snapshots[0].Files != 312 {
			t.Errorf("limit %d: %d files, issues:\n%s\nwant:\n%s", limit, rep.Snapshots[0].Files, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
