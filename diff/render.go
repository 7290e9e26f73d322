package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// RenderOptions control rendering.
type RenderOptions struct {
	Color bool   // ANSI colours (text, on a terminal)
	Title string // heading line: "snapshot/20260320T… → snapshot/20260321T…"
	// Heading starts the markdown heading (default "entrasnap diff"):
	// "### <Heading>: <Title>".
	Heading string
	// Attribution, when set, gives the lines printed under each change:
	// who changed it, from the directory audit records the repository
	// keeps (history.Comparison.Attribution). The renderers escape them.
	Attribution func(Change) []string
}

// KindTitle is a kind's heading in rendered output: "Conditional Access policies".
func KindTitle(name string) string {
	if k, ok := layout.Lookup(name); ok {
		return strings.ToUpper(k.Title[:1]) + k.Title[1:]
	}
	return name
}

// describe renders one value for a human: ids with names, short JSON otherwise.
func (r *Result) describe(v any, refs []string) string {
	switch x := v.(type) {
	case string:
		if len(refs) > 0 {
			return Annotate(r.Names, x)
		}
		return quote(x)
	case map[string]any:
		if id, ok := x["id"].(string); ok && len(x) <= 2 {
			if _, typed := x["@odata.type"]; typed || len(x) == 1 {
				return Annotate(r.Names, id)
			}
		}
		// Child objects: name what they point at where we can.
		parts := []string{}
		for _, k := range []string{"principalId", "resourceId", "appRoleId", "consentType", "scope", "roleId"} {
			if s, ok := x[k].(string); ok && s != "" {
				val := s
				if strings.HasSuffix(k, "Id") && k != "appRoleId" {
					val = Annotate(r.Names, s)
				}
				parts = append(parts, k+"="+val)
			}
		}
		if len(parts) > 0 {
			return "{" + strings.Join(parts, ", ") + "}"
		}
		return compact(x)
	case nil:
		return "null"
	default:
		return compact(x)
	}
}

func quote(s string) string { return marshal(s) }

// marshal is v as compact JSON, with <, > and & as they are (json.Marshal
// writes them \u003c, \u003e and \u0026, for HTML: a summary is no HTML).
func marshal(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func compact(v any) string {
	s := marshal(v)
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// PropLines renders a property change as lines "path: ...", with names,
// paths and values escaped for a terminal (layout.Safe).
func (r *Result) PropLines(p PropChange) []string {
	lines := r.PropText(p)
	for i, l := range lines {
		lines[i] = layout.Safe(l)
	}
	return lines
}

// PropText is PropLines not escaped for a terminal: string values quoted
// as in JSON (a quote or a newline in one shows as \" or \n), every other
// character as it is, for a writer that escapes (a JSON encoder, or
// layout.Safe when the line is shown).
func (r *Result) PropText(p PropChange) []string { return r.propLines(p) }

func (r *Result) propLines(p PropChange) []string {
	switch p.Action {
	case Added:
		return []string{fmt.Sprintf("%s: (new) %s", p.Path, r.describeValue(p.New, p.RefKinds))}
	case Removed:
		return []string{fmt.Sprintf("%s: (removed, was %s)", p.Path, r.describeValue(p.Old, p.RefKinds))}
	case Replaced:
		return []string{fmt.Sprintf("%s: %s → %s", p.Path, r.describeValue(p.Old, p.RefKinds), r.describeValue(p.New, p.RefKinds))}
	}
	var out []string
	for _, e := range p.Added {
		out = append(out, fmt.Sprintf("%s: + %s", p.Path, r.describe(e, p.RefKinds)))
	}
	for _, e := range p.Removed {
		out = append(out, fmt.Sprintf("%s: - %s", p.Path, r.describe(e, p.RefKinds)))
	}
	return out
}

func (r *Result) describeValue(v any, refs []string) string {
	if arr, ok := v.([]any); ok {
		if len(arr) == 0 {
			return "[]"
		}
		parts := make([]string, len(arr))
		for i, e := range arr {
			parts[i] = r.describe(e, refs)
		}
		s := "[" + strings.Join(parts, ", ") + "]"
		if len(s) > 200 {
			s = s[:197] + "...]"
		}
		return s
	}
	return r.describe(v, refs)
}

// Terminal colours for Paint.
const (
	Red    = "\x1b[31m"
	Green  = "\x1b[32m"
	Yellow = "\x1b[33m"
	Bold   = "\x1b[1m"
	Dim    = "\x1b[2m"
	reset  = "\x1b[0m"
)

// Paint wraps s in an ANSI colour when on (a terminal), and leaves it alone otherwise.
func Paint(on bool, color, s string) string {
	if on {
		return color + s + reset
	}
	return s
}

// Summary is "2 added, 1 removed, 3 changed" or "no changes".
func (r *Result) Summary() string {
	a, d, c := r.Count()
	if a+d+c == 0 {
		return "no changes"
	}
	return fmt.Sprintf("%d added, %d removed, %d changed", a, d, c)
}

// Formats are the output formats of a comparison, first the default:
// the values of the diff and drift commands' --format.
var Formats = []string{"text", "markdown", "json"}

// Render writes r in format (one of Formats; "" is text): the one place
// a comparison's format is chosen. o.Color applies to text alone.
func (r *Result) Render(w io.Writer, format string, o RenderOptions) error {
	if p, ok := r.Names.(Prefetcher); ok {
		p.Prefetch(r.namedIDs())
	}
	switch format {
	case "", "text":
		return r.Text(w, o)
	case "markdown":
		o.Color = false
		return r.Markdown(w, o)
	case "json":
		return r.JSON(w)
	}
	return layout.FormatError(format, Formats...)
}

// Text writes the human form.
func (r *Result) Text(w io.Writer, o RenderOptions) error {
	paint := func(color, s string) string { return Paint(o.Color, color, s) }
	if o.Title != "" {
		fmt.Fprintln(w, paint(Bold, layout.Safe(o.Title)))
	}
	lastKind := ""
	for _, c := range r.Changes {
		if c.Kind != lastKind {
			fmt.Fprintf(w, "\n%s\n", paint(Bold, KindTitle(c.Kind)))
			lastKind = c.Kind
		}
		switch c.Action {
		case Added:
			fmt.Fprintf(w, "  %s %s  (%s)\n", paint(Green, "+ added  "), layout.Safe(c.Name), layout.Safe(c.Path))
			attribution(w, o, c, "      ")
		case Removed:
			fmt.Fprintf(w, "  %s %s  (%s)\n", paint(Red, "- removed"), layout.Safe(c.Name), layout.Safe(c.OldPath))
			attribution(w, o, c, "      ")
		default:
			fmt.Fprintf(w, "  %s %s  (%s)\n", paint(Yellow, "~ changed"), layout.Safe(c.Name), layout.Safe(c.Path))
			attribution(w, o, c, "      ")
			if c.OldPath != "" {
				fmt.Fprintf(w, "      file: %s → %s\n", layout.Safe(c.OldPath), layout.Safe(c.Path))
			}
			for _, p := range c.Props {
				for _, l := range r.PropLines(p) {
					fmt.Fprintf(w, "      %s\n", l)
				}
			}
		}
	}
	if len(r.Changes) > 0 {
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "%s\n", r.Summary())
	return err
}

// Markdown writes a form for pull-request descriptions and CI job summaries.
func (r *Result) Markdown(w io.Writer, o RenderOptions) error {
	title := "entrasnap diff"
	if o.Heading != "" {
		title = o.Heading
	}
	if o.Title != "" {
		title += ": " + o.Title
	}
	fmt.Fprintf(w, "### %s\n\n**%s**\n", MarkdownText(title), r.Summary())
	lastKind := ""
	for _, c := range r.Changes {
		if c.Kind != lastKind {
			fmt.Fprintf(w, "\n#### %s\n\n", KindTitle(c.Kind))
			lastKind = c.Kind
		}
		path := c.Path
		if c.Action == Removed {
			path = c.OldPath
		}
		fmt.Fprintf(w, "- **%s** %s — %s\n", c.Action, MarkdownText(c.Name), MarkdownCode(path))
		if o.Attribution != nil {
			for _, l := range o.Attribution(c) {
				fmt.Fprintf(w, "  - _%s_\n", MarkdownText(l))
			}
		}
		for _, p := range c.Props {
			for _, l := range r.PropLines(p) {
				fmt.Fprintf(w, "  - %s\n", MarkdownCode(l))
			}
		}
	}
	return nil
}

// mdReplacer escapes every character that could start markdown syntax
// inside a line of GitHub-flavoured markdown: emphasis, code, HTML tags and
// entities, tables, links and images, headings, strikethrough, and
// @-mentions of users and teams (a zero-width space after @ keeps the text
// and stops the notification). Markers that only count at the start of a
// line (lists, quotes, fences) cannot occur: names are never put there and
// hold no line break after layout.Safe.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "&", "&amp;",
	"|", `\|`, "[", `\[`, "]", `\]`, "#", `\#`, "~", `\~`, "@", "@\u200b",
)

// MarkdownText renders s (a name, a title) as literal text inside a line of
// markdown: escaped for a terminal first (layout.Safe, so it holds no line
// break), then every markdown character backslash-escaped, so a name cannot
// start a heading, list, table row, quote, code block, HTML tag or link, or
// mention anyone.
func MarkdownText(s string) string {
	return mdReplacer.Replace(layout.Safe(s))
}

// MarkdownCode renders s as an inline code span: escaped for a terminal
// first, with backticks replaced so the span cannot be closed early.
func MarkdownCode(s string) string {
	return "`" + strings.ReplaceAll(layout.Safe(s), "`", "'") + "`"
}

// Prefetcher is a Resolver that can ready its answers for many ids at
// once, before they are asked one by one (history.Chain reads the files
// that name them on every CPU).
type Prefetcher interface {
	Resolver
	Prefetch(ids []string)
}

// recorder is a Resolver that names nothing and keeps the ids asked, each
// once, in the order asked.
type recorder struct {
	seen map[string]bool
	ids  []string
}

func (rec *recorder) Name(id string) (string, bool) {
	if !rec.seen[id] {
		rec.seen[id] = true
		rec.ids = append(rec.ids, id)
	}
	return "", false
}

// namedIDs lists the ids any rendering of r asks its Resolver to name
// (text, markdown and JSON), each once: r's property lines and its JSON
// names, built with a resolver that only records.
func (r *Result) namedIDs() []string {
	rec := &recorder{seen: map[string]bool{}}
	dry := *r
	dry.Names = rec
	for _, c := range dry.Changes {
		for _, p := range c.Props {
			dry.propLines(p)
		}
	}
	dry.jsonNames()
	return rec.ids
}

// JSON writes the machine form: every change, with the names of the objects
// that referenced ids point at.
func (r *Result) JSON(w io.Writer) error {
	names := r.jsonNames()
	a, d, ch := r.Count()
	changes := r.Changes
	if changes == nil {
		changes = []Change{}
	}
	out := struct {
		Added   int               `json:"added"`
		Removed int               `json:"removed"`
		Changed int               `json:"changed"`
		Changes []Change          `json:"changes"`
		Names   map[string]string `json:"names"`
	}{a, d, ch, changes, names}
	return layout.WriteJSON(w, out)
}

// jsonNames is the names JSON writes: of every id the changes reference.
func (r *Result) jsonNames() map[string]string {
	names := map[string]string{}
	var collect func(v any, refs bool)
	collect = func(v any, refs bool) {
		switch x := v.(type) {
		case string:
			if refs {
				if n, ok := resolve(r.Names, x); ok {
					names[x] = n
				}
			}
		case []any:
			for _, e := range x {
				collect(e, refs)
			}
		case map[string]any:
			if id, ok := x["id"].(string); ok && refs {
				collect(id, true)
			}
			for _, k := range []string{"principalId", "resourceId"} {
				if s, ok := x[k].(string); ok {
					collect(s, true)
				}
			}
		}
	}
	for _, c := range r.Changes {
		for _, p := range c.Props {
			refs := len(p.RefKinds) > 0
			collect(p.Old, refs)
			collect(p.New, refs)
			collect(p.Added, refs)
			collect(p.Removed, refs)
		}
	}
	return names
}

// Kinds lists the kinds with changes, sorted.
func (r *Result) Kinds() []string {
	seen := map[string]bool{}
	for _, c := range r.Changes {
		seen[c.Kind] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// attribution writes the who-changed-it lines of c (RenderOptions.Attribution).
func attribution(w io.Writer, o RenderOptions, c Change, indent string) {
	if o.Attribution == nil {
		return
	}
	for _, l := range o.Attribution(c) {
		fmt.Fprintf(w, "%s%s\n", indent, Paint(o.Color, Dim, layout.Safe(l)))
	}
}
