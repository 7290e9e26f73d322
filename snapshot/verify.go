package snapshot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/crypto/ssh"
)

// SignedObject is a commit or tag as stored, split into the bytes a
// signature covers and the signature.
type SignedObject struct {
	Hash plumbing.Hash
	Type string // "commit" or "tag"
	// Payload is the object without its signature: what was signed.
	Payload []byte
	// Signature is the armored signature; nil when unsigned.
	Signature []byte
	// Signer is the committer (commit) or tagger (tag): the principal the
	// signature must be allowed for.
	Signer Signature
	// Tree and Parents of a commit; Target of a tag.
	Tree    plumbing.Hash
	Parents []plumbing.Hash
	Target  plumbing.Hash
}

// maxSignedObject bounds a commit or tag object read for verification.
const maxSignedObject = 16 << 20

// ReadSigned reads the commit or tag object h as stored and splits off its
// signature, as git does: a commit's gpgsig header, a tag's last armored
// signature block after its message.
func (r *Repo) ReadSigned(ctx context.Context, h plumbing.Hash) (*SignedObject, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.refresh()
	obj, err := r.repo.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		r.unlock()
		return nil, fmt.Errorf("read object %s: %w", h, err)
	}
	if obj.Size() > maxSignedObject {
		r.unlock()
		return nil, fmt.Errorf("object %s is %d bytes: too large for a commit or tag", h, obj.Size())
	}
	typ := obj.Type()
	rd, err := obj.Reader()
	var data []byte
	if err == nil {
		data, err = io.ReadAll(rd)
		rd.Close()
	}
	r.unlock()
	if err != nil {
		return nil, fmt.Errorf("read object %s: %w", h, err)
	}
	switch typ {
	case plumbing.CommitObject:
		return parseSignedCommit(h, data)
	case plumbing.TagObject:
		return parseSignedTag(h, data)
	}
	return nil, fmt.Errorf("object %s is a %s, not a commit or tag", h, typ)
}

func parseSignedCommit(h plumbing.Hash, data []byte) (*SignedObject, error) {
	so := &SignedObject{Hash: h, Type: "commit"}
	end := bytes.Index(data, []byte("\n\n"))
	if end < 0 {
		end = len(data)
	}
	var payload bytes.Buffer
	var sig []byte
	lines := bytes.SplitAfter(data[:end+min(1, len(data)-end)], []byte("\n"))
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if k, v, ok := bytes.Cut(line, []byte(" ")); ok && string(k) == "gpgsig" && sig == nil {
			sig = append(sig, v...)
			for i+1 < len(lines) && bytes.HasPrefix(lines[i+1], []byte(" ")) {
				i++
				sig = append(sig, lines[i][1:]...)
			}
			continue
		}
		payload.Write(line)
		switch k, v, _ := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte(" ")); string(k) {
		case "tree":
			so.Tree, _ = parseHash(string(v))
		case "parent":
			if p, ok := parseHash(string(v)); ok {
				so.Parents = append(so.Parents, p)
			}
		case "committer":
			so.Signer = parseIdent(string(v))
		}
	}
	if end+1 < len(data) {
		payload.Write(data[end+1:])
	}
	so.Payload = payload.Bytes()
	so.Signature = sig
	return so, nil
}

func parseSignedTag(h plumbing.Hash, data []byte) (*SignedObject, error) {
	so := &SignedObject{Hash: h, Type: "tag", Payload: data}
	end := bytes.Index(data, []byte("\n\n"))
	if end < 0 {
		end = len(data)
	}
	for _, line := range strings.Split(string(data[:end]), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "object":
			so.Target, _ = parseHash(v)
		case "tagger":
			so.Signer = parseIdent(v)
		}
	}
	// git's parse_signed_buffer: the last line that opens a signature.
	at := -1
	for off := 0; off < len(data); {
		if bytes.HasPrefix(data[off:], []byte(sshsigBegin)) || bytes.HasPrefix(data[off:], []byte("-----BEGIN PGP ")) || bytes.HasPrefix(data[off:], []byte("-----BEGIN SIGNED MESSAGE-----")) {
			at = off
		}
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	if at > end {
		so.Payload, so.Signature = data[:at], data[at:]
	}
	return so, nil
}

// parseIdent reads "Name <email> 1700000000 +0100".
func parseIdent(s string) Signature {
	open, closing := strings.LastIndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if open < 0 || closing < open {
		return Signature{}
	}
	sig := Signature{Name: strings.TrimSpace(s[:open]), Email: s[open+1 : closing]}
	f := strings.Fields(s[closing+1:])
	if len(f) >= 1 {
		if sec, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			loc := time.UTC
			if len(f) >= 2 && len(f[1]) == 5 {
				if hh, err1 := strconv.Atoi(f[1][1:3]); err1 == nil {
					if mm, err2 := strconv.Atoi(f[1][3:]); err2 == nil {
						off := hh*3600 + mm*60
						if f[1][0] == '-' {
							off = -off
						}
						loc = time.FixedZone("", off)
					}
				}
			}
			sig.When = time.Unix(sec, 0).In(loc)
		}
	}
	return sig
}

// SigStatus is the outcome of verifying one commit or tag.
type SigStatus string

// The outcomes of Verify. Only SigGood passes.
const (
	SigGood        SigStatus = "good"        // signed by a key allowed for the signer's email at the time
	SigUnsigned    SigStatus = "unsigned"    // no signature
	SigBad         SigStatus = "bad"         // the signature does not verify: changed after signing, or damaged
	SigUnknown     SigStatus = "unknown-key" // a valid signature by a key the allowed-signers file does not list
	SigNotAllowed  SigStatus = "not-allowed" // the key is listed, but not for this signer, namespace or time
	SigUnsupported SigStatus = "unsupported" // an OpenPGP or X.509 signature: entrasnap verifies SSH signatures
	// SigMerge (check's, not Verify's): a merge commit not itself
	// trusted whose tree is exactly that of a trusted parent, such as the
	// merge of a snapshot's pull request: it adds no content of its own.
	SigMerge SigStatus = "merge-of-signed"
)

// Verification says whether an object's signature is good and why not.
type Verification struct {
	Status SigStatus `json:"status"`
	// Key is the signing key's SHA256 fingerprint, when the signature names one.
	Key string `json:"key,omitempty"`
	// Principal is the allowed-signers principal pattern that allowed it (good).
	Principal string `json:"principal,omitempty"`
	// Signer is the committer's or tagger's email the key must be allowed for.
	Signer string `json:"signer,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// AllowedSigners is a parsed allowed-signers file (ssh-keygen(1), ALLOWED
// SIGNERS; git's gpg.ssh.allowedSignersFile).
type AllowedSigners struct {
	name    string
	entries []allowedSigner
}

// Name is the name ParseAllowedSigners was given (the file).
func (a *AllowedSigners) Name() string { return a.name }

type allowedSigner struct {
	line       int
	principals string // comma-separated patterns
	key        ssh.PublicKey
	certAuth   bool
	namespaces string // "" = any
	after      time.Time
	before     time.Time
	hasAfter   bool
	hasBefore  bool
}

// ParseAllowedSigners reads an allowed-signers file: per line
// "principals [options] keytype base64-key [comment]", options
// cert-authority, namespaces="...", valid-after=..., valid-before=...;
// blank lines and # comments skipped. name is used in errors.
func ParseAllowedSigners(name string, data []byte) (*AllowedSigners, error) {
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("allowed signers %s is larger than %d bytes", name, maxKeyFile)
	}
	a := &AllowedSigners{name: name}
	for n, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseAllowedLine(line)
		if err != nil {
			return nil, fmt.Errorf("allowed signers %s, line %d: %v", name, n+1, err)
		}
		e.line = n + 1
		a.entries = append(a.entries, e)
	}
	if len(a.entries) == 0 {
		return nil, fmt.Errorf("allowed signers %s lists no key; add lines \"email namespaces=\\\"git\\\" ssh-ed25519 AAAA...\"", name)
	}
	return a, nil
}

// ReadAllowedSigners reads and parses the allowed-signers file (at most
// 1 MiB).
func ReadAllowedSigners(file string) (*AllowedSigners, error) {
	data, err := readSmall(file)
	if err != nil {
		return nil, fmt.Errorf("allowed signers %s: %w", file, err)
	}
	return ParseAllowedSigners(file, data)
}

// nextField splits off the first whitespace-separated field, keeping
// double-quoted runs together.
func nextField(s string) (field, rest string) {
	quoted := false
	for i, c := range s {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ' ' || c == '\t'):
			return s[:i], strings.TrimLeft(s[i:], " \t")
		}
	}
	return s, ""
}

func parseAllowedLine(line string) (allowedSigner, error) {
	var e allowedSigner
	principals, rest := nextField(line)
	e.principals = strings.Trim(principals, `"`)
	if e.principals == "" || rest == "" {
		return e, errors.New(`want "principals [options] keytype base64-key"`)
	}
	// The options (if any), then the key: authorized_keys syntax.
	pub, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(rest))
	if err != nil {
		return e, fmt.Errorf("no public key after the principals: %v", err)
	}
	e.key = pub
	for _, o := range opts {
		k, v, hasV := strings.Cut(o, "=")
		v = strings.Trim(v, `"`)
		switch strings.ToLower(k) {
		case "cert-authority":
			e.certAuth = true
		case "namespaces":
			e.namespaces = v
		case "valid-after", "valid-before":
			t, err := parseSignerTime(v)
			if !hasV || err != nil {
				return e, fmt.Errorf("%s=%q: want YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]", k, v)
			}
			if strings.EqualFold(k, "valid-after") {
				e.after, e.hasAfter = t, true
			} else {
				e.before, e.hasBefore = t, true
			}
		default:
			return e, fmt.Errorf("unknown option %q (known: cert-authority, namespaces, valid-after, valid-before)", k)
		}
	}
	return e, nil
}

// parseSignerTime reads ssh-keygen's YYYYMMDD[HHMM[SS]][Z]: UTC with Z,
// local time without (as ssh-keygen does).
func parseSignerTime(v string) (time.Time, error) {
	loc := time.Local
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		loc, v = time.UTC, v[:len(v)-1]
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	l, ok := layouts[len(v)]
	if !ok {
		return time.Time{}, errors.New("bad length")
	}
	return time.ParseInLocation(l, v, loc)
}

// matchPatternList is OpenSSH's match_pattern_list: comma-separated
// patterns with * and ?, a leading ! negates (a negated match refuses).
func matchPatternList(s, list string) bool {
	got := false
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		if ok, _ := path.Match(globEscape(p), s); ok {
			if neg {
				return false
			}
			got = true
		}
	}
	return got
}

// globEscape keeps * and ? of an OpenSSH pattern and escapes what
// path.Match would read otherwise ([, ], \).
func globEscape(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`)
	return r.Replace(p)
}

// Verify checks o's signature against the allowed signers: the SSHSIG
// signature in the git namespace must verify over o.Payload, and its key
// must be listed for a principal matching o.Signer's email, for the git
// namespace, valid at o.Signer's time. This is stricter than git, which
// accepts a listed key whatever email the commit names: here a key listed
// for alice cannot vouch for a commit that says bob made it.
func (a *AllowedSigners) Verify(o *SignedObject) Verification {
	v := Verification{Signer: o.Signer.Email}
	if len(o.Signature) == 0 {
		v.Status, v.Detail = SigUnsigned, "not signed"
		return v
	}
	if !bytes.HasPrefix(o.Signature, []byte(sshsigBegin)) {
		v.Status, v.Detail = SigUnsupported, "an OpenPGP or X.509 signature; entrasnap verifies SSH signatures (verify this one with git verify-commit/verify-tag)"
		return v
	}
	pub, err := verifySSHSig(o.Signature, o.Payload)
	cert, isCert := pub.(*ssh.Certificate)
	switch {
	case isCert:
		v.Key = ssh.FingerprintSHA256(cert.Key) // as ssh-keygen names it
	case pub != nil:
		v.Key = ssh.FingerprintSHA256(pub)
	}
	if err != nil {
		v.Status, v.Detail = SigBad, err.Error()
		return v
	}
	if isCert {
		return a.verifyCert(o, cert, v)
	}
	want := pub.Marshal()
	var listed []allowedSigner
	for _, e := range a.entries {
		if !e.certAuth && bytes.Equal(e.key.Marshal(), want) {
			listed = append(listed, e)
		}
	}
	if len(listed) == 0 {
		v.Status, v.Detail = SigUnknown, "signed by a key the allowed signers do not list"
		return v
	}
	var why []string
	for _, e := range listed {
		if reason := e.refuses(o); reason != "" {
			why = append(why, reason)
			continue
		}
		v.Status, v.Principal = SigGood, e.principals
		return v
	}
	v.Status, v.Detail = SigNotAllowed, strings.Join(why, "; ")
	return v
}

// refuses says why the allowed-signers line e does not allow a signature
// on o by its key (or a certificate from its CA): the signer's email, the
// git namespace and o's time must be within the line's; "" when allowed.
func (e allowedSigner) refuses(o *SignedObject) string {
	switch {
	case !matchPatternList(o.Signer.Email, e.principals):
		return fmt.Sprintf("line %d allows it for %q, not %q", e.line, e.principals, o.Signer.Email)
	case e.namespaces != "" && !matchPatternList(SigNamespace, e.namespaces):
		return fmt.Sprintf("line %d allows it only for namespaces %q, not git", e.line, e.namespaces)
	case e.hasAfter && o.Signer.When.Before(e.after):
		return fmt.Sprintf("line %d allows it only from %s; signed at %s", e.line, e.after.UTC().Format(time.RFC3339), o.Signer.When.UTC().Format(time.RFC3339))
	case e.hasBefore && o.Signer.When.After(e.before):
		return fmt.Sprintf("line %d allows it only until %s; signed at %s", e.line, e.before.UTC().Format(time.RFC3339), o.Signer.When.UTC().Format(time.RFC3339))
	}
	return ""
}

// verifyCert checks a signature made with an SSH certificate, as
// `ssh-keygen -Y verify` does with git's -Overify-time (the commit's or
// tag's time): a "cert-authority" line must list the certificate's CA for
// the signer's email, and the certificate must be a user certificate whose
// principals include that email, valid at the time of signing and signed
// by that CA. A certificate is never matched by a plain key line (its key
// is the CA's, not the certificate's), as in OpenSSH.
func (a *AllowedSigners) verifyCert(o *SignedObject, cert *ssh.Certificate, v Verification) Verification {
	ca := cert.SignatureKey.Marshal()
	what := fmt.Sprintf("the certificate %q (serial %d) from CA %s", cert.KeyId, cert.Serial, ssh.FingerprintSHA256(cert.SignatureKey))
	var listed []allowedSigner
	for _, e := range a.entries {
		if e.certAuth && bytes.Equal(e.key.Marshal(), ca) {
			listed = append(listed, e)
		}
	}
	if len(listed) == 0 {
		v.Status, v.Detail = SigUnknown, "signed with "+what+", a CA the allowed signers do not list as cert-authority"
		return v
	}
	when := o.Signer.When
	stamp := func(t uint64) string {
		if t > math.MaxInt64 {
			return "forever"
		}
		return time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
	}
	var why []string
	for _, e := range listed {
		if reason := e.refuses(o); reason != "" {
			why = append(why, reason)
			continue
		}
		switch {
		case cert.CertType != ssh.UserCert:
			why = append(why, fmt.Sprintf("line %d: %s is a host certificate, not a user certificate", e.line, what))
			continue
		case len(cert.ValidPrincipals) == 0:
			why = append(why, fmt.Sprintf("line %d: %s names no principal", e.line, what))
			continue
		case !slices.Contains(cert.ValidPrincipals, o.Signer.Email):
			why = append(why, fmt.Sprintf("line %d: %s is for %q, not %q", e.line, what, strings.Join(cert.ValidPrincipals, ","), o.Signer.Email))
			continue
		case when.Unix() < 0 || uint64(when.Unix()) < cert.ValidAfter:
			why = append(why, fmt.Sprintf("line %d: %s is valid only from %s; signed at %s", e.line, what, stamp(cert.ValidAfter), when.UTC().Format(time.RFC3339)))
			continue
		case cert.ValidBefore != ssh.CertTimeInfinity && uint64(when.Unix()) >= cert.ValidBefore:
			why = append(why, fmt.Sprintf("line %d: %s expired at %s; signed at %s", e.line, what, stamp(cert.ValidBefore), when.UTC().Format(time.RFC3339)))
			continue
		}
		// The CA's signature on the certificate (the checks above again,
		// and the signature); critical options are not refused, as
		// ssh-keygen -Y verify does not.
		cc := &ssh.CertChecker{Clock: func() time.Time { return when }}
		for k := range cert.CriticalOptions {
			cc.SupportedCriticalOptions = append(cc.SupportedCriticalOptions, k)
		}
		if err := cc.CheckCert(o.Signer.Email, cert); err != nil {
			v.Status, v.Detail = SigBad, what+" does not verify: "+err.Error()
			return v
		}
		v.Status, v.Principal, v.Detail = SigGood, e.principals, "signed with "+what
		return v
	}
	v.Status, v.Detail = SigNotAllowed, strings.Join(why, "; ")
	return v
}

// verifySSHSig checks an armored SSHSIG signature over payload in the git
// namespace and returns the key that made it (also when it does not
// verify, when it could be read).
func verifySSHSig(armored, payload []byte) (ssh.PublicKey, error) {
	s := strings.TrimSpace(string(armored))
	if !strings.HasPrefix(s, sshsigBegin) || !strings.HasSuffix(s, sshsigEnd) {
		return nil, errors.New("the signature block is malformed")
	}
	body := strings.Join(strings.Fields(s[len(sshsigBegin):len(s)-len(sshsigEnd)]), "")
	blob, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, errors.New("the signature block is not valid base64")
	}
	if !bytes.HasPrefix(blob, []byte(sshsigMagic)) {
		return nil, errors.New("not an SSHSIG signature")
	}
	rd := blob[len(sshsigMagic):]
	if len(rd) < 4 || binary.BigEndian.Uint32(rd) != sshsigVersion {
		return nil, errors.New("unsupported SSHSIG version")
	}
	rd = rd[4:]
	var fields [5][]byte // public key, namespace, reserved, hash algorithm, signature
	for i := range fields {
		if len(rd) < 4 || uint64(binary.BigEndian.Uint32(rd)) > uint64(len(rd)-4) {
			return nil, errors.New("the signature is truncated")
		}
		n := binary.BigEndian.Uint32(rd)
		fields[i], rd = rd[4:4+n], rd[4+n:]
	}
	if len(rd) != 0 {
		return nil, errors.New("the signature has trailing data")
	}
	pub, err := ssh.ParsePublicKey(fields[0])
	if err != nil {
		return nil, fmt.Errorf("the signature's public key cannot be read: %v", err)
	}
	if string(fields[1]) != SigNamespace {
		return pub, fmt.Errorf("signed in namespace %q, not git: not a git signature", fields[1])
	}
	var hash []byte
	switch string(fields[3]) {
	case "sha512":
		h := sha512.Sum512(payload)
		hash = h[:]
	case "sha256":
		h := sha256.Sum256(payload)
		hash = h[:]
	default:
		return pub, fmt.Errorf("unsupported hash algorithm %q", fields[3])
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(fields[4], &sig); err != nil {
		return pub, errors.New("the signature value cannot be read")
	}
	if sig.Format == ssh.KeyAlgoRSA {
		return pub, errors.New("an RSA signature with SHA-1 (ssh-rsa), which git refuses")
	}
	if err := pub.Verify(sshsigSignedData(SigNamespace, string(fields[3]), hash), &sig); err != nil {
		return pub, errors.New("the signature does not match the content: changed after signing, or signed by another key")
	}
	return pub, nil
}
