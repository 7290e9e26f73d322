package check

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/internal/textcut"
	"github.com/entrasnap/entrasnap/snapshot"
)

// OpenPGP verifies OpenPGP signatures (a commit's gpgsig, a tag's PGP
// signature block) with the gpg CLI, as git does for gpg.format=openpgp
// (git verify-commit / verify-tag: gpg --status-fd=1 --verify SIG - with
// the signed bytes on stdin, read from gpg's status lines), against the
// public keys of one keyring file the person trusts: they are imported
// into a private, temporary GnuPG home, so the person's own keyring and
// trust settings play no part, and every key in the file is trusted
// (--trust-model always). As for SSH signatures, a key must also be for
// the committer's or tagger's email: one of its user ids must carry it.
//
// Verdicts: good; unknown-key (gpg: NO_PUBKEY / ERRSIG: not in the
// keyring); bad (BADSIG: changed after signing or damaged; or gpg could
// not read it); not-allowed (a good signature whose key has no user id
// with the signer's email, or an expired or revoked key or signature:
// EXPKEYSIG, REVKEYSIG, EXPSIG); unsigned.
type OpenPGP struct {
	name string // the keyring file, for reports
	gpg  string // the gpg program
	home string // the temporary GNUPGHOME
	uids map[string][]string
}

// pgpSigBegin opens an armored OpenPGP signature.
const pgpSigBegin = "-----BEGIN PGP SIGNATURE-----"

// IsOpenPGP reports whether sig is an armored OpenPGP signature.
func IsOpenPGP(sig []byte) bool { return bytes.HasPrefix(bytes.TrimSpace(sig), []byte(pgpSigBegin)) }

// maxKeyring bounds the keyring file read.
const maxKeyring = 8 << 20

// LoadOpenPGP imports the public keys of file (armored or binary, as gpg
// --export writes them) into a new temporary GnuPG home; gpg is the gpg
// program ("" finds gpg on PATH). Close removes the home.
func LoadOpenPGP(ctx context.Context, file, gpg string) (*OpenPGP, error) {
	if gpg == "" {
		p, err := exec.LookPath("gpg")
		if err != nil {
			return nil, errors.New("OpenPGP signatures are verified with gpg, which is not on PATH: install GnuPG (Debian: apt-get install gnupg)")
		}
		gpg = p
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("OpenPGP keyring %s: %w", file, err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxKeyring {
		return nil, fmt.Errorf("OpenPGP keyring %s: want a file of public keys (gpg --export --armor KEY > FILE) of at most %d bytes", file, maxKeyring)
	}
	home, err := os.MkdirTemp("", "entrasnap-gnupg-")
	if err != nil {
		return nil, err
	}
	k := &OpenPGP{name: file, gpg: gpg, home: home, uids: map[string][]string{}}
	abs, _ := filepath.Abs(file)
	out, err := k.run(ctx, nil, "--import", "--import-options", "import-minimal", abs)
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("OpenPGP keyring %s: gpg could not import it: %s", file, firstLines(out, 3))
	}
	// The user ids of every key imported, by fingerprint (primary and subkeys).
	list, err := k.run(ctx, nil, "--with-colons", "--fixed-list-mode", "--list-keys")
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("OpenPGP keyring %s: gpg could not list it: %s", file, firstLines(list, 3))
	}
	var fprs []string
	var uids []string
	flush := func() {
		for _, f := range fprs {
			k.uids[f] = uids
		}
		fprs, uids = nil, nil
	}
	sawKey := false
	for _, line := range strings.Split(string(list), "\n") {
		f := strings.Split(line, ":")
		switch f[0] {
		case "pub":
			flush()
			sawKey = true
		case "fpr":
			if len(f) > 9 {
				fprs = append(fprs, strings.ToUpper(f[9]))
			}
		case "uid":
			if len(f) > 9 {
				uids = append(uids, unescapeColons(f[9]))
			}
		}
	}
	flush()
	if !sawKey {
		k.Close()
		return nil, fmt.Errorf("OpenPGP keyring %s holds no public key; write one with gpg --export --armor KEY > %s", file, file)
	}
	return k, nil
}

// Name is the keyring file.
func (k *OpenPGP) Name() string { return k.name }

// Close removes the temporary GnuPG home.
func (k *OpenPGP) Close() error {
	if k == nil || k.home == "" {
		return nil
	}
	return os.RemoveAll(k.home)
}

func (k *OpenPGP) run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, k.gpg, append([]string{"--homedir", k.home, "--batch", "--no-tty", "--no-auto-key-retrieve", "--trust-model", "always"}, args...)...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+k.home, "LC_ALL=C", "LANGUAGE=C")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// Verify checks o's OpenPGP signature with gpg, as git verify-commit and
// verify-tag do, and maps gpg's status to a verdict.
func (k *OpenPGP) Verify(ctx context.Context, o *snapshot.SignedObject) snapshot.Verification {
	v := snapshot.Verification{Signer: o.Signer.Email}
	if len(o.Signature) == 0 {
		v.Status, v.Detail = snapshot.SigUnsigned, "not signed"
		return v
	}
	sigFile, err := os.CreateTemp(k.home, "sig-")
	if err == nil {
		_, err = sigFile.Write(o.Signature)
		if cerr := sigFile.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		v.Status, v.Detail = snapshot.SigBad, "could not hand the signature to gpg: "+err.Error()
		return v
	}
	defer os.Remove(sigFile.Name())
	// Status lines on stdout (fd 1), as git reads them; the rest on stderr.
	cmd := exec.CommandContext(ctx, k.gpg, "--homedir", k.home, "--batch", "--no-tty", "--no-auto-key-retrieve", "--trust-model", "always",
		"--status-fd=1", "--verify", sigFile.Name(), "-")
	cmd.Env = append(os.Environ(), "GNUPGHOME="+k.home, "LC_ALL=C", "LANGUAGE=C")
	cmd.Stdin = bytes.NewReader(o.Payload)
	var status, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &status, &stderr
	_ = cmd.Run() // the verdict is in the status lines; gpg exits non-zero for every failure
	if ctx.Err() != nil {
		v.Status, v.Detail = snapshot.SigBad, "gpg was stopped: "+ctx.Err().Error()
		return v
	}
	st := parseGPGStatus(status.Bytes())
	if st.fpr != "" {
		v.Key = st.fpr
	} else if st.keyID != "" {
		v.Key = st.keyID
	}
	switch {
	case st.bad:
		v.Status, v.Detail = snapshot.SigBad, "the OpenPGP signature does not verify (gpg: BAD signature): changed after signing, or damaged"
	case st.noPubkey:
		v.Status, v.Detail = snapshot.SigUnknown, "signed by an OpenPGP key the keyring "+k.name+" does not hold"
	case st.revoked:
		v.Status, v.Detail = snapshot.SigNotAllowed, "a good signature by a revoked OpenPGP key (gpg: REVKEYSIG; git verify-commit refuses it too)"
	case st.expiredKey:
		v.Status, v.Detail = snapshot.SigNotAllowed, expiredDetail(st)
	case st.expiredSig:
		v.Status, v.Detail = snapshot.SigNotAllowed, "an expired OpenPGP signature"
	case st.good && st.fpr != "":
		uids := k.uids[st.primary]
		if uids == nil {
			uids = k.uids[st.fpr]
		}
		for _, u := range uids {
			if strings.EqualFold(uidEmail(u), o.Signer.Email) && o.Signer.Email != "" {
				v.Status, v.Principal = snapshot.SigGood, u
				return v
			}
		}
		v.Status, v.Detail = snapshot.SigNotAllowed, fmt.Sprintf("the key's user ids (%s) do not include %q, whose %s it is", strings.Join(uids, "; "), o.Signer.Email, o.Type)
	default:
		v.Status, v.Detail = snapshot.SigBad, "gpg could not verify the OpenPGP signature: "+firstLines(stderr.Bytes(), 2)
	}
	return v
}

// expiredDetail says when a signature by an expired key was made and when
// the key expired. gpg reports both a key that expired after it signed and
// one that had expired when it signed as EXPKEYSIG, and git verify-commit
// refuses both; the first is made good again by extending the key's
// expiry.
func expiredDetail(st gpgStatus) string {
	day := func(sec int64) string { return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05 UTC") }
	switch {
	case st.sigTime == 0 || st.keyExpired == 0:
		return "a good signature by an expired OpenPGP key (gpg: EXPKEYSIG; git verify-commit refuses it too)"
	case st.sigTime < st.keyExpired:
		return fmt.Sprintf("a good signature made %s by an OpenPGP key that expired %s, after it signed (gpg: EXPKEYSIG; git verify-commit refuses it too): extend the key's expiry (gpg --quick-set-expire FINGERPRINT 1y) and export it to the keyring again",
			day(st.sigTime), day(st.keyExpired))
	}
	return fmt.Sprintf("a good signature made %s by an OpenPGP key that had expired %s, when it signed (gpg: EXPKEYSIG; git verify-commit refuses it too)",
		day(st.sigTime), day(st.keyExpired))
}

// gpgStatus is what gpg's status lines (doc/DETAILS) say about the first
// signature.
type gpgStatus struct {
	good, bad, noPubkey, expiredKey, expiredSig, revoked bool
	keyID, fpr, primary                                  string
	// sigTime is the signature's creation time (VALIDSIG), keyExpired the
	// key's expiry (KEYEXPIRED), in seconds since 1970; 0 when not given.
	sigTime, keyExpired int64
}

func parseGPGStatus(out []byte) gpgStatus {
	var st gpgStatus
	sigs := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(strings.TrimPrefix(sc.Text(), "[GNUPG:] "))
		if len(f) == 0 || !strings.HasPrefix(sc.Text(), "[GNUPG:] ") {
			continue
		}
		if f[0] == "NEWSIG" {
			sigs++
			if sigs > 1 {
				break // git reads the first signature
			}
			continue
		}
		arg := func(i int) string {
			if i < len(f) {
				return strings.ToUpper(f[i])
			}
			return ""
		}
		switch f[0] {
		case "GOODSIG":
			st.good, st.keyID = true, arg(1)
		case "BADSIG":
			st.bad, st.keyID = true, arg(1)
		case "EXPSIG":
			st.expiredSig, st.keyID = true, arg(1)
		case "EXPKEYSIG":
			st.expiredKey, st.keyID = true, arg(1)
		case "REVKEYSIG":
			st.revoked, st.keyID = true, arg(1)
		case "ERRSIG":
			st.keyID = arg(1)
			if arg(6) == "9" {
				st.noPubkey = true
			}
			if fp := arg(7); fp != "" && fp != "-" {
				st.fpr = fp
			}
		case "NO_PUBKEY":
			st.noPubkey, st.keyID = true, arg(1)
		case "VALIDSIG":
			st.fpr = arg(1)
			if p := arg(10); p != "" {
				st.primary = p
			}
			st.sigTime, _ = strconv.ParseInt(arg(3), 10, 64)
		case "KEYEXPIRED":
			if st.keyExpired == 0 {
				st.keyExpired, _ = strconv.ParseInt(arg(1), 10, 64)
			}
		}
	}
	if st.primary == "" {
		st.primary = st.fpr
	}
	return st
}

// uidEmail is the email of a user id "Name (comment) <email>", or the
// whole id when it is an address alone.
func uidEmail(uid string) string {
	if i := strings.LastIndexByte(uid, '<'); i >= 0 {
		if j := strings.IndexByte(uid[i:], '>'); j > 0 {
			return uid[i+1 : i+j]
		}
	}
	return strings.TrimSpace(uid)
}

// unescapeColons undoes gpg's --with-colons escaping (\xNN).
func unescapeColons(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			var c byte
			if _, err := fmt.Sscanf(s[i+2:i+4], "%02x", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func firstLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return textcut.Cut(strings.Join(lines, "; "), 400)
}
