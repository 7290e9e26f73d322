package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/snapshot"
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
			&cli.BoolFlag{Name: "verify-signatures", Usage: "verify the signature of every commit and snapshot tag against --allowed-signers (SSH) and --gpg-keyring (OpenPGP) (exit 4 when one is unsigned or not trusted)"},
			&cli.StringFlag{Name: "allowed-signers", EnvVars: []string{envAllowedSigners}, Usage: "with --verify-signatures: git's allowed-signers file (gpg.ssh.allowedSignersFile): \"email [namespaces=\"git\"] ssh-ed25519 AAAA...\" per line"},
			&cli.StringFlag{Name: "gpg-keyring", EnvVars: []string{envGPGKeyring}, Usage: "with --verify-signatures: the OpenPGP public keys trusted to sign (gpg --export --armor KEY... > FILE); OpenPGP signatures are verified with gpg as git does, a key must have a user id with the committer's or tagger's email"},
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
			if o.OpenPGP, err = gpgKeyringFrom(c); err != nil {
				return err
			}
			defer o.OpenPGP.Close()
			if c.Bool("repair") {
				r, err := snapshot.Open(c.String("repo"))
				if err != nil {
					return fmt.Errorf("--repo %s: %w", c.String("repo"), err)
				}
				err = check.Repair(c.Context, r, e.stderr)
				if r.Close(); err != nil {
					return fmt.Errorf("--repair: %w", err)
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
	if untrusted, err := rep.Verdict(); untrusted {
		return &codedError{code: exitUntrusted, err: err}
	} else if err != nil {
		return &codedError{code: exitError, err: err}
	}
	return nil
}
