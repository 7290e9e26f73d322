//go:build linux

package reliability

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/entrasnap/entrasnap/graphsim"
)

func secretsScenario() scenario {
	return scenario{
		name:   "no secret in any output",
		checks: "every token graphsim issued, client secrets made with addPassword and users' initial passwords appear in no stdout or stderr of the suite, no file of any repository it wrote, and no git object, reachable or not (`git cat-file --batch-all-objects`); runs last",
		run:    noSecrets,
	}
}

func noSecrets(r *row) {
	// A tenant with a fresh client secret, exported, diffed, shown and planned.
	s := newSim(r, graphsim.Options{}, nil)
	repo := reference(r, "secrets")
	apps := s.srv.Tenant().List("application")
	appID := apps[0]["id"].(string)
	pw := s.mustCall(r, "POST", "/applications/"+appID+"/addPassword", map[string]any{"passwordCredential": map[string]any{"displayName": "reliability"}})
	secret, _ := pw["secretText"].(string)
	if secret == "" {
		r.Fatalf("addPassword returned no secretText: %v", pw)
	}
	keepSecret(secret, "a client secret made with addPassword")
	if res := export(r, s, repo, runOpts{}); res.code != 0 {
		r.Fatalf("export: exit %d\n%s", res.code, res.out())
	}
	run(r, nil, runOpts{}, "diff", "--repo", repo, "HEAD~1", "HEAD")
	run(r, nil, runOpts{}, "diff", "--repo", repo, "--format", "json", "HEAD~1", "HEAD")
	run(r, nil, runOpts{}, "show", "--repo", repo, appID)
	run(r, nil, runOpts{}, "log", "--repo", repo, appID)
	s.mustCall(r, "PATCH", "/applications/"+appID, map[string]any{"displayName": "renamed"})
	run(r, s, runOpts{}, "restore", "--repo", repo, "--at", "HEAD", appID, "--out", filepath.Join(filepath.Dir(repo), "plan.json"))
	run(r, s, runOpts{}, "drift", "--repo", repo)

	secrets := secretList()
	if len(secrets) < 3 {
		r.Fatalf("only %d secrets collected", len(secrets))
	}
	outputs.Lock()
	blobs := append([][]byte(nil), outputs.blobs...)
	repos := append([]string(nil), outputs.repos...)
	whats := outputs.secrets
	outputs.Unlock()
	found := func(where string, data []byte) {
		for _, sec := range secrets {
			if bytes.Contains(data, []byte(sec)) {
				r.failf(whats[sec]+" leaked", "in %s", where)
			}
		}
	}
	for _, b := range blobs {
		found("a command's output", b)
	}
	scanned, objects := 0, 0
	seen := map[string]bool{}
	for _, repo := range repos {
		dir := filepath.Dir(repo)
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && info.Mode().IsRegular() && info.Size() < 64<<20 {
				if b, err := os.ReadFile(p); err == nil {
					scanned++
					found(p, b)
				}
			}
			return nil
		})
		if _, err := os.Stat(filepath.Join(repo, ".git")); err != nil {
			continue
		}
		// Every object, packed or loose, reachable or not; each object once
		// (the repositories are mostly copies of one another).
		list, _ := git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
		var fresh []string
		for _, id := range strings.Fields(list) {
			if !seen[id] {
				seen[id] = true
				fresh = append(fresh, id)
			}
		}
		if len(fresh) > 0 {
			cmd := exec.Command("git", "-C", repo, "cat-file", "--batch")
			cmd.Stdin = strings.NewReader(strings.Join(fresh, "\n") + "\n")
			objs, err := cmd.Output()
			if err != nil {
				r.failf("could not read git objects", "%s: %v", repo, err)
			}
			found(repo+": git objects", objs)
			objects += len(fresh)
		}
	}
	r.Logf("%d secrets, %d outputs, %d repositories, %d files, %d git objects scanned", len(secrets), len(blobs), len(repos), scanned, objects)
	if len(blobs) == 0 || scanned == 0 || objects == 0 {
		r.failf("nothing was scanned", "")
	}
}
