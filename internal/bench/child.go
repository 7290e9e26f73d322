package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/entrasnap/entrasnap/graph"
)

// Exec runs one child export: it sends stdin (a childRequest) to a new
// process and returns what the process wrote on stdout and what it used.
type Exec func(ctx context.Context, stdin []byte) (stdout []byte, used Usage, err error)

// Usage is what a child process used, from its rusage (wait4): its peak
// resident memory in KiB (0 where the platform does not say) and its CPU
// time in user and kernel mode.
type Usage struct {
	PeakRSSKiB int64
	User, Sys  time.Duration
}

// ReExec runs path with args (and extra environment entries) as the child:
// the entrasnap binary itself with "bench --child", or a test binary whose
// TestMain calls Child. The child's progress lines (progressPrefix) go to
// log as they come, as "bench: child: ..." (nil: dropped); the rest of its
// stderr is kept for the error.
func ReExec(path string, args, env []string, log io.Writer) Exec {
	return func(ctx context.Context, stdin []byte) ([]byte, Usage, error) {
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = append(cmd.Environ(), env...)
		cmd.Stdin = bytes.NewReader(stdin)
		var out, errb bytes.Buffer
		split := &progressSplit{log: log, rest: &errb}
		cmd.Stdout, cmd.Stderr = &out, split
		err := cmd.Run()
		split.flush()
		var used Usage
		if ps := cmd.ProcessState; ps != nil {
			used = Usage{PeakRSSKiB: maxRSSKiB(ps), User: ps.UserTime(), Sys: ps.SystemTime()}
		}
		if err != nil {
			return nil, used, fmt.Errorf("child export (%s): %w: %s", path, err, strings.TrimSpace(errb.String()))
		}
		return out.Bytes(), used, nil
	}
}

// childRequest is what the parent sends a child on stdin (not on the
// command line, where other users of the machine could read the token).
type childRequest struct {
	GraphURL  string `json:"graphUrl"`
	Token     string `json:"token"`
	Repo      string `json:"repo"`
	Message   string `json:"message"`
	UserAgent string `json:"userAgent"`
	// Virtual: the client's waits move graphsim's clock (through its
	// /_graphsim/clock/advance endpoint) instead of passing real time.
	Virtual bool `json:"virtual,omitempty"`
}

// progressPrefix starts the lines a child writes on stderr to say how far
// its export got; ReExec passes them on to the bench's log.
const progressPrefix = "progress: "

// progressSplit passes a child's progress lines to log and keeps every
// other byte of its stderr in rest. It is one process's stderr, written by
// os/exec's copying goroutine only.
type progressSplit struct {
	log  io.Writer
	rest *bytes.Buffer
	line []byte
}

// maxProgressLine bounds a line held while its end has not come: longer
// ones are not progress and go to rest as they are.
const maxProgressLine = 4096

func (s *progressSplit) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.line = append(s.line, b...)
			if len(s.line) > maxProgressLine {
				s.rest.Write(s.line)
				s.line = s.line[:0]
			}
			break
		}
		s.line = append(s.line, b[:i+1]...)
		s.emit()
		b = b[i+1:]
	}
	return n, nil
}

func (s *progressSplit) emit() {
	if p, ok := bytes.CutPrefix(s.line, []byte(progressPrefix)); ok {
		if s.log != nil {
			fmt.Fprintf(s.log, "bench: child: %s\n", printable(string(bytes.TrimRight(p, "\r\n"))))
		}
	} else {
		s.rest.Write(s.line)
	}
	s.line = s.line[:0]
}

// flush passes on a last line without its newline.
func (s *progressSplit) flush() {
	if len(s.line) > 0 {
		s.emit()
	}
}

// printable replaces control characters and invalid UTF-8 (a child's line
// is still bytes from another process) with U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// Child runs the export a parent asked for on r and writes its result as
// JSON on w, and a progress line per kind read on progress (the child's
// stderr; nil: none). `entrasnap bench --child` calls it.
func Child(ctx context.Context, r io.Reader, w, progress io.Writer) error {
	var req childRequest
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&req); err != nil {
		return fmt.Errorf("bench --child: reading the request on stdin: %w", err)
	}
	cfg := graph.Config{BaseURL: req.GraphURL, AccessToken: req.Token, UserAgent: req.UserAgent}
	if req.Virtual {
		cfg.Sleep = remoteSleep(req.GraphURL, req.Token)
	}
	client, err := graph.New(cfg)
	if err != nil {
		return fmt.Errorf("bench --child: %w", err)
	}
	res := export(ctx, client, req.Repo, req.Message, benchAuthor, progress)
	res.PeakRSSKiB = selfPeakRSSKiB()
	return json.NewEncoder(w).Encode(res)
}

// remoteSleep is virtualSleep on the clock of the graphsim at graphURL:
// only this process moves it during the run, so it keeps the sum of its
// moves and reads the clock as the wall clock plus that sum.
func remoteSleep(graphURL, token string) func(context.Context, time.Duration) error {
	var moved time.Duration // under virtualSleep's lock
	now := func() time.Time { return time.Now().Add(moved) }
	return virtualSleep(now, func(d time.Duration) error {
		body := fmt.Sprintf(`{"seconds": %.6f}`, d.Seconds())
		req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(graphURL, "/")+"/_graphsim/clock/advance", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("moving graphsim's clock: %w", err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("moving graphsim's clock: %s", resp.Status)
		}
		moved += d
		return nil
	})
}

// childExport runs an export through o.Exec and reads its result.
func (b *runner) childExport(ctx context.Context, s *sim, dir, message string, virtual bool) exportResult {
	req, _ := json.Marshal(childRequest{GraphURL: s.url, Token: s.Token(), Repo: dir, Message: message, UserAgent: b.o.UserAgent, Virtual: virtual})
	out, used, err := b.o.Exec(ctx, req)
	cpu := &exportCPU{User: used.User.Seconds(), Sys: used.Sys.Seconds()}
	if err != nil {
		return exportResult{Error: err.Error(), PeakRSSKiB: used.PeakRSSKiB, Child: cpu}
	}
	var res exportResult
	if err := json.Unmarshal(out, &res); err != nil {
		return exportResult{Error: fmt.Sprintf("child export: reading its result: %v", err), Child: cpu}
	}
	if res.PeakRSSKiB == 0 { // the child could not say: the parent's figure, which may be the parent's own (selfPeakRSSKiB)
		res.PeakRSSKiB = used.PeakRSSKiB
	}
	res.Child = cpu
	return res
}

// ExecCLI runs entrasnap commands as the program at path, each in its own
// process as users run them, with extra environment variables, discarding
// their output: the Options.CLI of `entrasnap bench`.
func ExecCLI(path string) func(ctx context.Context, env map[string]string, args ...string) error {
	return func(ctx context.Context, env map[string]string, args ...string) error {
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = cmd.Environ()
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &errb
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("entrasnap %s: %w: %s", args[0], err, strings.TrimSpace(errb.String()))
		}
		return nil
	}
}

// InProcessCLI runs an entrasnap command in this process (bench
// --in-process) through run, which runs the command line args (args[0] is
// the program's name) and returns its exit code; env is set for the
// command's time.
func InProcessCLI(run func(args []string, stderr io.Writer) int) func(ctx context.Context, env map[string]string, args ...string) error {
	return func(_ context.Context, env map[string]string, args ...string) error {
		for k, v := range env {
			old, had := os.LookupEnv(k)
			os.Setenv(k, v)
			defer func() {
				if had {
					os.Setenv(k, old)
				} else {
					os.Unsetenv(k)
				}
			}()
		}
		var errb bytes.Buffer
		if code := run(append([]string{"entrasnap"}, args...), &errb); code != 0 {
			return fmt.Errorf("entrasnap %s: exit %d: %s", args[0], code, strings.TrimSpace(errb.String()))
		}
		return nil
	}
}
