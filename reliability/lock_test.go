//go:build linux

package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
)

func lockAndDiskScenarios() []scenario {
	return []scenario{
		{
			name:   "concurrent exports",
			checks: "while one export holds the repository (stopped right after taking its lock), a second export is refused naming the holder (its pid), changes nothing, and the first then finishes with a fsck-clean repository",
			run:    concurrentExports,
		},
		{
			name:   "disk full from the first write",
			checks: "export into a repository where no byte can be written (`ulimit -f 0`, writes fail with EFBIG): exit 1 with an error naming the repository or file, same HEAD, `git fsck --strict` clean, no lock left",
			run:    func(r *row) { diskFull(r, 0) },
		},
		{
			name:   "disk full during the write",
			checks: "export where small files fit and larger ones fail (`ulimit -f 1`: 1 KiB): exit 1 with an error naming the repository or file, same HEAD, `git fsck --strict` clean, no lock left",
			run:    func(r *row) { diskFull(r, 1) },
		},
		{
			name:   "read-only repository",
			checks: "export into a repository nobody may write (`chmod -R a-w`; as root the binary runs as user nobody, for whom the mode applies): exit 1 with an error naming the repository, same HEAD, `git fsck --strict` clean",
			run:    readOnly,
		},
	}
}

func concurrentExports(r *row) {
	repo := reference(r, "concurrent")
	s := newSim(r, graphsim.Options{}, nil)
	dailyChange(r, s)
	before := head(repo)
	// pa is set by the export's start and read by the watcher's goroutine.
	var pa atomic.Pointer[os.Process]
	stopped := make(chan struct{})
	resB := make(chan result, 1)
	lockEvents := 0
	w := newWatcher(r, repo, 0, func(ev fsEvent) {
		if ev.class == "lock" {
			lockEvents++
		}
		// The lock is linked into place with its holder written: its first
		// event is the lock taken.
		if p := pa.Load(); lockEvents == 1 && p != nil && stopped != nil {
			p.Signal(syscall.SIGSTOP)
			close(stopped)
			stopped = nil
		}
	})
	startB := make(chan struct{})
	go func() {
		<-startB
		resB <- export(r, s, repo, runOpts{})
	}()
	var waitStop = stopped
	resA := export(r, s, repo, runOpts{start: func(p *os.Process) {
		pa.Store(p)
		go func() {
			select {
			case <-waitStop:
			case <-time.After(20 * time.Second):
				close(startB)
				return
			}
			// A is stopped holding its lock: run B to the end, then let A go on.
			close(startB)
			b := <-resB
			resB <- b
			p.Signal(syscall.SIGCONT)
		}()
	}})
	w.stop()
	b := <-resB
	switch {
	case b.code == 0:
		r.failf("the second export ran while the first held the lock", "%s", short(b.out()))
	case panicked(b.out()):
		r.failf("the second export panicked", "%s", short(b.out()))
	case !strings.Contains(b.stderr, "pid "+strconv.Itoa(pa.Load().Pid)):
		r.failf("the refusal does not name the holder", "holder pid %d; stderr: %s", pa.Load().Pid, short(b.stderr))
	}
	if resA.code != 0 {
		r.failf("the first export failed", "exit %d: %s", resA.code, short(resA.out()))
	}
	if head(repo) == before {
		r.failf("the first export committed nothing", "")
	}
	if f := fsck(repo); f != "" {
		r.failf("git fsck --strict", "%s", f)
	}
}

// unchanged checks a failed write left the repository as it was.
func unchanged(r *row, repo, before string, res result, what string) {
	if res.code == 0 {
		r.failf(what+": export succeeded", "%s", short(res.out()))
		return
	}
	if panicked(res.out()) {
		r.failf(what+": panicked", "%s", short(res.out()))
	}
	if res.code != 1 {
		r.failf(fmt.Sprintf("%s: exit %d, not 1", what, res.code), "%s", short(res.out()))
	}
	if !strings.Contains(res.stderr, repo) {
		r.failf(what+": the error does not name the repository or file", "%s", short(res.stderr))
	}
	if h := head(repo); h != before {
		r.failf(what+": HEAD moved", "%s → %s", before, h)
	}
	if f := fsck(repo); f != "" {
		r.failf(what+": git fsck --strict", "%s", f)
	}
	if _, err := os.Stat(filepath.Join(repo, ".git", "entrasnap.lock")); err == nil {
		r.failf(what+": the lock was left behind", "")
	}
	r.Logf("%s: exit %d: %s", what, res.code, strings.TrimSpace(res.stderr))
}

func diskFull(r *row, blocks int) {
	repo := reference(r, "diskfull")
	s := newSim(r, graphsim.Options{}, nil)
	dailyChange(r, s)
	before := head(repo)
	wrap := []string{"bash", "-c", fmt.Sprintf(`trap '' XFSZ; ulimit -f %d; exec "$@"`, blocks), "entrasnap"}
	res := export(r, s, repo, runOpts{wrap: wrap})
	unchanged(r, repo, before, res, "disk full")
	if !strings.Contains(res.stderr, "too large") && !strings.Contains(res.stderr, "no space") {
		r.note("the error does not say the disk is full")
	}
	// Space again: the next export works.
	if res2 := export(r, s, repo, runOpts{}); res2.code != 0 {
		r.failf("the next export (space again) fails", "exit %d: %s", res2.code, short(res2.out()))
	} else if f := fsck(repo); f != "" {
		r.failf("git fsck --strict after the next export", "%s", f)
	}
}

func readOnly(r *row) {
	repo := reference(r, "readonly")
	s := newSim(r, graphsim.Options{}, nil)
	dailyChange(r, s)
	before := head(repo)
	filepath.Walk(repo, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			os.Chmod(p, info.Mode().Perm()&^0o222)
		}
		return nil
	})
	defer filepath.Walk(repo, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			os.Chmod(p, info.Mode().Perm()|0o200)
		}
		return nil
	})
	o := runOpts{}
	if os.Geteuid() == 0 {
		home := filepath.Join(filepath.Dir(repo), "home")
		os.Mkdir(home, 0o777)
		o.cred = &syscall.Credential{Uid: 65534, Gid: 65534}
		o.env = []string{"HOME=" + home}
		o.dir = home
	}
	res := export(r, s, repo, o)
	unchanged(r, repo, before, res, "read-only")
}
