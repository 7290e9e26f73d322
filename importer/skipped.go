package importer

import (
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// checkSkipped refuses a restore that selects a file of the snapshot that
// could not be read: by its path, its id, or its kind (a whole-kind restore
// would otherwise delete the object it holds as "not at REV"). Files that
// are not selected are left out; Compute warns about them in the plan.
// resolveErr is the error ResolveSelectors gave, if any: a selector that
// matched nothing may have meant an unreadable file.
func checkSkipped(skipped []diff.Skipped, selectors []string, sel Selection, rev string, resolveErr error) error {
	if len(skipped) == 0 {
		return resolveErr
	}
	covers := sel.matcher()
	var hit []string
	for _, s := range skipped {
		k, key, err := layout.Locate(s.Path)
		if err != nil {
			continue
		}
		selected := covers(k.Name, s.Path)
		for _, sr := range selectors {
			sr = strings.TrimSpace(sr)
			if sr == s.Path || strings.EqualFold(sr, key) {
				selected = true
			}
		}
		if selected {
			hit = append(hit, s.String())
		}
	}
	if len(hit) > 0 {
		return fmt.Errorf("the selection holds %d unreadable files of %s, nothing was written: %s; fix the file (entrasnap check lists every problem) or select around it",
			len(hit), rev, layout.Safe(strings.Join(hit, "; ")))
	}
	if resolveErr != nil {
		parts := make([]string, len(skipped))
		for i, s := range skipped {
			parts[i] = s.Path
		}
		return fmt.Errorf("%w (%d files of %s could not be read and may hold it: %s)", resolveErr, len(skipped), rev, layout.Safe(strings.Join(parts, ", ")))
	}
	return nil
}

// skippedWarnings are the plan's warnings for unreadable files left out.
func skippedWarnings(skipped []diff.Skipped, rev string) []string {
	var out []string
	for _, s := range skipped {
		out = append(out, fmt.Sprintf("%s could not be read at %s and was left out (not selected): %s", s.Path, rev, s.Reason))
	}
	return out
}
