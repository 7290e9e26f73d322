//go:build linux

package reliability

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// A broken file is committed into a copy of the reference snapshot; check
// must report it by path (exit 1, no panic); diff of the two commits and
// show of an unrelated object must work or fail naming the file.
type breakage struct {
	name  string
	what  string
	apply func(t testing.TB, repo string) string // returns the broken file's path
}

func brokenFileScenarios() []scenario {
	var out []scenario
	for _, b := range breakages() {
		b := b
		out = append(out, scenario{
			name:   "broken file: " + b.name,
			checks: b.what + ": `check` exits 1 naming the file, never panics; `diff` of the commit and `show` of another object work or fail naming the file",
			run:    func(r *row) { brokenFile(r, b) },
		})
	}
	return out
}

// objectFile picks a repository file of the given folder, the first in order.
func objectFile(t testing.TB, repo, folder string) string {
	t.Helper()
	var all []string
	for p := range blobs(t, repo, "HEAD") {
		if strings.HasPrefix(p, folder+"/") {
			all = append(all, p)
		}
	}
	sort.Strings(all)
	if len(all) == 0 {
		t.Fatalf("no files in %s", folder)
	}
	return all[0]
}

func rewrite(t testing.TB, repo, folder string, f func(old []byte) []byte) string {
	t.Helper()
	p := objectFile(t, repo, folder)
	old, err := os.ReadFile(filepath.Join(repo, p))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, p), f(old), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func breakages() []breakage {
	return []breakage{
		{"truncated YAML", "a group's file cut in the middle of a line", func(t testing.TB, repo string) string {
			return rewrite(t, repo, "groups", func(b []byte) []byte {
				i := bytes.Index(b, []byte("displayName: \"")) + len("displayName: \"") + 2
				return b[:i]
			})
		}},
		{"invalid UTF-8", "a group's displayName holding bytes 0xff 0xfe", func(t testing.TB, repo string) string {
			return rewrite(t, repo, "groups", func(b []byte) []byte {
				return bytes.Replace(b, []byte("displayName: \""), []byte("displayName: \"\xff\xfe"), 1)
			})
		}},
		{"duplicate keys", "a group's file with displayName twice", func(t testing.TB, repo string) string {
			return rewrite(t, repo, "groups", func(b []byte) []byte { return append(b, "displayName: \"twice\"\n"...) })
		}},
		{"YAML bomb", "a billion-laughs file (nested anchors and aliases) in place of a group", func(t testing.TB, repo string) string {
			return rewrite(t, repo, "groups", func([]byte) []byte {
				var s strings.Builder
				s.WriteString("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
				for i := 1; i < 10; i++ {
					fmt.Fprintf(&s, "a%d: &a%d [", i, i)
					for j := 0; j < 9; j++ {
						if j > 0 {
							s.WriteString(",")
						}
						fmt.Fprintf(&s, "*a%d", i-1)
					}
					s.WriteString("]\n")
				}
				return []byte(s.String())
			})
		}},
		{"deep nesting", "a group's file with a value nested 100,000 flow sequences deep", func(t testing.TB, repo string) string {
			return rewrite(t, repo, "groups", func(b []byte) []byte {
				return append(b, ("extra: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n")...)
			})
		}},
		{"wrong kind folder", "a user's file copied into the groups folder under its own name", func(t testing.TB, repo string) string {
			u := objectFile(t, repo, "users")
			b, _ := os.ReadFile(filepath.Join(repo, u))
			p := "groups/" + strings.TrimPrefix(u, "users/")
			os.MkdirAll(filepath.Dir(filepath.Join(repo, p)), 0o755)
			os.WriteFile(filepath.Join(repo, p), b, 0o644)
			return p
		}},
		{"file at wrong path", "a group's file moved to a name and shard that do not match its id", func(t testing.TB, repo string) string {
			g := objectFile(t, repo, "groups")
			p := "groups/zz/not-this-group.00000000-0000-0000-0000-00000000abcd.yaml"
			os.MkdirAll(filepath.Join(repo, "groups/zz"), 0o755)
			if err := os.Rename(filepath.Join(repo, g), filepath.Join(repo, p)); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"empty file", "a group's file emptied", func(t testing.TB, repo string) string {
			return rewrite(t, repo, "groups", func([]byte) []byte { return nil })
		}},
		{"binary garbage", "a group's file replaced by 4 KiB of random bytes with NULs", func(t testing.TB, repo string) string {
			return rewrite(t, repo, "groups", func([]byte) []byte {
				rng := rand.New(rand.NewPCG(9, 9))
				b := make([]byte, 4096)
				for i := range b {
					b[i] = byte(rng.IntN(256))
				}
				return b
			})
		}},
		{"BOM", "a group's file starting with a UTF-8 byte order mark", func(t testing.TB, repo string) string {
			return rewrite(t, repo, "groups", func(b []byte) []byte { return append([]byte("\xEF\xBB\xBF"), b...) })
		}},
	}
}

func brokenFile(r *row, b breakage) {
	repo := reference(r, "broken")
	path := b.apply(r, repo)
	if _, err := git(repo, "add", "-A"); err != nil {
		r.Fatal(err)
	}
	if _, err := git(repo, "commit", "-q", "-m", "hand edit: "+b.name); err != nil {
		r.Fatal(err)
	}
	other := objectFile(r, repo, "users")
	otherID := other[strings.LastIndexByte(other[:len(other)-len(".yaml")], '.')+1 : len(other)-len(".yaml")]

	chk := run(r, nil, runOpts{}, "check", "--repo", repo)
	switch {
	case panicked(chk.out()):
		r.failf("check panics", "%s", short(chk.out()))
	case chk.code != 1:
		r.failf(fmt.Sprintf("check exits %d, not 1", chk.code), "%s", short(chk.out()))
	case !strings.Contains(chk.out(), path):
		r.failf("check does not name the file", "%s: %s", path, short(chk.out()))
	}
	for _, c := range []struct {
		what string
		args []string
	}{
		{"diff", []string{"diff", "--repo", repo, "HEAD~1", "HEAD"}},
		{"show", []string{"show", "--repo", repo, otherID}},
	} {
		res := run(r, nil, runOpts{}, c.args...)
		switch {
		case panicked(res.out()):
			r.failf(c.what+" panics", "%s", short(res.out()))
		case res.code == 0 || res.code == 2:
			r.note(c.what + " works")
		case res.code == 1 && strings.Contains(res.stderr, path):
			r.note(c.what + " fails naming the file")
		default:
			r.failf(c.what+" fails without naming the file", "exit %d: %s", res.code, short(res.out()))
		}
	}
}
