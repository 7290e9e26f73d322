package check

import (
	"fmt"
	"io"

	"github.com/entrasnap/entrasnap/layout"
)

// Verdict is what fails a check of rep.Repo, nil when nothing does:
// untrusted when commits or snapshot tags are unsigned or signed by a key
// not allowed (Signatures; the error also counts the file errors), else an
// error counting the file errors. Each says what to do.
func (rep *Report) Verdict() (untrusted bool, err error) {
	if s := rep.Signatures; s != nil && s.Failed > 0 {
		also := ""
		if rep.Errors > 0 {
			also = fmt.Sprintf(", and found %d %s in the files", rep.Errors, layout.Plural(rep.Errors, "error", "errors"))
		}
		return true, fmt.Errorf(
			"%d of %d commits and snapshot tags in %s are unsigned or not signed by a key %s allows for their committer or tagger (listed above)%s; a rewritten or unsigned snapshot cannot be trusted: compare it with a copy you trust (a clone or the CI's remote) before restoring from it",
			s.Failed, s.Commits+s.Tags, rep.Repo, s.AllowedSigners, also)
	}
	if rep.Errors > 0 {
		return false, fmt.Errorf("check found %d %s in %s (listed above); fix the files in a commit, or run `entrasnap export` to rewrite the objects",
			rep.Errors, layout.Plural(rep.Errors, "error", "errors"), rep.Repo)
	}
	return false, nil
}

// Err counts the problems Files found and the files that hold them (nil
// when there are none).
func (r *FilesReport) Err() error {
	n, nf := len(r.Problems), r.ProblemFiles()
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%d %s in %d of %d %s; fix %s and run validate again",
		n, layout.Plural(n, "problem", "problems"), nf, r.Files,
		layout.Plural(r.Files, "file", "files"), layout.Plural(nf, "it", "them"))
}

// Write writes r in format: text (a line per problem, then the count of
// valid files when there is none), github (workflow annotations) or json.
// Every string from a file is escaped (layout.Safe).
func (r *FilesReport) Write(w io.Writer, format string) error {
	switch format {
	case layout.FormatJSON:
		return layout.WriteJSON(w, r)
	case "github":
		for _, p := range r.Problems {
			fmt.Fprintln(w, layout.Safe(p.GitHub()))
		}
		return nil
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, layout.Safe(p.String()))
	}
	switch {
	case len(r.Problems) > 0:
	case r.Files == 0:
		fmt.Fprintln(w, "no object files found")
	default:
		fmt.Fprintf(w, "%d %s valid\n", r.Files, layout.Plural(r.Files, "file", "files"))
	}
	return nil
}
