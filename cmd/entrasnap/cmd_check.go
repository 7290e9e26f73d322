package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/urfave/cli/v2"
)

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "verify a snapshot repository: files, schemas, paths, ids, references, manifest and tags",
		Description: `check reads the repository afresh, trusting nothing it did not just read:

  - every object file's content matches its git object id, parses as strict
    YAML, validates against its kind's schema, and sits at the path its id
    and name give it;
  - ids are unique per kind;
  - every reference (CA policy conditions, group members and owners, role
    assignments, app role assignments, ...) names an object in the snapshot:
    role template ids resolve through role definitions' templateId, app ids
    through app registrations' and service principals' appId. A reference
    Graph keeps consistent (members, owners, assignments) that resolves to
    nothing is an error; an id in a policy condition is a warning (policies
    can keep the ids of deleted objects); references to kinds the snapshot
    does not hold completely, and to objects entrasnap does not back up
    (devices, contacts), are counted, not checked;
  - the manifest (.entrasnap/snapshot.yaml) matches the files: the object
    count and folder of every kind;
  - every snapshot/* tag points at a commit that holds a manifest.

By default the latest snapshot (HEAD) is checked; --all checks HEAD and every
tagged snapshot. Problems are listed by file. An object file larger than
--max-file-size (default 64MiB) is reported as an error and not read.

` + repairHelp + `

EXIT CODES:
   0   no errors (warnings may have been printed)
   1   errors were found, the repository could not be read, or --repair could not
       finish (the message names what is left and the command that fixes it)
   64  bad flags or arguments

EXAMPLES:
   entrasnap check --repo ./tenant-backup
   entrasnap check --repo ./tenant-backup --all --json | jq '.snapshots[].issues[]'
   entrasnap check --repo ./tenant-backup --repair   # after an interrupted export`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.BoolFlag{Name: "all", Usage: "check every tagged snapshot, not only the latest"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable report on stdout"},
			maxFileSizeFlag(),
			&cli.BoolFlag{Name: "repair", Usage: "first remove stale locks and temporary files of interrupted runs and bring the index and working tree to HEAD (local edits kept)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("check takes no arguments (got %q); give the repository with --repo", c.Args().First())
			}
			maxFileSize, err := maxFileSizeFrom(c)
			if err != nil {
				return err
			}
			if c.Bool("repair") {
				if err := runRepair(c.Context, e.stderr, c.String("repo")); err != nil {
					return err
				}
			}
			return runCheck(c.Context, e, c.String("repo"), c.Bool("json"), check.Options{All: c.Bool("all"), MaxFileSize: maxFileSize})
		},
	}
}

func runCheck(ctx context.Context, e *env, repo string, asJSON bool, o check.Options) error {
	r, err := openRepo(repo)
	if err != nil {
		return err
	}
	defer r.Close()
	rep, err := check.Repo(ctx, r, o)
	if errors.Is(err, check.ErrNoCommit) {
		return fmt.Errorf("%s has no commit yet: nothing to check; run `entrasnap export --repo %s` first", repo, repo)
	} else if err != nil {
		return err
	}
	rep.Repo = repo
	if asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		rep.WriteText(e.stdout)
	}
	if rep.Errors > 0 {
		return &codedError{code: exitError, err: fmt.Errorf(
			"check found %d %s in %s (listed above); fix the files in a commit, or run `entrasnap export` to rewrite the objects",
			rep.Errors, layout.Plural(rep.Errors, "error", "errors"), repo)}
	}
	return nil
}
