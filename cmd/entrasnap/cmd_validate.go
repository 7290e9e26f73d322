package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
	"github.com/urfave/cli/v2"
	yaml "go.yaml.in/yaml/v3"
)

func validateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check hand-edited object files: strict YAML, the kind's schema, the file name",
		ArgsUsage: "FILE... (a folder: every object file below it; -: standard input, with --kind)",
		Description: `validate reads object files as entrasnap reads them back, for pull-request
checks on a configuration-as-code repository:

  - strict YAML: duplicate keys, anchors, tags, and yes/no/on/off (booleans
    only in YAML 1.1) are errors, with the line;
  - the kind's JSON Schema: unknown properties, wrong types, values outside
    an enum, each with its property path and line;
  - the file name: entrasnap keeps an object at one path (folder, shard,
    name and id); a file elsewhere, or whose id or name no longer matches
    its name, is reported with the path it belongs at.

The kind comes from the file's path in the repository (the longest tail of
the path that is an entrasnap object path, so ./backup/groups/3f/... works),
or from --kind. A folder is searched for object files (other files, such as
CI workflows, are skipped).

A file larger than --max-file-size (default 64MiB, far above the largest
real object) is reported and not read; devices such as /dev/zero are
refused unread.

EXIT CODES:
   0   every file is valid
   1   a problem was found (each is printed as FILE:LINE: PROPERTY: MESSAGE)
   64  bad flags or arguments

EXAMPLES:
   entrasnap validate conditional-access/policies/require-mfa.c0ffee00-....yaml
   entrasnap validate .
   git diff --name-only origin/main -- '*.yaml' | xargs entrasnap validate --format github
   cat policy.yaml | entrasnap validate --kind conditional-access-policies -`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "kind", Usage: "the kind of every FILE, as entrasnap kinds names it; required for -"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, github (workflow annotations) or json"},
			maxFileSizeFlag(),
		},
		Action: func(c *cli.Context) error {
			o := validateOptions{files: c.Args().Slice(), format: c.String("format")}
			var err error
			if o.maxFileSize, err = maxFileSizeFrom(c); err != nil {
				return err
			}
			if len(o.files) == 0 {
				return usageErrorf("validate needs at least one FILE (a folder, or - for standard input with --kind)")
			}
			switch o.format {
			case "text", "github", "json":
			default:
				return usageErrorf("--format %q: want text, github or json", o.format)
			}
			if name := c.String("kind"); name != "" {
				k, ok := layout.Lookup(name)
				if !ok {
					return usageErrorf("--kind: %v", &layout.UnknownKindError{Value: name})
				}
				o.kind = k
			}
			return runValidate(c.Context, e, o)
		},
	}
}

type validateOptions struct {
	files  []string
	kind   *layout.Kind // from --kind; nil: from each path
	format string
	// maxFileSize bounds one file (and standard input); 0 means the default.
	maxFileSize int64
}

// fileProblem is one problem in an object file.
type fileProblem struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Property string `json:"property,omitempty"`
	Message  string `json:"message"`
}

func (p fileProblem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Property != "" {
		b.WriteString(p.Property + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

func runValidate(ctx context.Context, e *env, o validateOptions) error {
	if o.maxFileSize <= 0 {
		o.maxFileSize = defaultMaxFileSize
	}
	var problems []fileProblem
	checked := 0
	validateOne := func(name, rel string, k *layout.Kind, data []byte) {
		checked++
		_, ps := inspectObject(k, rel, data)
		for _, p := range ps {
			p.File = name
			problems = append(problems, p)
		}
	}
	for _, arg := range o.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if arg == "-" {
			if o.kind == nil {
				return usageErrorf("reading standard input (-) needs --kind: the kind cannot be told from a path")
			}
			data, tooLarge, err := readLimited(e.stdin, o.maxFileSize)
			if err != nil {
				return fmt.Errorf("reading standard input: %w", err)
			}
			if tooLarge {
				checked++
				problems = append(problems, fileProblem{File: "<stdin>", Message: fileTooLargeMsg(o.maxFileSize)})
				continue
			}
			validateOne("<stdin>", "", o.kind, data)
			continue
		}
		st, err := os.Stat(arg)
		if err != nil {
			checked++
			problems = append(problems, fileProblem{File: arg, Message: "cannot read: " + unwrapPathError(err)})
			continue
		}
		if st.IsDir() {
			err := filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() {
					if p != arg && (d.Name() == ".git" || d.Name() == ".entrasnap") {
						return filepath.SkipDir
					}
					return nil
				}
				if !strings.HasSuffix(p, ".yaml") {
					return nil
				}
				k, rel := kindOf(p, o.kind)
				if k == nil {
					return nil // not an object file: a workflow, a config file
				}
				data, problem := readObjectFile(p, o.maxFileSize)
				if problem != "" {
					checked++
					problems = append(problems, fileProblem{File: p, Message: problem})
					return nil
				}
				validateOne(p, rel, k, data)
				return nil
			})
			if err != nil {
				return fmt.Errorf("reading %s: %w", arg, err)
			}
			continue
		}
		k, rel := kindOf(arg, o.kind)
		if k == nil {
			checked++
			problems = append(problems, fileProblem{File: arg, Message: "cannot tell the kind from the path (it is not below a kind's folder, see `entrasnap kinds`); give --kind"})
			continue
		}
		data, problem := readObjectFile(arg, o.maxFileSize)
		if problem != "" {
			checked++
			problems = append(problems, fileProblem{File: arg, Message: problem})
			continue
		}
		validateOne(arg, rel, k, data)
	}

	switch o.format {
	case "json":
		out := struct {
			Files    int           `json:"files"`
			Valid    bool          `json:"valid"`
			Problems []fileProblem `json:"problems"`
		}{checked, len(problems) == 0, problems}
		if out.Problems == nil {
			out.Problems = []fileProblem{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	case "github":
		for _, p := range problems {
			fmt.Fprintln(e.stdout, githubAnnotation(p))
		}
	default:
		for _, p := range problems {
			fmt.Fprintln(e.stdout, p.String())
		}
	}
	if len(problems) > 0 {
		files := map[string]bool{}
		for _, p := range problems {
			files[p.File] = true
		}
		return &codedError{code: exitError, err: fmt.Errorf("%d %s in %d of %d %s; fix %s and run validate again",
			len(problems), plural(len(problems), "problem", "problems"), len(files), checked,
			plural(checked, "file", "files"), plural(len(files), "it", "them"))}
	}
	if o.format == "text" {
		if checked == 0 {
			fmt.Fprintln(e.stdout, "no object files found")
		} else {
			fmt.Fprintf(e.stdout, "%d %s valid\n", checked, plural(checked, "file", "files"))
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// githubAnnotation renders a problem as a GitHub Actions workflow command.
func githubAnnotation(p fileProblem) string {
	esc := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	msg := p.Message
	if p.Property != "" {
		msg = p.Property + ": " + msg
	}
	s := "::error file=" + prop.Replace(p.File)
	if p.Line > 0 {
		s += ",line=" + strconv.Itoa(p.Line)
	}
	return s + ",title=entrasnap validate::" + esc.Replace(msg)
}

// kindOf is a file's kind (--kind, or from its path) and its path in the
// repository when the path tells it ("" otherwise: the name is not checked).
func kindOf(p string, flag *layout.Kind) (*layout.Kind, string) {
	k, rel, ok := locateFile(p)
	switch {
	case !ok:
		return flag, ""
	case flag != nil && flag != k:
		return flag, "" // the path names another kind: trust --kind
	}
	return k, rel
}

// locateFile finds a file's kind from its path: the longest tail of the
// path that is an entrasnap object path, or else the longest tail below a
// kind's folder (rel then says where it is, for the file name check).
func locateFile(p string) (k *layout.Kind, rel string, ok bool) {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(p)), "/")
	for i := range parts {
		tail := strings.Join(parts[i:], "/")
		if k, _, err := layout.Locate(tail); err == nil {
			return k, tail, true
		}
	}
	for i := range parts {
		tail := strings.Join(parts[i:], "/")
		if k, ok := layout.ForPath(tail); ok && strings.HasSuffix(tail, ".yaml") {
			return k, tail, true
		}
	}
	return nil, "", false
}

// inspectObject reads one object file of kind k as entrasnap reads files
// back: strictly decoded, checked against the kind's schema, and, when rel
// (its path in the repository) is known, at the path export would write it
// to. Problems carry the line where it can be found; File is left empty.
func inspectObject(k *layout.Kind, rel string, data []byte) (map[string]any, []fileProblem) {
	obj, err := layout.Decode(data)
	if err != nil {
		var de *layout.DecodeError
		if errors.As(err, &de) {
			return nil, []fileProblem{{Line: de.Line, Property: de.Path, Message: de.Msg}}
		}
		return nil, []fileProblem{{Message: err.Error()}}
	}
	var out []fileProblem
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		out = append(out, fileProblem{Line: 1, Message: "the file starts with a byte order mark (BOM), which entrasnap never writes: save it as UTF-8 without BOM"})
	}
	sch, err := schemas.For(k.Name)
	switch {
	case err != nil:
		out = append(out, fileProblem{Message: "not validated: " + err.Error()})
	default:
		if err := sch.Validate(obj); err != nil {
			var ve *schemas.ValidationError
			if errors.As(err, &ve) {
				var lines *yamlLines
				for _, pr := range ve.Problems {
					if lines == nil {
						lines = newYAMLLines(data)
					}
					out = append(out, fileProblem{Line: lines.of(pr.Path), Property: pr.Path, Message: pr.Message})
				}
			} else {
				out = append(out, fileProblem{Message: err.Error()})
			}
		}
	}
	if rel != "" {
		want, err := layout.Path(k, obj)
		switch {
		case err != nil:
			if !hasProblemAt(out, k.KeyProp()) {
				out = append(out, fileProblem{Property: k.KeyProp(), Message: "required: it names the object and its file"})
			}
		case want != rel && !caseDistinctPath(k, obj, rel):
			msg := "entrasnap keeps this object at " + want + "; rename the file (or fix its " + k.KeyProp()
			if k.NameProp != "" {
				msg += " or " + k.NameProp
			}
			out = append(out, fileProblem{Message: msg + ")"})
		}
	}
	// In file order; problems without a line (the file name) last.
	sort.SliceStable(out, func(i, j int) bool {
		li, lj := out[i].Line, out[j].Line
		if li == 0 || lj == 0 {
			return lj == 0 && li != 0
		}
		return li < lj
	})
	return obj, out
}

func hasProblemAt(ps []fileProblem, prop string) bool {
	for _, p := range ps {
		if p.Property == prop {
			return true
		}
	}
	return false
}

// yamlLines finds the lines of properties in a YAML document.
type yamlLines struct{ root *yaml.Node }

func newYAMLLines(data []byte) *yamlLines {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return &yamlLines{}
	}
	return &yamlLines{root: doc.Content[0]}
}

// of returns the line of the property at a dotted path
// ("conditions.users.includeGroups[2]", "web.@odata.type"): the key's line
// for a property, the element's for an array element, and the deepest line
// found when the path goes further than the document (a missing property:
// its parent's line). 0 when nothing matches.
func (y *yamlLines) of(path string) int {
	n, line, rest := y.root, 0, path
	for n != nil && rest != "" {
		if rest[0] == '[' {
			j := strings.IndexByte(rest, ']')
			if j < 0 || n.Kind != yaml.SequenceNode {
				return line
			}
			i, err := strconv.Atoi(rest[1:j])
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			rest = strings.TrimPrefix(rest[j+1:], ".")
			continue
		}
		if n.Kind != yaml.MappingNode {
			return line
		}
		// Keys may hold dots (@odata.type): take the longest key that the
		// path continues after.
		best := -1
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if strings.HasPrefix(rest, key) && (len(rest) == len(key) || rest[len(key)] == '.' || rest[len(key)] == '[') &&
				(best < 0 || len(key) > len(n.Content[best].Value)) {
				best = i
			}
		}
		if best < 0 {
			return line
		}
		line = n.Content[best].Line
		rest = strings.TrimPrefix(rest[len(n.Content[best].Value):], ".")
		n = n.Content[best+1]
	}
	return line
}

// caseDistinctPath: rel is the path export gives an object whose key
// differs from another's only in case (layout.PathCaseDistinct).
func caseDistinctPath(k *layout.Kind, obj map[string]any, rel string) bool {
	alt, err := layout.PathCaseDistinct(k, obj)
	return err == nil && alt == rel
}
