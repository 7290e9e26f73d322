package main

import (
	"context"
	"errors"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

func validateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "validate",
		Usage:       "check hand-edited object files: strict YAML, the kind's schema, the file name",
		ArgsUsage:   "FILE... (a folder: every object file below it; -: standard input, with --kind)",
		Description: helpText("validate"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "kind", Usage: "the kind of every FILE, as entrasnap kinds names it; required for -"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, github (workflow annotations) or json"},
			maxFileSizeFlag(),
		},
		Action: func(c *cli.Context) error {
			format, o := c.String("format"), check.FileOptions{}
			var err error
			if o.MaxFileSize, err = maxFileSizeFrom(c); err != nil {
				return err
			}
			if c.NArg() == 0 {
				return usageErrorf("validate needs at least one FILE (a folder, or - for standard input with --kind)")
			}
			if err := oneOf("format", format, "text", "github", "json"); err != nil {
				return err
			}
			if name := c.String("kind"); name != "" {
				k, ok := layout.Lookup(name)
				if !ok {
					return usageErrorf("--kind: %v", &layout.UnknownKindError{Value: name})
				}
				o.Kind = k
			}
			return runValidate(c.Context, e, c.Args().Slice(), format, o)
		},
	}
}

func runValidate(ctx context.Context, e *env, files []string, format string, o check.FileOptions) error {
	o.Stdin = e.stdin
	rep, err := check.Files(ctx, files, o)
	if errors.Is(err, check.ErrStdinNeedsKind) {
		return usageErrorf("%v", err)
	} else if err != nil {
		return err
	}
	if err := rep.Write(e.stdout, format); err != nil {
		return err
	}
	if err := rep.Err(); err != nil {
		return &codedError{code: exitError, err: err}
	}
	return nil
}

// Size limits (see README "Limits"). Each error names the file or request
// and the limit, and says how to raise it.
const (
	// defaultMaxFileSize bounds one object file read by validate and check,
	// as it bounds every file read from a snapshot (see there why 64 MiB).
	defaultMaxFileSize = snapshot.DefaultMaxFileSize
	maxFileSizeEnv     = check.MaxFileSizeEnv
)

// maxFileSizeFlag is --max-file-size of validate and check.
func maxFileSizeFlag() cli.Flag {
	return &cli.StringFlag{Name: "max-file-size", EnvVars: []string{maxFileSizeEnv}, Value: layout.FormatSize(defaultMaxFileSize),
		Usage: "the largest object file read (B, KiB, MiB, GiB); a larger one is reported, not read"}
}

func maxFileSizeFrom(c *cli.Context) (int64, error) {
	n, err := layout.ParseSize(c.String("max-file-size"))
	if err != nil {
		return 0, usageErrorf("--max-file-size (%s): %v", maxFileSizeEnv, err)
	}
	return n, nil
}
