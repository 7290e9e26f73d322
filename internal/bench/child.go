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

	"github.com/entrasnap/entrasnap/graph"
)

// Exec runs one child export: it sends stdin (a childRequest) to a new
// process and returns what the process wrote on stdout and its peak
// resident memory in KiB (0 where the platform does not say).
type Exec func(ctx context.Context, stdin []byte) (stdout []byte, peakRSSKiB int64, err error)

// ReExec runs path with args (and extra environment entries) as the child:
// the entrasnap binary itself with "bench --child", or a test binary whose
// TestMain calls Child.
func ReExec(path string, args, env []string) Exec {
	return func(ctx context.Context, stdin []byte) ([]byte, int64, error) {
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = append(cmd.Environ(), env...)
		cmd.Stdin = bytes.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var rss int64
		if cmd.ProcessState != nil {
			rss = maxRSSKiB(cmd.ProcessState)
		}
		if err != nil {
			return nil, rss, fmt.Errorf("child export (%s): %w: %s", path, err, strings.TrimSpace(errb.String()))
		}
		return out.Bytes(), rss, nil
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

// Child runs the export a parent asked for on r and writes its result as
// JSON on w. `entrasnap bench --child` calls it.
func Child(ctx context.Context, r io.Reader, w io.Writer) error {
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
	res := export(ctx, client, req.Repo, req.Message, benchAuthor)
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
	out, rss, err := b.o.Exec(ctx, req)
	if err != nil {
		return exportResult{Error: err.Error(), PeakRSSKiB: rss}
	}
	var res exportResult
	if err := json.Unmarshal(out, &res); err != nil {
		return exportResult{Error: fmt.Sprintf("child export: reading its result: %v", err)}
	}
	if res.PeakRSSKiB == 0 { // the child could not say: the parent's figure, which may be the parent's own (selfPeakRSSKiB)
		res.PeakRSSKiB = rss
	}
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
