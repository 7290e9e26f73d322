package main

import (
	"fmt"

	"github.com/entrasnap/entrasnap/evidence"
	"github.com/urfave/cli/v2"
)

func evidenceCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "evidence",
		Usage:       "write a backup evidence report an auditor can file (snapshots and gaps, completeness, integrity, rehearsals, permissions)",
		Description: helpText("evidence"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "repo", Usage: repoFlagUsage, Required: true},
			&cli.StringFlag{Name: "since", Value: "90d", Usage: "the window, back from now: days (90d), weeks (13w), a duration (2160h), or \"all\""},
			&cli.StringFlag{Name: "max-gap", Value: "26h", Usage: "list the gaps between consecutive snapshots longer than this"},
			&cli.StringFlag{Name: "max-rehearsal-age", Value: "8d", Usage: "flag a last restore rehearsal older than this (the weekly rehearsal job stopped)"},
			&cli.StringFlag{Name: "format", Value: "markdown", Usage: "markdown, html (one self-contained page) or json"},
			&cli.BoolFlag{Name: "json", Usage: "the report as JSON (as --format json)"},
			&cli.StringFlag{Name: "out", Usage: "write the report to this file (default: standard output)"},
			&cli.StringFlag{Name: "allowed-signers", EnvVars: []string{envAllowedSigners}, Usage: "verify every commit and snapshot tag against git's allowed-signers file (as check --verify-signatures); without it signatures are reported \"not verified\""},
			&cli.StringFlag{Name: "gpg-keyring", EnvVars: []string{envGPGKeyring}, Usage: "verify OpenPGP signatures with gpg against these trusted public keys (as check --gpg-keyring), with --allowed-signers or alone"},
			&cli.StringFlag{Name: "signed-since", Usage: "with --allowed-signers or --gpg-keyring: the first signed commit; older commits and their tags need not be signed"},
			&cli.BoolFlag{Name: "check-all", Usage: "check every tagged snapshot (check --all), not only the latest"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("evidence takes no arguments (got %q); give the repository with --repo", c.Args().First())
			}
			o := evidence.Options{Name: c.String("repo"), CheckAll: c.Bool("check-all"), SignedSince: c.String("signed-since"), Tool: version}
			var err error
			if o.Since, err = evidence.ParseSince(c.String("since")); err != nil {
				return usageErrorf("--since %v", err)
			}
			if o.MaxGap, err = evidence.ParseAge(c.String("max-gap")); err != nil {
				return usageErrorf("--max-gap %v", err)
			}
			if o.MaxRehearsalAge, err = evidence.ParseAge(c.String("max-rehearsal-age")); err != nil {
				return usageErrorf("--max-rehearsal-age %v", err)
			}
			format := e.outputOf(c).format // no colour: no format of the report is text
			if err := oneOf("format", format, evidence.Formats...); err != nil {
				return err
			}
			if o.Signers, o.OpenPGP, err = trustFrom(c, true); err != nil {
				return err
			}
			defer o.OpenPGP.Close()
			if o.Signers == nil && o.OpenPGP == nil && o.SignedSince != "" {
				return usageErrorf("--signed-since goes with --allowed-signers or --gpg-keyring; add one")
			}
			if e.now != nil { // evidence.Build: time.Now otherwise
				o.Now = e.now()
			}
			r, err := openRepo(c.String("repo"))
			if err != nil {
				return err
			}
			defer r.Close()
			rep, err := evidence.Build(c.Context, r, o)
			if err != nil {
				return err
			}
			out := c.String("out")
			if out == "" {
				return rep.Render(e.stdout, format)
			}
			if err := rep.WriteFile(out, format); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			fmt.Fprintf(e.stderr, "wrote the evidence report (%s) to %s\n", format, out)
			return nil
		},
	}
}
