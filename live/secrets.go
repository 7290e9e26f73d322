package live

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/entrasnap/entrasnap/schemas"
)

// msgUndeclaredSecret is the warning for an undeclared property removed
// because its name or value looks secret. The value is never reported.
const msgUndeclaredSecret = "undeclared secret-looking property removed (not in the kind's schema; the value was not written)"

// dropUndeclaredSecrets removes from obj what the schema does not declare
// and looks secret, and returns the dotted paths removed and the problems
// left to report. The schema is the allow-list: a declared property
// (passwordCredentials, keyId, hint, passwordPolicies, ...) is never
// touched here; an undeclared one is removed when its name looks secret,
// when it sits under a credential list, or when its value (or, for an
// undeclared object, any value inside) looks like a secret.
func dropUndeclaredSecrets(obj map[string]any, problems []schemas.Problem) (removed []string, rest []schemas.Problem) {
	for _, pr := range problems {
		if !pr.Undeclared || pr.Pointer == "" {
			rest = append(rest, pr)
			continue
		}
		parent, name, ok := locate(obj, pr.Pointer)
		if !ok {
			rest = append(rest, pr)
			continue
		}
		v := parent[name]
		if secretName(name) || underCredentials(pr.Pointer) || secretValue(v) {
			delete(parent, name)
			removed = append(removed, pr.Path)
			continue
		}
		// An undeclared object: everything in it is undeclared too.
		inner := scrubUndeclared(v, pr.Path)
		removed = append(removed, inner...)
		rest = append(rest, pr)
	}
	return removed, rest
}

// scrubUndeclared removes secret-looking names and values inside an
// undeclared value.
func scrubUndeclared(v any, path string) []string {
	var found []string
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedNames(x) {
			p := path + "." + k
			if secretName(k) || secretValue(x[k]) {
				delete(x, k)
				found = append(found, p)
				continue
			}
			found = append(found, scrubUndeclared(x[k], p)...)
		}
	case []any:
		for i, e := range x {
			p := path + "[" + strconv.Itoa(i) + "]"
			if secretValue(e) {
				x[i] = nil
				found = append(found, p)
				continue
			}
			found = append(found, scrubUndeclared(e, p)...)
		}
	}
	return found
}

// locate finds the map holding the value at a JSON pointer.
func locate(obj map[string]any, ptr string) (map[string]any, string, bool) {
	segs := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	var cur any = obj
	for i, s := range segs {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		if i == len(segs)-1 {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, "", false
			}
			_, ok = m[s]
			return m, s, ok
		}
		switch c := cur.(type) {
		case map[string]any:
			cur = c[s]
		case []any:
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n >= len(c) {
				return nil, "", false
			}
			cur = c[n]
		default:
			return nil, "", false
		}
	}
	return nil, "", false
}

// secretWords are parts of property names that mark secret material.
var secretWords = []string{"secret", "password", "passwd", "passphrase", "token", "privatekey", "apikey", "accesskey",
	"signingkey", "encryptionkey", "sharedkey", "accountkey", "connectionstring", "credential", "bearer", "cookie", "sessionkey"}

// secretName reports whether an undeclared property's name looks secret:
// it holds one of secretWords (any case, ignoring _ and -), or it is key,
// pwd, pin, otp or a name ending in Key or Pwd.
func secretName(name string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "").Replace(name))
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	switch n {
	case "key", "pwd", "pin", "otp":
		return true
	}
	return strings.HasSuffix(name, "Key") || strings.HasSuffix(n, "pwd")
}

// underCredentials reports an undeclared property inside a credential
// list (passwordCredentials, keyCredentials, federatedIdentityCredentials):
// whatever Graph adds there is not written.
func underCredentials(ptr string) bool {
	i := strings.LastIndexByte(ptr, '/')
	return i > 0 && strings.Contains(strings.ToLower(ptr[:i]), "credentials")
}

var secretShapes = []*regexp.Regexp{
	regexp.MustCompile(`^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.`),                // a JWT
	regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),                        // a PEM private key
	regexp.MustCompile(`^[A-Za-z0-9_.~-]{3}[0-9]Q~[A-Za-z0-9_.~-]{30,}$`),           // an Entra client secret
	regexp.MustCompile(`(?i)(accountkey|sharedaccesskey|password|pwd)=[^;\s]{6,}`),  // a connection string
	regexp.MustCompile(`^(gh[pousr]_[A-Za-z0-9]{30,}|xox[abp]-[A-Za-z0-9-]{20,})$`), // GitHub, Slack tokens
	regexp.MustCompile(`(?i)^bearer\s+\S{20,}$`),
}

// secretValue reports a string that has the shape of a token, key or
// client secret.
func secretValue(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < 16 {
		return false
	}
	for _, re := range secretShapes {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func sortedNames(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
