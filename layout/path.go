package layout

import (
	"fmt"
	"path"
	"strings"
)

const maxSlug = 48

// windowsReserved are file names Windows refuses whatever the extension.
var windowsReserved = map[string]bool{
	"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true,
}

// Slug turns a display name into a file-name part: lower-case ASCII letters,
// digits and single dashes, at most 48 characters; "object" when nothing is left.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		default:
			if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= maxSlug {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > maxSlug {
		s = strings.TrimRight(s[:maxSlug], "-")
	}
	if s == "" {
		return "object"
	}
	if windowsReserved[s] {
		s += "-"
	}
	return s
}

// escapeKey makes an object key safe as a file-name part: letters, digits,
// '.', '_' and '-' stay (not a leading '.'); anything else becomes ~XX.
func escapeKey(key string) string { return escapeKeyAs(key, false) }

// escapeKeyAs is escapeKey; with upper, upper-case letters are escaped too.
func escapeKeyAs(key string, upper bool) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		ok := c >= 'a' && c <= 'z' || !upper && c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || (c == '.' && i > 0)
		if ok {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "~%02X", c)
		}
	}
	return b.String()
}

func unescapeKey(s string) (string, error) {
	if !strings.Contains(s, "~") {
		// (nothing escaped: the key is part of the path, no copy; an
		// incremental export locates each of the previous snapshot's
		// 125,000 files, 9 MB of copies held for the run at 100,000 users)
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '~' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		var c byte
		if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &c); err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), nil
}

// Path is the repository path of obj, a kind k object:
//
//	<folder>.yaml                              singletons
//	<folder>/[<shard>/]<slug>.<key>.yaml       kinds named by a property
//	<folder>/[<shard>/]<key>.yaml              others
//
// The key makes paths unique; the slug keeps them readable; the shard (the
// key's first two characters) keeps folders under about a thousand entries.
func Path(k *Kind, obj map[string]any) (string, error) {
	return objectPath(k, obj, escapeKey)
}

// PathCaseDistinct is the path of an object whose Path differs from another
// object's of its kind only in case (keys that are not case-insensitive
// GUIDs, such as "Fido2" and "fido2"): Path with every upper-case letter of
// the key escaped too (~41 for A), so that the two files stay distinct on
// case-insensitive file systems (Windows, macOS). Locate reads both forms
// back to the same key.
func PathCaseDistinct(k *Kind, obj map[string]any) (string, error) {
	return objectPath(k, obj, func(key string) string { return escapeKeyAs(key, true) })
}

func objectPath(k *Kind, obj map[string]any, escape func(string) string) (string, error) {
	if k.Singleton {
		return k.Root(), nil
	}
	key, _ := obj[k.KeyProp()].(string)
	if key == "" {
		return "", fmt.Errorf("%s object without %s", k.Name, k.KeyProp())
	}
	dir := k.Folder
	ek := escape(key)
	if k.Shard {
		sk := escapeKey(key) // the shard of Path also for PathCaseDistinct
		// A folder name may not end in a dot (Windows): "a." shards as "a_".
		dir += "/" + strings.ReplaceAll(strings.ToLower(sk[:min(2, len(sk))]), ".", "_")
	}
	if k.NameProp == "" {
		// A key Windows reserves as a file name ("CON", "nul.example")
		// gets its first letter escaped; Locate reads it back the same.
		base, _, _ := strings.Cut(strings.ToLower(ek), ".")
		if windowsReserved[base] {
			ek = fmt.Sprintf("~%02X", ek[0]) + ek[1:]
		}
		if len(ek)+len(".yaml") > maxFileName {
			return "", keyTooLong(k, key, len(ek)+len(".yaml"))
		}
		return dir + "/" + ek + ".yaml", nil
	}
	// The slug gives way to the key: a file name holds at most
	// maxFileName bytes, and the key (escaped, up to three bytes for one)
	// must stay whole for Locate to read it back.
	room := maxFileName - len(ek) - len("..yaml")
	if room < 1 {
		return "", keyTooLong(k, key, len(ek)+len("x..yaml"))
	}
	name, _ := obj[k.NameProp].(string)
	slug := Slug(name)
	if len(slug) > room {
		slug = strings.TrimRight(slug[:room], "-") // starts with a letter or digit: never empty
		if windowsReserved[slug] {
			slug = slug[:len(slug)-1] // "con" → "co": "com" and "lpt" alone are not reserved
		}
	}
	return dir + "/" + slug + "." + ek + ".yaml", nil
}

// maxFileName is the longest file name (in bytes) the file systems a
// snapshot is checked out on allow (ext4, APFS, NTFS: 255).
const maxFileName = 255

// keyTooLong is the error for an object whose key, escaped for a file
// name, leaves no room in maxFileName bytes: Graph's ids are far shorter,
// so such a key is not one Graph gives; the object is not written.
func keyTooLong(k *Kind, key string, n int) error {
	shown := key
	if len(shown) > 40 {
		shown = shown[:40] + "..."
	}
	return fmt.Errorf("%s object with %s %q: the file name would be %d bytes, more than the %d a file system allows; an id this long is not one Graph gives: check the object in Graph", k.Name, k.KeyProp(), shown, n, maxFileName)
}

// KindOf is the kind of a repository path: the kind whose object file p
// is (object), else the kind whose folder holds p (ok); the one answer to
// "what kind is this file" for check, validate, history, diff and drift.
func KindOf(p string) (k *Kind, object, ok bool) {
	if k, _, err := Locate(p); err == nil {
		return k, true, true
	}
	k, ok = ForPath(p)
	return k, false, ok
}

// Locate parses a repository path back into its kind and object key (a
// singleton's key is its kind's name).
func Locate(p string) (*Kind, string, error) {
	for _, k := range kinds {
		// (p == k.Root() without building the string: Locate runs once per
		// file of a snapshot.)
		if k.Singleton && len(p) == len(k.Folder)+len(".yaml") && strings.HasPrefix(p, k.Folder) && strings.HasSuffix(p, ".yaml") {
			return k, k.Name, nil
		}
	}
	k, ok := ForPath(p)
	if !ok || !strings.HasSuffix(p, ".yaml") {
		return nil, "", fmt.Errorf("%s is not an entrasnap object file", p)
	}
	rest := strings.TrimPrefix(p, k.Folder+"/")
	if k.Shard {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return nil, "", fmt.Errorf("%s: %s files live in shard folders", p, k.Name)
		}
		rest = rest[i+1:]
	}
	if strings.Contains(rest, "/") {
		return nil, "", fmt.Errorf("%s is not an entrasnap object file", p)
	}
	stem := strings.TrimSuffix(path.Base(rest), ".yaml")
	if k.NameProp != "" {
		i := strings.IndexByte(stem, '.')
		if i < 0 {
			return nil, "", fmt.Errorf("%s: want <name>.<id>.yaml", p)
		}
		stem = stem[i+1:]
	}
	key, err := unescapeKey(stem)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", p, err)
	}
	return k, key, nil
}

// IsGUID reports whether s has the form of a GUID
// (8-4-4-4-12 hexadecimal digits). Graph compares such ids without
// regard to case; other keys are compared exactly.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
