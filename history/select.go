package history

import (
	"fmt"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/layout"
)

// View is what selectors are resolved against: the object files of one
// revision. *Index is the View every caller uses.
type View interface {
	// Paths returns every object file, sorted.
	Paths() ([]string, error)
	// Kind returns the kind of an object file (nil when p is none).
	Kind(p string) *layout.Kind
	// Lookup returns the files of the objects with this id or alias.
	Lookup(id string) ([]string, error)
	// Object decodes an object file.
	Object(p string) (*diff.Object, error)
}

// Selection is what selectors name: whole kinds (in catalog order) and
// single object files (sorted). A path of a selected kind is not listed
// again.
type Selection struct {
	Kinds []string `json:"kinds,omitempty"`
	Paths []string `json:"paths,omitempty"`
}

// SelectorError: a selector names nothing at the revision, or (where one
// object is wanted) more than one.
type SelectorError struct{ Selector, Msg string }

func (e *SelectorError) Error() string { return fmt.Sprintf("selector %q: %s", e.Selector, e.Msg) }

// Resolve turns selectors into a Selection (see the package comment for
// the grammar); all selects every kind. An error names the first selector
// that names nothing, or a name that several objects share.
func Resolve(v View, selectors []string, all bool) (Selection, error) {
	var sel Selection
	kinds := map[string]bool{}
	if all {
		for _, k := range layout.Kinds() {
			kinds[k.Name] = true
		}
	}
	paths := map[string]bool{}
	for _, s := range selectors {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		ks, ps, err := resolve(v, s)
		if err != nil {
			return sel, err
		}
		if len(ps) > 1 && !sameKey(v, ps) {
			return sel, ambiguous(s, ps)
		}
		for _, k := range ks {
			kinds[k.Name] = true
		}
		for _, p := range ps {
			paths[p] = true
		}
	}
	for _, k := range layout.Kinds() {
		if kinds[k.Name] {
			sel.Kinds = append(sel.Kinds, k.Name)
		}
	}
	for p := range paths {
		if k := v.Kind(p); k == nil || !kinds[k.Name] {
			sel.Paths = append(sel.Paths, p)
		}
	}
	sort.Strings(sel.Paths)
	if len(sel.Kinds) == 0 && len(sel.Paths) == 0 {
		return sel, &SelectorError{Selector: strings.Join(selectors, " "), Msg: "selects nothing: name at least one object or kind, or use --all"}
	}
	return sel, nil
}

// ResolveOne resolves a selector that must name one object (show, log): a
// kind names one object only when it is a singleton (the organization).
func ResolveOne(v View, selector string) (string, error) {
	s := strings.TrimSpace(selector)
	if s == "" {
		return "", &SelectorError{Selector: selector, Msg: "empty: give an id, a file path or kind/displayName"}
	}
	ks, ps, err := resolve(v, s)
	if err != nil {
		return "", err
	}
	if len(ks) > 0 {
		if len(ks) == 1 && ks[0].Singleton {
			p := ks[0].Root()
			if v.Kind(p) != nil {
				return p, nil
			}
			return "", &SelectorError{Selector: s, Msg: fmt.Sprintf("the snapshot holds no %s at this revision", ks[0].Title)}
		}
		names := make([]string, len(ks))
		for i, k := range ks {
			names[i] = k.Name
		}
		return "", &SelectorError{Selector: s, Msg: fmt.Sprintf("names a kind or folder (%s), not one object; give an id, a file path or kind/displayName (e.g. %s/Require MFA)", strings.Join(names, ", "), ks[0].Name)}
	}
	if len(ps) > 1 && sameKey(v, ps) {
		return "", &SelectorError{Selector: s, Msg: fmt.Sprintf("%d files hold this id (%s); run `entrasnap check`, and give one file path", len(ps), strings.Join(ps, ", "))}
	}
	if len(ps) != 1 {
		return "", ambiguous(s, ps)
	}
	return ps[0], nil
}

func ambiguous(s string, ps []string) error {
	return &SelectorError{Selector: s, Msg: fmt.Sprintf("names %d objects (%s); use an id or a file path", len(ps), strings.Join(ps, ", "))}
}

// sameKey reports whether paths all hold one object (an id selects every
// file of that id: the same object under two names is one restore).
func sameKey(v View, ps []string) bool {
	first := ""
	for i, p := range ps {
		_, key, err := layout.Locate(p)
		if err != nil {
			return false
		}
		if i == 0 {
			first = key
		} else if normKey(key) != normKey(first) {
			return false
		}
	}
	return true
}

// resolve is the grammar: a path, a kind or folder, an id or alias, or
// kind/displayName, in that order.
func resolve(v View, s string) ([]*layout.Kind, []string, error) {
	if v.Kind(s) != nil {
		return nil, []string{s}, nil
	}
	if !strings.Contains(s, ",") {
		if ks, err := layout.Select([]string{s}); err == nil && len(ks) > 0 {
			return ks, nil, nil
		}
	}
	ps, err := v.Lookup(s)
	if err != nil {
		return nil, nil, err
	}
	if len(ps) > 0 {
		return nil, ps, nil
	}
	// kind/displayName: the longest kind part that names a kind wins.
	var kindErr error
	for i := len(s) - 1; i > 0; i-- {
		if s[i] != '/' {
			continue
		}
		ks, err := layout.Select([]string{s[:i]})
		if err != nil || strings.Contains(s[:i], ",") {
			if kindErr == nil && err != nil {
				kindErr = err
			}
			continue
		}
		kindPart, name := s[:i], s[i+1:]
		matches, err := byName(v, ks, name)
		if err != nil {
			return nil, nil, err
		}
		if len(matches) == 0 && strings.HasSuffix(s, ".yaml") {
			return nil, nil, &SelectorError{Selector: s, Msg: "no such file at this revision"}
		}
		if len(matches) == 0 {
			return nil, nil, &SelectorError{Selector: s, Msg: fmt.Sprintf("no %s named %q at this revision", kindPart, name)}
		}
		return nil, matches, nil
	}
	switch {
	case !strings.Contains(s, "/"):
		return nil, nil, &SelectorError{Selector: s, Msg: "no object with this id, and no kind or folder of this name, at this revision; give an id, a file path, kind/displayName or a kind (see `entrasnap kinds`)"}
	case strings.HasSuffix(s, ".yaml"):
		return nil, nil, &SelectorError{Selector: s, Msg: "no such file at this revision"}
	case kindErr == nil: // "/groups": nothing before the slash
		return nil, nil, &SelectorError{Selector: s, Msg: "no kind before the \"/\": give kind/displayName (e.g. groups/Finance Admins), an id, a file path or a kind (see `entrasnap kinds`)"}
	}
	return nil, nil, &SelectorError{Selector: s, Msg: kindErr.Error()}
}

// byName returns the files of the objects of kinds called name. Files are
// named by the slug of their name: those are read first, and every file
// of the kinds only when none of them matches (a name the slug cannot
// carry).
func byName(v View, kinds []*layout.Kind, name string) ([]string, error) {
	want := map[*layout.Kind]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	all, err := v.Paths()
	if err != nil {
		return nil, err
	}
	prefix := layout.Slug(name) + "."
	var matches []string
	match := func(bySlug bool) {
		for _, p := range all {
			k := v.Kind(p)
			if !want[k] || bySlug && !strings.HasPrefix(p[strings.LastIndexByte(p, '/')+1:], prefix) {
				continue
			}
			o, err := v.Object(p)
			if err != nil {
				continue // listed by the index as skipped
			}
			for _, prop := range diff.NameProps { // any of them: a user by name or UPN
				if n, ok := o.Data[prop].(string); ok && strings.EqualFold(n, name) {
					matches = append(matches, p)
					break
				}
			}
		}
	}
	if match(true); len(matches) == 0 {
		match(false)
	}
	return matches, nil
}
