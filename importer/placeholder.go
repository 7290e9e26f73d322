package importer

import (
	"bytes"
	"strings"
)

// Placeholders are the strings of a plan that apply fills in (fill): only
// the product's own, never a value of the snapshot's files that happens to
// hold "{{" (a SharePoint site's URL is any text: an access package
// catalog resource's originId). The product's own are:
//
//   - the holders of values apply learns: {{new:K}} and {{newAppId:K}}
//     (the id and appId Graph gives an object the plan creates: an
//     action's Placeholder, AppIDPlaceholder), {{emres:K:N}} and
//     {{policy:K}} (an id an action captures: Capture.Into);
//   - {{graph}}: the start of an "@odata.id" value (the Graph root);
//   - {{generated-password}}: the whole value of "password";
//   - {{organization}}: in a path (layout.OrganizationPlaceholder).
//
// A request's path escapes every value of the files it holds
// (url.PathEscape and QueryEscape write "{" as %7B), and escapeBodies
// writes every other "{{" of a request body as "{\u007b", the same text in
// JSON: Graph reads the value as the file holds it, and fill, which looks
// only for "{{", leaves it alone.

// holderKinds are the prefixes of the holders of values apply learns.
var holderKinds = []string{"{{new:", "{{newAppId:", "{{emres:", "{{policy:"}

// isHolder reports whether s is, as a whole, of the form of a holder of a
// value apply learns ("{{new:" + key + "}}", ...): a reference the plan
// made, where a value of the files (a key, a URL) is escaped instead.
func isHolder(s string) bool {
	if !strings.HasSuffix(s, "}}") {
		return false
	}
	for _, p := range holderKinds {
		if inner, ok := strings.CutPrefix(s, p); ok {
			inner = strings.TrimSuffix(inner, "}}")
			return inner != "" && !strings.Contains(inner, "{{") && !strings.Contains(inner, "}}")
		}
	}
	return false
}

// escapeBodies escapes the "{{" of every request body of p that are not
// the plan's placeholders (escapeData), once every action is planned.
func escapeBodies(p *Plan) {
	known := map[string]bool{}
	for _, a := range p.Actions {
		for _, h := range []string{a.Placeholder, a.AppIDPlaceholder} {
			if h != "" {
				known[h] = true
			}
		}
		if a.Capture != nil && a.Capture.Into != "" {
			known[a.Capture.Into] = true
		}
	}
	for i := range p.Actions {
		if b := p.Actions[i].Request.Body; len(b) > 0 {
			p.Actions[i].Request.Body = escapeData(b, known)
		}
	}
}

// escapeData rewrites every "{{" of the JSON document b that does not
// open one of the plan's placeholders (known: the holders) as "{\u007b".
// b is json.Marshal's output: no white space, strings quoted with '"'.
func escapeData(b []byte, known map[string]bool) []byte {
	if !bytes.Contains(b, []byte("{{")) {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b) + 16)
	done := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		// A string literal: b[i] opens it, b[j] closes it.
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(b) {
			break
		}
		if lit := b[i+1 : j]; bytes.Contains(lit, []byte("{{")) {
			out.Write(b[done : i+1])
			out.WriteString(escapeLiteral(string(lit), b[:i], known))
			done = j
		}
		i = j
	}
	out.Write(b[done:])
	return out.Bytes()
}

// escapeLiteral escapes the "{{" of one string literal's content s that
// do not open a placeholder allowed where it stands (before: the document
// up to the literal's opening quote).
func escapeLiteral(s string, before []byte, known map[string]bool) string {
	if s == "{{generated-password}}" && bytes.HasSuffix(before, []byte(`"password":`)) {
		return s
	}
	var out strings.Builder
	i := 0
	if strings.HasPrefix(s, "{{graph}}/") && bytes.HasSuffix(before, []byte(`"@odata.id":`)) {
		out.WriteString("{{graph}}")
		i = len("{{graph}}")
	}
	for i < len(s) {
		if !strings.HasPrefix(s[i:], "{{") {
			out.WriteByte(s[i])
			i++
			continue
		}
		if end := strings.Index(s[i:], "}}"); end >= 0 && known[s[i:i+end+2]] {
			out.WriteString(s[i : i+end+2])
			i += end + 2
			continue
		}
		out.WriteString(`{\u007b`)
		i += 2
	}
	return out.String()
}
