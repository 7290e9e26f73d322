package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/importer"
	"github.com/entrasnap/entrasnap/layout"
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
			// (ENTRASNAP_ALLOWED_SIGNERS or _GPG_KEYRING alone may stay set for other runs.)
			verify, signers, keyring := c.Bool("verify-signatures"), c.String("allowed-signers"), c.String("gpg-keyring")
			switch {
			case !verify && (signers != "" && os.Getenv(envAllowedSigners) == "" || o.SignedSince != ""):
				return usageErrorf("--allowed-signers and --signed-since go with --verify-signatures; add it")
			case !verify && keyring != "" && os.Getenv(envGPGKeyring) == "":
				return usageErrorf("--gpg-keyring goes with --verify-signatures; add it")
			case verify && signers == "" && keyring == "":
				return usageErrorf("--verify-signatures needs --allowed-signers FILE (or %s): git's allowed-signers file, one \"email ssh-ed25519 AAAA...\" line per key allowed to sign snapshots; or --gpg-keyring FILE for OpenPGP signatures", envAllowedSigners)
			}
			if o.Signers, o.OpenPGP, err = trustFrom(c, verify); err != nil {
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
			return runCheck(c.Context, e, e.outputOf(c), c.String("repo"), o)
		},
	}
}

func runCheck(ctx context.Context, e *env, out output, repo string, o check.Options) error {
	r, err := openRepo(repo)
	if err != nil {
		return err
	}
	defer r.Close()
	o.Name = repo
	rep, err := check.Repo(ctx, r, o)
	if err != nil {
		return err
	}
	for _, is := range importer.JournalIssues(ctx, r, repo) {
		rep.AddState(is)
	}
	if err := rep.Render(e.stdout, out.format); err != nil {
		return err
	}
	if untrusted, err := rep.Verdict(); untrusted {
		return &codedError{code: exitUntrusted, err: err}
	} else if err != nil {
		return &codedError{code: exitError, err: err}
	}
	return nil
}

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

// maxFileSizeFlag is --max-file-size of validate and check: the bound on
// one object file read, as on every file read from a snapshot (see README
// "Limits", and snapshot.DefaultMaxFileSize why 64 MiB).
func maxFileSizeFlag() cli.Flag {
	return &cli.StringFlag{Name: "max-file-size", EnvVars: []string{check.MaxFileSizeEnv}, Value: layout.FormatSize(snapshot.DefaultMaxFileSize),
		Usage: "the largest object file read (B, KiB, MiB, GiB); a larger one is reported, not read"}
}

func maxFileSizeFrom(c *cli.Context) (int64, error) {
	n, err := layout.ParseSize(c.String("max-file-size"))
	if err != nil {
		return 0, usageErrorf("--max-file-size (%s): %v", check.MaxFileSizeEnv, err)
	}
	return n, nil
}

// Environment variables of signing. The passphrase is never a flag: flags
// show in process lists and shell history.
const (
	envSigningKey        = "ENTRASNAP_SIGNING_KEY"
	envSigningPassphrase = "ENTRASNAP_SIGNING_KEY_PASSPHRASE"
	envAllowedSigners    = "ENTRASNAP_ALLOWED_SIGNERS"
)

// signingKeyFlag is --signing-key of the commands that commit snapshots
// (export, restore, apply).
func signingKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "signing-key", EnvVars: []string{envSigningKey},
		Usage: "sign the snapshot commit and tag with this SSH key file (ed25519, ecdsa, rsa; git's gpg.format=ssh), a .pub file whose key the SSH agent holds, an SSH user certificate (KEY-cert.pub; its key beside it or in the agent), or an armored OpenPGP secret key; an encrypted key's passphrase comes from " + envSigningPassphrase}
}

// signerFrom loads --signing-key (nil when not given), before anything is
// read from Graph. Its errors name the file and never hold key material.
func signerFrom(c *cli.Context) (snapshot.Signer, error) {
	file := c.String("signing-key")
	if file == "" {
		return nil, nil
	}
	s, err := snapshot.LoadSigner(file, []byte(os.Getenv(envSigningPassphrase)), os.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		return nil, usageErrorf("--signing-key (%s): %v", envSigningKey, err)
	}
	return s, nil
}

// trustFrom reads, when verify (check --verify-signatures; evidence:
// either is given), who may sign: --allowed-signers (SSH) and
// --gpg-keyring (OpenPGP public keys, verified with gpg); nil when not
// given. The caller closes the keyring.
func trustFrom(c *cli.Context, verify bool) (a *snapshot.AllowedSigners, k *check.OpenPGP, err error) {
	if file := c.String("allowed-signers"); verify && file != "" {
		if a, err = snapshot.ReadAllowedSigners(file); err != nil {
			return nil, nil, usageErrorf("--allowed-signers: %v", err)
		}
	}
	if file := c.String("gpg-keyring"); verify && file != "" {
		if k, err = check.LoadOpenPGP(c.Context, file, ""); err != nil {
			return nil, nil, usageErrorf("--gpg-keyring: %v", err)
		}
	}
	return a, k, nil
}

// envGPGKeyring is --gpg-keyring's environment variable.
const envGPGKeyring = "ENTRASNAP_GPG_KEYRING"
