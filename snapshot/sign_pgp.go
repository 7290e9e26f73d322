package snapshot

import (
	"bytes"
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// pgpSigner signs with an OpenPGP key, as git does with gpg.format=openpgp
// (the default): an armored detached signature of the object.
type pgpSigner struct {
	e *openpgp.Entity
}

// loadPGPSigner reads an armored OpenPGP secret key ("-----BEGIN PGP
// PRIVATE KEY BLOCK-----", gpg --export-secret-keys --armor); an encrypted
// one is decrypted with passphrase.
func loadPGPSigner(file string, data, passphrase []byte) (Signer, error) {
	list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("signing key %s is not an armored OpenPGP key (%v); export it with gpg --export-secret-keys --armor KEYID", file, err)
	}
	var e *openpgp.Entity
	for _, c := range list {
		if c.PrivateKey != nil {
			e = c
			break
		}
	}
	if e == nil {
		return nil, fmt.Errorf("signing key %s holds OpenPGP public keys only; export the secret key with gpg --export-secret-keys --armor KEYID", file)
	}
	if len(list) > 1 {
		return nil, fmt.Errorf("signing key %s holds %d OpenPGP keys; export only the one to sign with", file, len(list))
	}
	if e.PrivateKey.Encrypted || encryptedSubkey(e) {
		if len(passphrase) == 0 {
			return nil, fmt.Errorf("signing key %s is encrypted: give its passphrase in the environment (ENTRASNAP_SIGNING_KEY_PASSPHRASE): %w", file, ErrPassphrase)
		}
		if err := e.DecryptPrivateKeys(passphrase); err != nil {
			// (a wrong passphrase shows as a checksum failure)
			return nil, fmt.Errorf("signing key %s: the passphrase does not decrypt it: %w", file, ErrPassphrase)
		}
	}
	s := &pgpSigner{e: e}
	if _, err := s.Sign([]byte("entrasnap signing test\n")); err != nil {
		return nil, fmt.Errorf("signing key %s cannot sign: %v", file, err)
	}
	return s, nil
}

func encryptedSubkey(e *openpgp.Entity) bool {
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

func (s *pgpSigner) Sign(payload []byte) ([]byte, error) {
	var b bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&b, s.e, bytes.NewReader(payload), nil); err != nil {
		return nil, fmt.Errorf("sign: %v", err)
	}
	out := b.Bytes()
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	return out, nil
}

// PublicKey is the OpenPGP key's fingerprint.
func (s *pgpSigner) PublicKey() string {
	return fmt.Sprintf("openpgp %X", s.e.PrimaryKey.Fingerprint)
}
