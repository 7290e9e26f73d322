package snapshot

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// sshsigBlob builds an armored SSHSIG-like block from raw fields, for
// malformed inputs.
func sshsigBlob(version uint32, fields ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString(sshsigMagic)
	binary.Write(&b, binary.BigEndian, version)
	for _, f := range fields {
		writeString(&b, f)
	}
	return armor(b.Bytes())
}

// Malformed signatures are "bad" with a reason, never a panic or "good".
func TestVerifyMalformedSignatures(t *testing.T) {
	a, err := ParseAllowedSigners("as", []byte("x@y ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr8DnJ7vL5Ol7b8jQ0m8ZZqGZ4mVw2nF3S4S0b3m1Zx\n"))
	if err != nil {
		t.Fatal(err)
	}
	huge := make([]byte, 8)
	binary.BigEndian.PutUint32(huge, 0xffffffff)
	cases := map[string][]byte{
		"not armored":    []byte(sshsigBegin + "\nxx"),
		"not base64":     []byte(sshsigBegin + "\n!!!!\n" + sshsigEnd + "\n"),
		"not sshsig":     armor([]byte("NOTSIG1234")),
		"version 2":      sshsigBlob(2),
		"truncated":      sshsigBlob(1, []byte("k")),
		"huge length":    armor(append([]byte(sshsigMagic+"\x00\x00\x00\x01"), huge...)),
		"bad public key": sshsigBlob(1, []byte("junk"), []byte("git"), nil, []byte("sha512"), []byte("sig")),
		"trailing data":  armor(append(mustDecode(sshsigBlob(1, nil, nil, nil, nil, nil)), 'x')),
		"control chars":  []byte(sshsigBegin + "\n\x1b[31m\u202e\n" + sshsigEnd + "\n"),
	}
	for name, sig := range cases {
		v := a.Verify(&SignedObject{Payload: []byte("tree x\n"), Signature: sig, Signer: Signature{Email: "x@y"}})
		if v.Status != SigBad || v.Detail == "" {
			t.Errorf("%s: %+v, want bad with a reason", name, v)
		}
	}
}

func mustDecode(armored []byte) []byte {
	s := strings.TrimSpace(string(armored))
	s = strings.TrimSuffix(strings.TrimPrefix(s, sshsigBegin), sshsigEnd)
	b, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	return b
}

// Commit and tag objects are split where git splits them, whatever they
// hold: a commit without a message, a second gpgsig header, a signature
// block inside a tag's message.
func TestParseSignedObjects(t *testing.T) {
	c, _ := parseSignedCommit(plumbing.ZeroHash, []byte("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor a <a@b> 1 +0000\ncommitter c <c@d> 2 -0130\ngpgsig -----BEGIN SSH SIGNATURE-----\n AAAA\n -----END SSH SIGNATURE-----\n\nmsg\n"))
	if string(c.Signature) != "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n" || string(c.Payload) != "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor a <a@b> 1 +0000\ncommitter c <c@d> 2 -0130\n\nmsg\n" {
		t.Fatalf("commit split: %q / %q", c.Signature, c.Payload)
	}
	if c.Signer.Email != "c@d" || c.Signer.When.Unix() != 2 || c.Tree.String() != "4b825dc642cb6eb9a060e54bf8d69288fbee4904" {
		t.Fatalf("committer %+v tree %s", c.Signer, c.Tree)
	}
	if _, off := c.Signer.When.Zone(); off != -90*60 {
		t.Fatalf("zone offset %d", off)
	}
	c, _ = parseSignedCommit(plumbing.ZeroHash, []byte("tree x\ncommitter c <c@d> 2 +0000"))
	if c.Signature != nil || string(c.Payload) != "tree x\ncommitter c <c@d> 2 +0000" {
		t.Fatalf("no message: %q", c.Payload)
	}
	msg := "object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype commit\ntag t\ntagger c <c@d> 2 +0000\n\nquoted:\n" + sshsigBegin + "\nfake\n" + sshsigEnd + "\n"
	tg, _ := parseSignedTag(plumbing.ZeroHash, []byte(msg+sshsigBegin+"\nreal\n"+sshsigEnd+"\n"))
	if string(tg.Payload) != msg || !strings.Contains(string(tg.Signature), "real") {
		t.Fatalf("tag split: %q / %q", tg.Payload, tg.Signature)
	}
	tg, _ = parseSignedTag(plumbing.ZeroHash, []byte("object x\ntagger c <c@d> 2 +0000\n\nno signature\n"))
	if tg.Signature != nil {
		t.Fatal("an unsigned tag has a signature")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(sshsigBegin+"\nU1NIU0lH\n"+sshsigEnd+"\n"), []byte("tree x\n\nm\n"))
	a, err := ParseAllowedSigners("as", []byte("* ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr8DnJ7vL5Ol7b8jQ0m8ZZqGZ4mVw2nF3S4S0b3m1Zx\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, obj []byte) {
		c, _ := parseSignedCommit(plumbing.ZeroHash, obj)
		tg, _ := parseSignedTag(plumbing.ZeroHash, obj)
		for _, o := range []*SignedObject{c, tg, {Payload: obj, Signature: sig}} {
			if v := a.Verify(o); v.Status == SigGood {
				t.Fatalf("fuzzed input verified: %q %q", sig, obj)
			}
		}
		ParseAllowedSigners("fuzz", sig)
	})
}
