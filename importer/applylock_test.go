package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/entrasnap/entrasnap/exporter"
	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
)

// lockChildEnv names the repository TestApplyLockChild locks, in a child
// process TestApplyLock kills.
const lockChildEnv = "ENTRASNAP_TEST_APPLY_LOCK_REPO"

// applyIndex tells TestApplyLock's applyChecked which apply it holds.
type applyIndex struct{}

// TestApplyLockChild is not a test of its own: run by TestApplyLock as a
// child process, it takes the repository lock as an apply does
// (lockApply), says so on stdout and waits to be killed.
func TestApplyLockChild(t *testing.T) {
	dir := os.Getenv(lockChildEnv)
	if dir == "" {
		t.Skip("run by TestApplyLock")
	}
	r, err := snapshot.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lockApply(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	fmt.Println("locked")
	select {}
}

// TestApplyLock: an apply holds the repository lock from its plan's check
// to its post-apply snapshot (applylock.go). A plan applied while another
// run holds the lock is refused with nothing written, naming the lock file
// and its holder; two applies of the same plan started at once (each with
// its own Repo, as two processes) write once: one applies, the other is
// refused by the lock or, if it came after, by AppliedError; a run killed
// while holding the lock leaves it, and the next apply takes it over with a
// note naming the dead pid, and releases it.
func TestApplyLock(t *testing.T) {
	e := newEnv(t, graphsim.Options{}, nil)
	ctx := context.Background()
	wt := e.repo.WorkTree()
	host, _ := os.Hostname()
	lockPath := filepath.Join(e.repo.GitDir(), snapshot.LockFile)
	// plan commits a new group on the branch and plans that one commit.
	plan := func(name string) []byte {
		t.Helper()
		base := strings.TrimSpace(git(t, wt, "rev-parse", "HEAD"))
		e.writeWT("groups/new-"+name+".yaml", fmt.Sprintf("displayName: %q\ngroupTypes: []\nmailEnabled: false\nmailNickname: %q\nsecurityEnabled: true\n", "Lock "+name, name))
		e.commitAll("add " + name)
		head := strings.TrimSpace(git(t, wt, "rev-parse", "HEAD"))
		p, err := e.planFiles(Files{From: base, To: head}, Options{})
		if err != nil {
			t.Fatalf("plan %s: %v", name, err)
		}
		if c := p.Counts(); len(p.Actions) != 1 || c[OpCreate] != 1 {
			t.Fatalf("want the create of %s:\n%s", name, render(p))
		}
		data, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	decode := func(data []byte) *Plan {
		t.Helper()
		p, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	made := func(name string) (n int) {
		for _, g := range e.sim.Tenant().List("group") {
			if g["displayName"] == "Lock "+name {
				n++
			}
		}
		return n
	}
	// opts are applyOpts for a Repo of its own (another process's).
	opts := func(r *snapshot.Repo) ApplyOptions {
		return ApplyOptions{Client: e.c, Repo: r, Sleep: simtest.Sleep(e.sim), ConsistencyTimeout: e.applyOpts().ConsistencyTimeout,
			Record: func(ctx context.Context, kinds []*layout.Kind, msg string, files map[string][]byte) (*SnapshotInfo, error) {
				res, err := exporter.Options{Client: e.c, Repo: r, Now: e.clock}.Record(ctx, kinds, msg, files)
				if res == nil {
					return nil, err
				}
				return &SnapshotInfo{Changed: res.Changed, Commit: res.Commit, Tag: res.Tag, Detail: res}, err
			}}
	}
	open := func() *snapshot.Repo {
		t.Helper()
		r, err := snapshot.Open(e.repo.Path())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	noLock := func(step string) {
		t.Helper()
		if _, err := os.Stat(lockPath); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the lock file is left: %v", step, err)
		}
	}

	// Another run holds the lock: refused, nothing written, nothing marked.
	p1 := plan("held")
	_, unlock, err := open().HoldLock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	headBefore := git(t, wt, "rev-parse", "HEAD")
	res, err := Apply(ctx, decode(p1), opts(open()))
	if !errors.Is(err, snapshot.ErrLocked) || res != nil {
		t.Fatalf("an apply while another run holds the lock: %v, %+v", err, res)
	}
	for _, want := range []string{lockPath, fmt.Sprintf("pid %d on host %s", os.Getpid(), host), "nothing was written", "apply again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if made("held") != 0 || git(t, wt, "rev-parse", "HEAD") != headBefore {
		t.Errorf("a refused apply wrote: %d made", made("held"))
	}
	if _, err := e.repo.ReadState(AppliedFile); !errors.Is(err, snapshot.ErrNotFound) {
		t.Errorf("a refused apply marked its plan: %v", err)
	}
	unlock()
	noLock("released")
	if res, err := Apply(ctx, decode(p1), opts(open())); err != nil || !res.Complete() || res.Snapshot == nil || made("held") != 1 {
		t.Fatalf("the apply once the lock is released: %v, %d made, %+v", err, made("held"), res)
	}
	noLock("after an apply")

	// The same plan applied twice at once: one writes, once.
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	for round := range rounds {
		name := fmt.Sprintf("twice-%d", round)
		data := plan(name)
		var (
			start sync.WaitGroup
			done  sync.WaitGroup
			errs  [2]error
			ress  [2]*Result
		)
		// An apply past its check waits until the other one is past its
		// check too or has returned: without the lock both would pass
		// checkApplied before either marked the plan.
		var passed [2]chan struct{}
		var once [2]sync.Once
		for i := range passed {
			passed[i] = make(chan struct{})
		}
		applyChecked = func(ctx context.Context) {
			i, ok := ctx.Value(applyIndex{}).(int)
			if !ok {
				return
			}
			once[i].Do(func() { close(passed[i]) })
			<-passed[1-i]
		}
		start.Add(1)
		for i := range 2 {
			p, o := decode(data), opts(open())
			done.Add(1)
			go func() {
				defer done.Done()
				defer once[i].Do(func() { close(passed[i]) })
				start.Wait()
				ress[i], errs[i] = Apply(context.WithValue(ctx, applyIndex{}, i), p, o)
			}()
		}
		start.Done()
		done.Wait()
		applyChecked = nil
		applied := 0
		for i := range 2 {
			var ae *AppliedError
			switch {
			case errs[i] == nil && ress[i].Complete():
				applied++
			case errors.Is(errs[i], snapshot.ErrLocked) || errors.As(errs[i], &ae):
				if ress[i] != nil || !strings.Contains(errs[i].Error(), "nothing was written") {
					t.Errorf("%s: the refused apply %d: %+v, %v", name, i, ress[i], errs[i])
				}
			default:
				t.Errorf("%s: apply %d: %v, %+v", name, i, errs[i], ress[i])
			}
		}
		if applied != 1 || made(name) != 1 {
			t.Errorf("%s: %d applies complete, %d groups made; want 1 and 1 (%v)", name, applied, made(name), errs)
		}
		noLock(name)
	}

	// A run killed while it holds the lock (as an apply does) leaves it;
	// the next apply sees its pid gone, takes it over with a note and
	// releases it when done.
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		return // elsewhere a dead holder is not told from a live one (snapshot.processAlive)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestApplyLockChild$")
	child.Env = append(os.Environ(), lockChildEnv+"="+e.repo.Path())
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "locked\n" {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("the child did not lock: %q %v", line, err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	b, err := os.ReadFile(lockPath)
	if err != nil || !strings.Contains(string(b), fmt.Sprintf("pid %d\n", child.Process.Pid)) {
		t.Fatalf("the killed run left no lock of its own: %q %v", b, err)
	}
	p3 := plan("after-kill")
	r := open()
	var notes []string
	r.SetNotify(func(msg string) { notes = append(notes, msg) })
	if res, err := Apply(ctx, decode(p3), opts(r)); err != nil || !res.Complete() || made("after-kill") != 1 {
		t.Fatalf("the apply after a killed run: %v, %d made, %+v", err, made("after-kill"), res)
	}
	if want := fmt.Sprintf("took over the repository lock %s: its holder, pid %d on host %s", lockPath, child.Process.Pid, host); len(notes) == 0 || !strings.HasPrefix(notes[0], want) {
		t.Errorf("no note of the stale lock taken over (%q): %q", want, notes)
	}
	noLock("after a take-over")
}
