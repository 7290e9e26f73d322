package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/schemas"
	"github.com/entrasnap/entrasnap/snapshot"
)

// MaxFileSizeEnv names the environment variable that raises the limit on
// one object file (the CLI's --max-file-size).
const MaxFileSizeEnv = "ENTRASNAP_MAX_FILE_SIZE"

// Problem is one problem in an object file.
type Problem struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Property string `json:"property,omitempty"`
	Message  string `json:"message"`
}

func (p Problem) String() string {
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

// GitHub renders a problem as a GitHub Actions workflow command.
func (p Problem) GitHub() string {
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

// FileOptions say how Files reads its arguments.
type FileOptions struct {
	Kind        *layout.Kind // the kind of every file; nil: from each path
	MaxFileSize int64        // the largest file read; 0: snapshot.DefaultMaxFileSize
	Stdin       io.Reader    // read for the argument "-"
}

// FilesReport is what Files found.
type FilesReport struct {
	Files    int       `json:"files"`
	Valid    bool      `json:"valid"`
	Problems []Problem `json:"problems"`
}

// ProblemFiles is how many files have problems.
func (r *FilesReport) ProblemFiles() int {
	files := map[string]bool{}
	for _, p := range r.Problems {
		files[p.File] = true
	}
	return len(files)
}

// ErrStdinNeedsKind: "-" was given without FileOptions.Kind.
var ErrStdinNeedsKind = errors.New("reading standard input (-) needs --kind: the kind cannot be told from a path")

// Files checks object files as entrasnap reads them back (see File): each
// argument is a file, a folder (every object file below it) or "-" (Stdin).
// A file that cannot be read is a problem; the error is for a folder that
// cannot be walked, or "-" without a kind (ErrStdinNeedsKind).
func Files(ctx context.Context, args []string, o FileOptions) (*FilesReport, error) {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = snapshot.DefaultMaxFileSize
	}
	rep := &FilesReport{Problems: []Problem{}}
	problem := func(p Problem) { rep.Problems = append(rep.Problems, p) }
	one := func(name, rel string, k *layout.Kind, data []byte, unread string) {
		rep.Files++
		if unread != "" {
			problem(Problem{File: name, Message: unread})
			return
		}
		_, ps := File(k, rel, data)
		for _, p := range ps {
			p.File = name
			problem(p)
		}
	}
	for _, arg := range args {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if arg == "-" {
			if o.Kind == nil {
				return nil, ErrStdinNeedsKind
			}
			data, tooLarge, err := readLimited(o.Stdin, o.MaxFileSize)
			if err != nil {
				return nil, fmt.Errorf("reading standard input: %w", err)
			}
			unread := ""
			if tooLarge {
				unread = TooLargeMessage(o.MaxFileSize)
			}
			one("<stdin>", "", o.Kind, data, unread)
			continue
		}
		st, err := os.Stat(arg)
		if err != nil {
			one(arg, "", nil, nil, "cannot read: "+PathErrorText(err))
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
				k, rel := KindOf(p, o.Kind)
				if k == nil {
					return nil // not an object file: a workflow, a config file
				}
				data, unread := readObjectFile(p, o.MaxFileSize)
				one(p, rel, k, data, unread)
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", arg, err)
			}
			continue
		}
		k, rel := KindOf(arg, o.Kind)
		if k == nil {
			one(arg, "", nil, nil, "cannot tell the kind from the path (it is not below a kind's folder, see `entrasnap kinds`); give --kind")
			continue
		}
		data, unread := readObjectFile(arg, o.MaxFileSize)
		one(arg, rel, k, data, unread)
	}
	rep.Valid = len(rep.Problems) == 0
	return rep, nil
}

// PathErrorText is err without the path an *fs.PathError repeats.
func PathErrorText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// KindOf is a file's kind (flag, or from its path) and its path in the
// repository when the path tells it ("" otherwise: the name is not checked).
func KindOf(p string, flag *layout.Kind) (*layout.Kind, string) {
	k, rel, ok := locateFile(p)
	switch {
	case !ok:
		return flag, ""
	case flag != nil && flag != k:
		return flag, "" // the path names another kind: trust the flag
	}
	return k, rel
}

// locateFile finds a file's kind from its path: the longest tail of the
// path that is an entrasnap object path, or else the longest tail below a
// kind's folder (rel then says where it is, for the file name check).
func locateFile(p string) (k *layout.Kind, rel string, ok bool) {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(p)), "/")
	for _, objectOnly := range []bool{true, false} {
		for i := range parts {
			tail := strings.Join(parts[i:], "/")
			if k, object, ok := layout.KindOf(tail); object || ok && !objectOnly && strings.HasSuffix(tail, ".yaml") {
				return k, tail, true
			}
		}
	}
	return nil, "", false
}

// File reads one object file of kind k as entrasnap reads files back:
// strictly decoded, checked against the kind's schema, and, when rel (its
// path in the repository) is known, at the path export would write it to.
// Problems carry the line where it can be found; File is left empty. The
// object is nil when the file cannot be decoded.
func File(k *layout.Kind, rel string, data []byte) (map[string]any, []Problem) {
	obj, err := layout.Decode(data)
	if err != nil {
		var de *layout.DecodeError
		if errors.As(err, &de) {
			return nil, []Problem{{Line: de.Line, Property: de.Path, Message: de.Msg}}
		}
		return nil, []Problem{{Message: err.Error()}}
	}
	var out []Problem
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		out = append(out, Problem{Line: 1, Message: "the file starts with a byte order mark (BOM), which entrasnap never writes: save it as UTF-8 without BOM"})
	}
	sch, err := schemas.For(k.Name)
	switch {
	case err != nil:
		out = append(out, Problem{Message: "not validated: " + err.Error()})
	default:
		if err := sch.Validate(obj); err != nil {
			var ve *schemas.ValidationError
			if errors.As(err, &ve) {
				var lines *layout.Lines
				for _, pr := range ve.Problems {
					if lines == nil {
						lines = layout.NewLines(data)
					}
					out = append(out, Problem{Line: lines.Of(pr.Path), Property: pr.Path, Message: pr.Message})
				}
			} else {
				out = append(out, Problem{Message: err.Error()})
			}
		}
	}
	if nk, isNew := NewObjectPath(rel); isNew && nk == k {
		// A new object's file: no id yet (Graph assigns it when a plan from
		// files creates it), so the id is neither required nor in the name.
		out = slices.DeleteFunc(out, func(p Problem) bool { return p.Property == k.KeyProp() && obj[k.KeyProp()] == nil })
		if v, ok := obj[k.KeyProp()]; ok && v != nil {
			out = append(out, Problem{Line: layout.NewLines(data).Of(k.KeyProp()), Property: k.KeyProp(),
				Message: "a new object's file (new-NAME.yaml) has no " + k.KeyProp() + ": Graph assigns it; remove this line, or, for an existing object, name the file as entrasnap does"})
		}
	} else if rel != "" {
		want, err := layout.Path(k, obj)
		switch {
		case err != nil:
			if !hasProblemAt(out, k.KeyProp()) {
				out = append(out, Problem{Property: k.KeyProp(), Message: "required: it names the object and its file"})
			}
		case want != rel && !caseDistinctPath(k, obj, rel):
			msg := "entrasnap keeps this object at " + want + "; rename the file (or fix its " + k.KeyProp()
			if k.NameProp != "" {
				msg += " or " + k.NameProp
			}
			out = append(out, Problem{Message: msg + ")"})
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

// newObjectRe names a new object's file: new-NAME.yaml.
var newObjectRe = regexp.MustCompile(`^new-[A-Za-z0-9][A-Za-z0-9_-]{0,100}\.yaml$`)

// NewObjectPath reports whether p, a repository path, is where a new
// object's file goes (README, "Change the tenant through pull requests"): a
// file new-NAME.yaml directly in the folder of a kind that is not a
// singleton, with no id yet; and of which kind.
func NewObjectPath(p string) (*layout.Kind, bool) {
	k, ok := layout.ForPath(p)
	if !ok || k.Singleton || path.Dir(p) != k.Folder || !newObjectRe.MatchString(path.Base(p)) {
		return nil, false
	}
	return k, true
}

func hasProblemAt(ps []Problem, prop string) bool {
	for _, p := range ps {
		if p.Property == prop {
			return true
		}
	}
	return false
}

// caseDistinctPath: rel is the path export gives an object whose key
// differs from another's only in case (layout.PathCaseDistinct).
func caseDistinctPath(k *layout.Kind, obj map[string]any, rel string) bool {
	alt, err := layout.PathCaseDistinct(k, obj)
	return err == nil && alt == rel
}

// TooLargeMessage is the problem reported for a file over the limit.
func TooLargeMessage(limit int64) string {
	return fmt.Sprintf("larger than %s, the limit on one object file; not read (raise it with --max-file-size or %s if the file is really meant to be this large)", layout.FormatSize(limit), MaxFileSizeEnv)
}

// readLimited reads at most limit bytes from r; tooLarge is true when r
// holds more (then limit+1 bytes have been read, no more).
func readLimited(r io.Reader, limit int64) (data []byte, tooLarge bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		return nil, true, err
	}
	return data, false, err
}

// readObjectFile reads a file for validate, at most limit bytes. Devices
// (/dev/zero, /dev/urandom: endless) and sockets are refused unread; a
// pipe (`validate <(git show REV:path)`) is read up to the limit. A
// non-empty problem says why the file was not read.
func readObjectFile(p string, limit int64) (data []byte, problem string) {
	f, err := os.Open(p)
	if err != nil {
		return nil, "cannot read: " + PathErrorText(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "cannot read: " + PathErrorText(err)
	}
	if st.Mode()&(os.ModeDevice|os.ModeSocket|os.ModeIrregular) != 0 || st.IsDir() {
		return nil, "not a file but " + fileType(st.Mode()) + "; validate reads object files only"
	}
	if st.Mode().IsRegular() && st.Size() > limit {
		return nil, TooLargeMessage(limit)
	}
	data, tooLarge, err := readLimited(f, limit)
	switch {
	case err != nil:
		return nil, "cannot read: " + PathErrorText(err)
	case tooLarge: // it grew while being read
		return nil, TooLargeMessage(limit)
	}
	return data, ""
}

func fileType(m os.FileMode) string {
	switch {
	case m&os.ModeDevice != 0 && m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a folder"
	}
	return "mode " + m.String()
}
