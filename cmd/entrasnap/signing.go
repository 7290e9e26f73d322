package main

import (
	"os"
	"strings"

	"github.com/entrasnap/entrasnap/check"
	"github.com/entrasnap/entrasnap/snapshot"
	"github.com/urfave/cli/v2"
)

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
	if strings.ContainsAny(file, "\n\r") || strings.Contains(file, "-----BEGIN ") {
		// The key's text where its file's name belongs (a CI variable of
		// the wrong type): never echoed, as a file name would be.
		return nil, usageErrorf("--signing-key (%s) holds a key's text, not the name of a key file: write the key to a file only you can read and give its name (GitLab: a CI/CD variable of type File)", envSigningKey)
	}
	s, err := snapshot.LoadSigner(file, []byte(os.Getenv(envSigningPassphrase)), os.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		return nil, usageErrorf("--signing-key: %v", err)
	}
	return s, nil
}

// allowedSignersFrom reads --allowed-signers when --verify-signatures is
// given (nil otherwise).
func allowedSignersFrom(c *cli.Context) (*snapshot.AllowedSigners, error) {
	file := c.String("allowed-signers")
	switch {
	case !c.Bool("verify-signatures"):
		// (ENTRASNAP_ALLOWED_SIGNERS alone may stay set for other runs.)
		if file != "" && os.Getenv(envAllowedSigners) == "" || c.String("signed-since") != "" {
			return nil, usageErrorf("--allowed-signers and --signed-since go with --verify-signatures; add it")
		}
		return nil, nil
	case file == "" && c.String("gpg-keyring") != "":
		return nil, nil // OpenPGP signatures only (gpgKeyringFrom)
	case file == "":
		return nil, usageErrorf("--verify-signatures needs --allowed-signers FILE (or %s): git's allowed-signers file, one \"email ssh-ed25519 AAAA...\" line per key allowed to sign snapshots; or --gpg-keyring FILE for OpenPGP signatures", envAllowedSigners)
	}
	a, err := snapshot.ReadAllowedSigners(file)
	if err != nil {
		return nil, usageErrorf("--allowed-signers: %v", err)
	}
	return a, nil
}

// gpgKeyringFrom loads --gpg-keyring (check --verify-signatures): the
// OpenPGP public keys trusted to sign, verified with gpg (nil when not
// given). The caller closes it.
func gpgKeyringFrom(c *cli.Context) (*check.OpenPGP, error) {
	file := c.String("gpg-keyring")
	switch {
	case file == "":
		return nil, nil
	case !c.Bool("verify-signatures"):
		if os.Getenv(envGPGKeyring) == "" {
			return nil, usageErrorf("--gpg-keyring goes with --verify-signatures; add it")
		}
		return nil, nil
	}
	k, err := check.LoadOpenPGP(c.Context, file, "")
	if err != nil {
		return nil, usageErrorf("--gpg-keyring: %v", err)
	}
	return k, nil
}

// envGPGKeyring is --gpg-keyring's environment variable.
const envGPGKeyring = "ENTRASNAP_GPG_KEYRING"
