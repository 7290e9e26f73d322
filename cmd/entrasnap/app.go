package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/internal/interrupt"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

// Exit codes, decided here and nowhere else.
const (
	exitOK      = 0  // success; for diff/drift/plan: no changes
	exitError   = 1  // an error: nothing was changed or the report says what was
	exitChanges = 2  // success, and changes or drift were found (like terraform -detailed-exitcode)
	exitPartial = 3  // finished but incomplete: a snapshot marked incomplete, a restore partly applied
	exitUsage   = 64 // bad flags or arguments
	// 128 + the signal number when a signal stopped the run
	// (interrupt.Signal.Code): 130 for SIGINT (Ctrl-C), 143 for SIGTERM.
)

// exitUntrusted: check --verify-signatures found a commit or snapshot tag
// unsigned, or not signed by an allowed signer.
const exitUntrusted = 4

// exitError carries an exit code through urfave/cli to run.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &codedError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// env is what commands need from the outside world, injected: the command
// line as given (args[0] is the program name), the standard streams and
// the factory. Tests build their own.
type env struct {
	args []string
	streams
	factory
}

// streams are the standard streams and the decisions made from them once:
// colour only when stdout is a terminal, live progress lines only when
// stderr is one, prompts only when stdin is one.
type streams struct {
	stdin                    io.Reader
	stdout, stderr           io.Writer
	color, errTTY, canPrompt bool
}

func newStreams(stdin io.Reader, stdout, stderr io.Writer) streams {
	return streams{stdin: stdin, stdout: stdout, stderr: stderr,
		color: isTerminal(stdout), errTTY: isTerminal(stderr), canPrompt: isTerminal(stdin)}
}

// isTerminal reports whether f is an *os.File on a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// factory makes what commands take from the world besides the streams:
// Graph clients, the clock (commit times and tags) and the wait between
// retries. nil fields mean the real clock and timer; tests use graphsim's.
type factory struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// client builds the Graph client for cn (live.Connection.Client) with the
// factory's wait between retries; what the user gave wrong exits 64.
func (f factory) client(cn live.Connection, userAgent string) (*graph.Client, error) {
	cn.UserAgent, cn.Sleep, cn.LookPath = userAgent, f.sleep, lookPath
	c, err := cn.Client()
	if ue := (*live.UsageError)(nil); errors.As(err, &ue) {
		return nil, &codedError{code: exitUsage, err: err}
	}
	return c, err
}

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:                  "entrasnap",
		Usage:                 "keep a Microsoft Entra ID tenant's configuration as code",
		Version:               version,
		Description:           helpText("entrasnap"),
		CustomAppHelpTemplate: cli.AppHelpTemplate + "\n" + helpText("exit-codes") + "\n",
		Reader:                e.stdin,
		Writer:                e.stdout,
		ErrWriter:             e.stderr,
		HideHelpCommand:       true,
		Commands: []*cli.Command{
			demoCommand(e),
			exportCommand(e),
			snapshotsCommand(e),
			diffCommand(e),
			logCommand(e),
			showCommand(e),
			driftCommand(e),
			checkCommand(e),
			evidenceCommand(e),
			validateCommand(e),
			restoreCommand(e),
			applyCommand(e),
			rehearseCommand(e),
			kindsCommand(e),
			graphsimCommand(e),
			benchCommand(e),
			versionCommand(e),
			completionCommand(e),
		},
		OnUsageError: func(c *cli.Context, err error, isSubcommand bool) error {
			return &codedError{code: exitUsage, err: err}
		},
		ExitErrHandler: func(*cli.Context, error) {}, // run decides exit codes
	}
	for _, c := range app.Commands {
		if c.OnUsageError == nil {
			c.OnUsageError = app.OnUsageError
		}
	}
	return app
}

// run executes the CLI and maps the outcome to an exit code. SIGINT
// (Ctrl-C) and SIGTERM cancel the command's context: the command stops at
// its next safe point (nothing half-written: see "If a run was interrupted"
// in the README) and the exit code is 130 or 143, as shells expect. A
// second signal ends the process at once (also safe: every write step
// survives a kill).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := interrupt.Context(context.Background())
	defer stop()
	return runContext(ctx, &env{args: args, streams: newStreams(stdin, stdout, stderr)})
}

// runContext runs the CLI of e with ctx; a context cancelled with cause
// interrupt.Signal exits as that signal asks.
func runContext(ctx context.Context, e *env) int {
	err := newApp(e).RunContext(ctx, e.args)
	var in interrupt.Signal
	if errors.As(context.Cause(ctx), &in) {
		fmt.Fprintf(scrubWriter{e.stderr}, "entrasnap: %s\n", in.Message(err))
		return in.Code()
	}
	return exitCode(err, e.stderr)
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	// Every error is scrubbed before it is printed: credentials in a URL
	// (a --push remote) and the values of GIT_TOKEN/GITHUB_TOKEN never show.
	stderr = scrubWriter{stderr}
	var ce *codedError
	if errors.As(err, &ce) {
		if ce.err != nil && ce.code != exitChanges {
			fmt.Fprintf(stderr, "entrasnap: %v\n", ce.err)
		}
		return ce.code
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if ec.Error() != "" {
			fmt.Fprintf(stderr, "entrasnap: %v\n", ec)
		}
		return ec.ExitCode()
	}
	fmt.Fprintf(stderr, "entrasnap: %v\n", err)
	return exitError
}

// oneOf refuses a flag's value v unless it is one of want (two or more).
func oneOf(flag, v string, want ...string) error {
	if slices.Contains(want, v) {
		return nil
	}
	return usageErrorf("--%s %q: want %s or %s", flag, v, strings.Join(want[:len(want)-1], ", "), want[len(want)-1])
}

// writeJSON writes v as indented JSON: the --json output of commands.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// scrubWriter masks credentials (snapshot.Scrub) in what is written to w.
type scrubWriter struct{ w io.Writer }

func (s scrubWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, snapshot.Scrub(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
