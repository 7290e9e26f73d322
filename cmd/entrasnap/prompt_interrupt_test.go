package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/internal/interrupt"
)

// promptWriter cancels the run (as run's signal handler does on Ctrl-C)
// once the prompt has been written.
type promptWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	prompt string
	cancel func()
}

func (w *promptWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.cancel != nil && strings.Contains(w.buf.String(), w.prompt) {
		w.cancel()
		w.cancel = nil
	}
	return len(p), nil
}

func (w *promptWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }

// Ctrl-C at restore's confirmation prompt ends the run with exit 130 and
// nothing written; before, the read of the terminal went on until Enter
// or a second Ctrl-C.
func TestCtrlCAtThePromptExits130(t *testing.T) {
	e := newRstEnv(t, nil)
	g, members := rstGroupWithMembers(e, 2)
	gid := rstStr(g["id"])
	e.do("DELETE", "/v1.0/groups/"+gid+"/members/"+members[0]+"/$ref", nil)

	for _, tc := range []struct {
		name, prompt string
		args         []string
	}{
		{"apply this plan", "Apply this plan?", []string{gid}},
		{"tenant name", "Type the name of the tenant", []string{"--all", "--no-remove"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdin, never := io.Pipe() // a terminal nobody types into
			defer never.Close()
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			errw := &promptWriter{prompt: tc.prompt, cancel: func() { cancel(interrupt.Signal{Sig: os.Interrupt}) }}
			args := append([]string{"entrasnap", "restore", "--repo", e.repo, "--at", e.first, "--graph-url", e.url, "--access-token", e.sim.Token()}, tc.args...)
			done := make(chan int, 1)
			var out bytes.Buffer
			go func() {
				done <- runContext(ctx, &env{args: args, streams: streams{stdin: stdin, stdout: &out, stderr: errw, canPrompt: true}})
			}()
			select {
			case code := <-done:
				if code != 130 || !strings.Contains(errw.String(), "interrupted by SIGINT (Ctrl-C): restore cancelled at the prompt, nothing was written") {
					t.Errorf("exit %d\n%s", code, errw.String())
				}
			case <-time.After(2 * time.Minute): // a failure guard only: the run must end on the cancel
				t.Fatalf("restore still waits at the prompt after Ctrl-C\n%s", errw.String())
			}
			if n := len(e.list("/v1.0/groups/" + gid + "/members?$select=id")); n != len(members)-1 {
				t.Errorf("%d members: written after Ctrl-C", n)
			}
		})
	}
}
