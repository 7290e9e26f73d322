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
		Name:        "check",
		Usage:       "verify a snapshot repository: files, schemas, paths, ids, references, manifest and tags",
		Description: helpText("check"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.BoolFlag{Name: "all", Usage: "check every tagged snapshot, not only the latest"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable report on stdout"},
			maxFileSizeFlag(),
			&cli.BoolFlag{Name: "repair", Usage: "first remove stale locks and temporary files of interrupted runs and bring the index and working tree to HEAD (local edits kept)"},
			&cli.BoolFlag{Name: "verify-signatures", Usage: "verify the signature of every commit and snapshot tag against --allowed-signers (exit 4 when one is unsigned or not trusted)"},
			&cli.StringFlag{Name: "allowed-signers", EnvVars: []string{envAllowedSigners}, Usage: "with --verify-signatures: git's allowed-signers file (gpg.ssh.allowedSignersFile): \"email [namespaces=\"git\"] ssh-ed25519 AAAA...\" per line"},
			&cli.StringFlag{Name: "signed-since", Usage: "with --verify-signatures: the first signed commit (revision, tag or date); older commits and their tags need not be signed"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("check takes no arguments (got %q); give the repository with --repo", c.Args().First())
			}
			maxFileSize, err := maxFileSizeFrom(c)
			if err != nil {
				return err
			}
			o := check.Options{All: c.Bool("all"), MaxFileSize: maxFileSize, SignedSince: c.String("signed-since")}
			if o.Signers, err = allowedSignersFrom(c); err != nil {
				return err
			}
			if c.Bool("repair") {
				if err := runRepair(c.Context, e.stderr, c.String("repo")); err != nil {
					return err
				}
			}
			return runCheck(c.Context, e, c.String("repo"), c.Bool("json"), o)
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
	if s := rep.Signatures; s != nil && s.Failed > 0 {
		also := ""
		if rep.Errors > 0 {
			also = fmt.Sprintf(", and found %d %s in the files", rep.Errors, layout.Plural(rep.Errors, "error", "errors"))
		}
		return &codedError{code: exitUntrusted, err: fmt.Errorf(
			"%d of %d commits and snapshot tags in %s are unsigned or not signed by a key %s allows for their committer or tagger (listed above)%s; a rewritten or unsigned snapshot cannot be trusted: compare it with a copy you trust (a clone or the CI's remote) before restoring from it",
			s.Failed, s.Commits+s.Tags, repo, s.AllowedSigners, also)}
	}
	if rep.Errors > 0 {
		return &codedError{code: exitError, err: fmt.Errorf(
			"check found %d %s in %s (listed above); fix the files in a commit, or run `entrasnap export` to rewrite the objects",
			rep.Errors, layout.Plural(rep.Errors, "error", "errors"), repo)}
	}
	return nil
}
