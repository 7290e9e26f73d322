package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/urfave/cli/v2"
)

func validateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check hand-edited object files: strict YAML, the kind's schema, the file name",
		ArgsUsage: "FILE... (a folder: every object file below it; -: standard input, with --kind)",
		Description: `validate reads object files as entrasnap reads them back, for pull-request
checks on a configuration-as-code repository:

  - strict YAML: duplicate keys, anchors, tags, and yes/no/on/off (booleans
    only in YAML 1.1) are errors, with the line;
  - the kind's JSON Schema: unknown properties, wrong types, values outside
    an enum, each with its property path and line;
  - the file name: entrasnap keeps an object at one path (folder, shard,
    name and id); a file elsewhere, or whose id or name no longer matches
    its name, is reported with the path it belongs at.

The kind comes from the file's path in the repository (the longest tail of
the path that is an entrasnap object path, so ./backup/groups/3f/... works),
or from --kind. A folder is searched for object files (other files, such as
CI workflows, are skipped).

A file larger than --max-file-size (default 64MiB, far above the largest
real object) is reported and not read; devices such as /dev/zero are
refused unread.

EXIT CODES:
   0   every file is valid
   1   a problem was found (each is printed as FILE:LINE: PROPERTY: MESSAGE)
   64  bad flags or arguments

EXAMPLES:
   entrasnap validate conditional-access/policies/require-mfa.c0ffee00-....yaml
   entrasnap validate .
   git diff --name-only origin/main -- '*.yaml' | xargs entrasnap validate --format github
   cat policy.yaml | entrasnap validate --kind conditional-access-policies -`,
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
	switch format {
	case "json":
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	case "github":
		for _, p := range rep.Problems {
			fmt.Fprintln(e.stdout, layout.Safe(p.GitHub()))
		}
	default:
		for _, p := range rep.Problems {
			fmt.Fprintln(e.stdout, layout.Safe(p.String()))
		}
	}
	if n := len(rep.Problems); n > 0 {
		files := map[string]bool{}
		for _, p := range rep.Problems {
			files[p.File] = true
		}
		return &codedError{code: exitError, err: fmt.Errorf("%d %s in %d of %d %s; fix %s and run validate again",
			n, layout.Plural(n, "problem", "problems"), len(files), rep.Files,
			layout.Plural(rep.Files, "file", "files"), layout.Plural(len(files), "it", "them"))}
	}
	if format == "text" {
		if rep.Files == 0 {
			fmt.Fprintln(e.stdout, "no object files found")
		} else {
			fmt.Fprintf(e.stdout, "%d %s valid\n", rep.Files, layout.Plural(rep.Files, "file", "files"))
		}
	}
	return nil
}
