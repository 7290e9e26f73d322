package snapshot

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Signing: commits and tags written with Snapshot.Signer carry an SSH
// signature in the format git writes with gpg.format=ssh (the SSHSIG format
// of OpenSSH's PROTOCOL.sshsig, namespace "git", hash sha512), so that
// `git verify-commit`, `git verify-tag` and `git log --show-signature` with
// gpg.ssh.allowedSignersFile accept them. A commit holds its signature in a
// gpgsig header, a tag after its message, exactly where git puts them.

// Signer signs commits and tags.
type Signer interface {
	// Sign returns the armored signature of payload (the commit or tag
	// object as it is without its signature).
	Sign(payload []byte) ([]byte, error)
	// PublicKey is the public key in authorized_keys form ("ssh-ed25519
	// AAAA..."), for messages and allowed-signers files.
	PublicKey() string
}

// SigNamespace is the SSHSIG namespace git signs and verifies commits and
// tags in.
const SigNamespace = "git"

const (
	sshsigMagic   = "SSHSIG"
	sshsigVersion = 1
	sshsigBegin   = "-----BEGIN SSH SIGNATURE-----"
	sshsigEnd     = "-----END SSH SIGNATURE-----"
	pgpSigBegin   = "-----BEGIN PGP SIGNATURE-----"
	// maxKeyFile bounds a signing key or allowed-signers file read.
	maxKeyFile = 1 << 20
)

// ErrPassphrase: the signing key is encrypted and the passphrase given is
// missing or wrong.
var ErrPassphrase = errors.New("signing key passphrase missing or wrong")

// LoadSigner reads the signing key in file: an OpenSSH private key
// (ed25519, ecdsa or rsa; "-----BEGIN OPENSSH PRIVATE KEY-----" or PEM),
// encrypted ones with passphrase; a public key ("ssh-ed25519 AAAA..."),
// whose private half the SSH agent at agentSock (SSH_AUTH_SOCK) holds, as
// git's user.signingKey does; or an armored OpenPGP secret key
// (sign_pgp.go: git verifies those with gpg; AllowedSigners does not); or
// an SSH user certificate ("key-cert.pub", certSigner).
// Errors name the file and what to do; they never hold key material or
// the passphrase (a key's text given as file is refused unechoed).
func LoadSigner(file string, passphrase []byte, agentSock string) (Signer, error) {
	if strings.ContainsAny(file, "\n\r") || strings.Contains(file, "-----BEGIN ") { // a CI variable of the wrong type
		return nil, errors.New("holds a key's text, not the name of a key file: write the key to a file only you can read and give its name (GitLab: a CI/CD variable of type File)")
	}
	data, err := readSmall(file)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", file, err)
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN PGP")) {
		return loadPGPSigner(file, data, passphrase)
	}
	if pub, _, _, _, perr := ssh.ParseAuthorizedKey(trimmed); perr == nil && !bytes.Contains(trimmed, []byte("PRIVATE KEY")) {
		if cert, ok := pub.(*ssh.Certificate); ok {
			return certSigner(file, cert, passphrase, agentSock)
		}
		s, err := agentSigner(file, pub, agentSock)
		if err != nil {
			return nil, err
		}
		return newSSHSigner(file, s)
	}
	s, err := loadPrivate(file, data, passphrase)
	if err != nil {
		return nil, err
	}
	return newSSHSigner(file, s)
}

// loadPrivate reads an OpenSSH private key (encrypted ones with
// passphrase).
func loadPrivate(file string, data, passphrase []byte) (ssh.Signer, error) {
	// A passphrase given for a key that is not encrypted is not needed (a
	// CI may set the variable for every run).
	key, err := ssh.ParseRawPrivateKey(data)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing) && len(passphrase) == 0:
		return nil, fmt.Errorf("signing key %s is encrypted: give its passphrase in the environment (ENTRASNAP_SIGNING_KEY_PASSPHRASE): %w", file, ErrPassphrase)
	case errors.As(err, &missing):
		if key, err = ssh.ParseRawPrivateKeyWithPassphrase(data, passphrase); err != nil {
			return nil, fmt.Errorf("signing key %s: the passphrase does not decrypt it: %w", file, ErrPassphrase)
		}
	case err != nil:
		// The parser's errors name formats, never key bytes.
		return nil, fmt.Errorf("signing key %s is not an SSH private or public key (%v); make one with ssh-keygen -t ed25519", file, err)
	}
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %v; use an ed25519, ecdsa or rsa key", file, err)
	}
	return s, nil
}

// certSigner signs with an SSH user certificate (file, "key-cert.pub"), as
// `ssh-keygen -Y sign -f key-cert.pub` does for git's user.signingKey: the
// private key is the file's name without "-cert.pub" when that file
// exists, else the SSH agent's, and the signature carries the certificate,
// which an allowed-signers "cert-authority" line for its CA accepts.
func certSigner(file string, cert *ssh.Certificate, passphrase []byte, agentSock string) (Signer, error) {
	if cert.CertType != ssh.UserCert {
		return nil, fmt.Errorf("signing key %s is an SSH host certificate; sign with a user certificate (ssh-keygen -s CA -I ID -n EMAIL KEY.pub)", file)
	}
	var s ssh.Signer
	privFile, isCert := strings.CutSuffix(file, "-cert.pub")
	if _, err := os.Stat(privFile); isCert && err == nil {
		data, err := readSmall(privFile)
		if err != nil {
			return nil, fmt.Errorf("signing key %s (the private key of certificate %s): %w", privFile, file, err)
		}
		if s, err = loadPrivate(privFile, data, passphrase); err != nil {
			return nil, err
		}
		if !bytes.Equal(s.PublicKey().Marshal(), cert.Key.Marshal()) {
			return nil, fmt.Errorf("signing key %s is not the key certificate %s certifies (%s); give the certificate of this key", privFile, file, ssh.FingerprintSHA256(cert.Key))
		}
	} else {
		var err error
		if s, err = agentSigner(file, cert.Key, agentSock); err != nil {
			return nil, err
		}
	}
	cs, err := ssh.NewCertSigner(cert, s)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %v", file, err)
	}
	return newSSHSigner(file, cs)
}

func readSmall(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("larger than %d bytes: not a key file", maxKeyFile)
	}
	return data, nil
}

// agentSigner finds pub among the agent's keys.
func agentSigner(file string, pub ssh.PublicKey, sock string) (ssh.Signer, error) {
	if sock == "" {
		return nil, fmt.Errorf("signing key %s is a public key: entrasnap signs with its private half from the SSH agent, but SSH_AUTH_SOCK is not set; start ssh-agent and ssh-add the key, or give the private key file", file)
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("signing key %s is a public key, but the SSH agent (SSH_AUTH_SOCK) cannot be reached: %v", file, err)
	}
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("signing key %s: list the SSH agent's keys: %v", file, err)
	}
	want := pub.Marshal()
	for _, s := range signers {
		if bytes.Equal(s.PublicKey().Marshal(), want) {
			return s, nil // the connection stays open for the run
		}
	}
	conn.Close()
	return nil, fmt.Errorf("signing key %s (%s) is not in the SSH agent; ssh-add its private key", file, ssh.FingerprintSHA256(pub))
}

type sshSigner struct {
	s    ssh.Signer
	algo string // the signature algorithm; rsa-sha2-512 for RSA keys
}

func newSSHSigner(file string, s ssh.Signer) (Signer, error) {
	algo := s.PublicKey().Type()
	if cert, ok := s.PublicKey().(*ssh.Certificate); ok {
		algo = cert.Key.Type() // the certified key signs
	}
	switch algo {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
	case ssh.KeyAlgoRSA:
		// git (ssh-keygen -Y) refuses SHA-1 RSA signatures.
		if _, ok := s.(ssh.AlgorithmSigner); !ok {
			return nil, fmt.Errorf("signing key %s: this RSA key cannot make rsa-sha2-512 signatures", file)
		}
		algo = ssh.KeyAlgoRSASHA512
	default:
		return nil, fmt.Errorf("signing key %s is of type %s; use an ed25519, ecdsa or rsa key", file, algo)
	}
	return &sshSigner{s: s, algo: algo}, nil
}

func (s *sshSigner) PublicKey() string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.s.PublicKey())))
}

// Sign makes an SSHSIG signature of payload in the git namespace.
func (s *sshSigner) Sign(payload []byte) ([]byte, error) {
	h := sha512.Sum512(payload)
	signed := sshsigSignedData(SigNamespace, "sha512", h[:])
	var sig *ssh.Signature
	var err error
	if as, ok := s.s.(ssh.AlgorithmSigner); ok {
		sig, err = as.SignWithAlgorithm(rand.Reader, signed, s.algo)
	} else {
		sig, err = s.s.Sign(rand.Reader, signed)
	}
	if err != nil {
		return nil, fmt.Errorf("sign: %v", err)
	}
	var b bytes.Buffer
	b.WriteString(sshsigMagic)
	binary.Write(&b, binary.BigEndian, uint32(sshsigVersion))
	writeString(&b, s.s.PublicKey().Marshal())
	writeString(&b, []byte(SigNamespace))
	writeString(&b, nil) // reserved
	writeString(&b, []byte("sha512"))
	writeString(&b, ssh.Marshal(sig))
	return armor(b.Bytes()), nil
}

// sshsigSignedData is what an SSHSIG signature signs (PROTOCOL.sshsig).
func sshsigSignedData(namespace, hashAlg string, hash []byte) []byte {
	var b bytes.Buffer
	b.WriteString(sshsigMagic)
	writeString(&b, []byte(namespace))
	writeString(&b, nil)
	writeString(&b, []byte(hashAlg))
	writeString(&b, hash)
	return b.Bytes()
}

func writeString(b *bytes.Buffer, s []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(s)))
	b.Write(s)
}

// armor wraps blob as ssh-keygen does: base64 in lines of 70 characters.
func armor(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(sshsigBegin + "\n")
	for len(enc) > 70 {
		b.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	b.WriteString(enc + "\n")
	b.WriteString(sshsigEnd + "\n")
	return b.Bytes()
}

// signCommit returns the commit object data with sig's signature in a
// gpgsig header after the committer line, as git writes it.
func signCommit(data []byte, s Signer) ([]byte, error) {
	sig, err := s.Sign(data)
	if err != nil {
		return nil, err
	}
	end := bytes.Index(data, []byte("\n\n"))
	if end < 0 {
		return nil, errors.New("sign: commit has no message separator")
	}
	var b bytes.Buffer
	b.Write(data[:end+1])
	b.WriteString("gpgsig ")
	b.WriteString(strings.ReplaceAll(strings.TrimSuffix(string(sig), "\n"), "\n", "\n "))
	b.WriteString("\n")
	b.Write(data[end+1:])
	return b.Bytes(), nil
}

// signTag returns the tag object data with the signature after the
// message, as git writes it.
func signTag(data []byte, s Signer) ([]byte, error) {
	sig, err := s.Sign(data)
	if err != nil {
		return nil, err
	}
	return append(append([]byte{}, data...), sig...), nil
}
