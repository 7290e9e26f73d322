// Command entrasnap keeps a Microsoft Entra ID tenant's configuration as code:
// it exports every object as YAML into a git repository, shows history and
// drift from git, and restores objects from any snapshot.
package main

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/internal/buildinfo"
	"github.com/entrasnap/entrasnap/internal/complete"
	"github.com/entrasnap/entrasnap/internal/interrupt"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
	"github.com/entrasnap/entrasnap/schemas"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/pkg/browser"
	"github.com/urfave/cli/v2"
)

// Exit codes, decided here and nowhere else.
const (
	exitOK      = 0  // success; for diff/drift/plan: no changes
	exitError   = 1  // an error: nothing was changed or the report says what was
	exitChanges = 2  // success, and changes or drift were found (like terraform -detailed-exitcode)
	exitPartial = 3  // finished but incomplete: a snapshot marked incomplete, a restore partly applied
	exitUsage   = 64 // bad flags or arguments
	// check --verify-signatures found a commit or snapshot tag unsigned,
	// or not signed by an allowed signer.
	exitUntrusted = 4
	// 128 + the signal number when a signal stopped the run
	// (interrupt.Signal.Code): 130 for SIGINT (Ctrl-C), 143 for SIGTERM.
)

// codedError carries an exit code through urfave/cli to run.
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
		fmt.Fprintf(snapshot.ScrubWriter{W: e.stderr}, "entrasnap: %s\n", in.Message(err))
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
	stderr = snapshot.ScrubWriter{W: stderr}
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

// output is how a command writes its result, decided once from its flags
// and the streams: the format its --json (json when given, else text) or
// its --format chose, for the library's Render to write, and colour, only
// for text on a terminal.
type output struct {
	format string
	color  bool
}

// outputOf is the output c's flags ask for on e's standard output.
func (e *env) outputOf(c *cli.Context) output {
	format := cmp.Or(c.String("format"), layout.FormatText)
	if c.Bool("json") {
		format = layout.FormatJSON
	}
	return output{format: format, color: e.color && format == layout.FormatText}
}

// textOutput is text on e's standard output, coloured on a terminal: the
// output of commands run for a person without their flags (the demo).
func (e *env) textOutput() output {
	return output{format: layout.FormatText, color: e.color}
}

// json reports whether the output is JSON.
func (o output) json() bool { return o.format == layout.FormatJSON }

// The commands' long help (their --help description) is kept as text files
// in help/, one per command, so it reads and reviews as prose. "{{name}}"
// stands for the text of help/name.txt (a paragraph two commands share).
//
//go:embed help/*.txt
var helpFiles embed.FS

var helpInclude = regexp.MustCompile(`\{\{([a-z-]+)\}\}`)

// helpText is help/name.txt without its final newline, includes expanded;
// a missing file is a bug the help test catches (the text then says so).
func helpText(name string) string {
	data, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		return "(no help text: " + err.Error() + ")"
	}
	return helpInclude.ReplaceAllStringFunc(strings.TrimSuffix(string(data), "\n"), func(m string) string {
		return helpText(m[2 : len(m)-2])
	})
}

// version is the version entrasnap reports and sends in its User-Agent:
// the value of -ldflags "-X main.version=v1.2.3" when a release build sets
// it, otherwise the module version from the build information: "v1.2.3"
// for `go install github.com/entrasnap/entrasnap/cmd/entrasnap@v1.2.3`; for
// a build from a checkout the pseudo-version Go derives from git
// ("v0.0.0-20261205172634-ab6df82e6e71+dirty"), or "(devel)" when the build
// recorded no VCS information (-buildvcs=false).
var version string

func init() {
	bi, _ := debug.ReadBuildInfo()
	version = buildinfo.Version(bi, version)
	cli.VersionPrinter = func(c *cli.Context) {
		bi, _ := debug.ReadBuildInfo()
		buildinfo.Write(c.App.Writer, "entrasnap", bi, version)
	}
}

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "version",
		Usage:       "print the version, the VCS revision it was built from, and the Go version (as --version)",
		Description: helpText("version"),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("version takes no arguments")
			}
			cli.VersionPrinter(c) // on c.App.Writer: e.stdout
			return nil
		},
	}
}

func main() {
	// One command a process: a kind's compiled schema is freed once its
	// files are made (not held while the largest kinds are read). Tests
	// call run, keeping them for the process as they run many commands.
	schemas.DropAfterUse(true)
	peakHeapProfile()
	stop := cpuProfile()
	code := run(os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// connectionFlags are the flags of every command that talks to Graph.
func connectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "tenant-id", EnvVars: []string{"AZURE_TENANT_ID"}, Usage: "Entra tenant id or initial domain", Category: "Connection"},
		&cli.StringFlag{Name: "client-id", EnvVars: []string{"AZURE_CLIENT_ID"}, Usage: "application (client) id of the app registration entrasnap signs in as", Category: "Connection"},
		&cli.StringFlag{Name: "cloud", Value: "global", Usage: "national cloud: global, usgov, usgovdod or china", Category: "Connection"},
		&cli.StringFlag{Name: "graph-url", EnvVars: []string{"ENTRASNAP_GRAPH_URL"}, Usage: "Graph root URL to use instead of the cloud's (graphsim prints one); https, or http to a loopback host only", Category: "Connection"},
		&cli.StringFlag{Name: "access-token", EnvVars: []string{"ENTRASNAP_ACCESS_TOKEN"}, Usage: "a prepared bearer token (graphsim prints one); prefer credentials from the environment for real tenants", Category: "Connection"},
		&cli.StringFlag{Name: "auth", Value: live.AuthEnv, EnvVars: []string{"ENTRASNAP_AUTH"}, Usage: "how to sign in: env (an app's credentials from the environment, or an az login session), device-code (sign in as yourself: open the page shown, type the code) or browser (sign in as yourself in a browser on this machine; entrasnap opens it, or prints the address to open; the app needs http://localhost as a mobile and desktop redirect URI). Signed in as yourself, Graph allows only what your directory roles allow, and restore checks its plan against them first", Category: "Connection"},
		&cli.StringFlag{Name: "authority-host", EnvVars: []string{"AZURE_AUTHORITY_HOST"}, Usage: "with --auth device-code or browser: the https root of the sign-in service instead of the cloud's (a private cloud, or graphsim over TLS)", Category: "Connection"},
		&cli.DurationFlag{Name: "timeout", Value: defaultGraphTimeout, EnvVars: []string{"ENTRASNAP_TIMEOUT"}, Usage: "time limit for the run's Graph requests: entrasnap paces itself to Graph's throttling budget and waits out throttling (429) until then, never giving up earlier; e.g. 90m, 12h", Category: "Connection"},
	}
}

// defaultGraphTimeout is --timeout's default: generous, since a large
// tenant read at Graph's throttling budget can take hours.
const defaultGraphTimeout = 6 * time.Hour

func connectionFrom(c *cli.Context) live.Connection {
	cn := live.Connection{
		TenantID: c.String("tenant-id"), ClientID: c.String("client-id"), Cloud: c.String("cloud"),
		GraphURL: c.String("graph-url"), AccessToken: c.String("access-token"),
		Timeout: c.Duration("timeout"), Auth: c.String("auth"), AuthorityHost: c.String("authority-host"),
	}
	cn.SignInOn(c.App.ErrWriter, openBrowser)
	return cn
}

// openBrowser opens u in the system's browser; tests replace it. What
// the opener prints is not entrasnap's output (stdout may be JSON).
var openBrowser = func(u string) error {
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return browser.OpenURL(u)
}

// lookPath finds a program on PATH; tests replace it.
var lookPath = exec.LookPath

func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "completion",
		Usage:       "print a shell completion script (bash, zsh or fish) for commands, flags and kind names",
		ArgsUsage:   "bash|zsh|fish",
		Description: helpText("completion"),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("completion takes one shell: bash, zsh or fish")
			}
			spec := completionSpec(c.App)
			switch c.Args().First() {
			case "bash":
				return complete.Bash(e.stdout, spec)
			case "zsh":
				return complete.Zsh(e.stdout, spec)
			case "fish":
				return complete.Fish(e.stdout, spec)
			}
			return usageErrorf("completion %q: want bash, zsh or fish", c.Args().First())
		},
	}
}

// completionSpec takes what the scripts complete from the command table
// and the catalog.
func completionSpec(app *cli.App) complete.Spec {
	spec := complete.Spec{Values: map[string]string{
		"format":   "text markdown json",
		"ca-state": "report-only as-is",
		"kinds":    strings.Join(layout.SelectNames(), " "),
	}}
	for _, c := range app.VisibleCommands() {
		cc := complete.Command{Name: c.Name, Usage: c.Usage}
		switch c.Name {
		case "restore", "show", "log":
			cc.KindArgs = true
		case "completion":
			cc.Args = []string{"bash", "zsh", "fish"}
		}
		for _, f := range c.VisibleFlags() {
			_, isBool := f.(*cli.BoolFlag)
			usage := ""
			if df, ok := f.(cli.DocGenerationFlag); ok {
				usage = df.GetUsage()
			}
			for _, n := range f.Names() {
				if len(n) > 1 {
					cc.Flags = append(cc.Flags, complete.Flag{Name: n, Usage: usage, TakesValue: !isBool})
				}
			}
		}
		spec.Commands = append(spec.Commands, cc)
	}
	return spec
}

func kindsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "kinds",
		Usage:       "list the object kinds entrasnap backs up, with the Graph permissions each needs",
		Description: helpText("kinds"),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "permissions", Usage: "print only the permission sets: read-only export, and restore"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output"},
		},
		Action: func(c *cli.Context) error {
			return layout.RenderKinds(e.stdout, e.outputOf(c).format, c.Bool("permissions"), live.AuditPermission)
		},
	}
}
