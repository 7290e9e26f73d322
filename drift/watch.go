package drift

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/entrasnap/entrasnap/diff"
	"github.com/entrasnap/entrasnap/history"
	"github.com/entrasnap/entrasnap/layout"
)

// Watch is a watch file (drift --watch): what drift is critical. Resolve
// it against the baseline before Compare.
type Watch struct {
	kinds   map[string]bool
	paths   []string
	objects map[string]bool // lower-case ids
	// selectors are the objects as written, resolved against the baseline
	// by Resolve.
	selectors []string
}

// ParseWatch reads a watch file strictly: only kinds, paths and objects,
// each a list of strings.
func ParseWatch(data []byte) (*Watch, error) {
	v, err := layout.Decode(data)
	if err != nil {
		return nil, err
	}
	strs := func(key string) ([]string, error) {
		raw, ok := v[key]
		if !ok || raw == nil {
			return nil, nil
		}
		list, ok := raw.([]any)
		if !ok {
			if s, ok := raw.(string); ok {
				return []string{s}, nil
			}
			return nil, fmt.Errorf("%s: want a list of strings", key)
		}
		out := make([]string, 0, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("%s[%d]: want a string", key, i)
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out, nil
	}
	for key := range v {
		switch key {
		case "kinds", "paths", "objects":
		default:
			return nil, fmt.Errorf("unknown key %q: a watch file lists kinds, paths and objects", key)
		}
	}
	w := &Watch{kinds: map[string]bool{}, objects: map[string]bool{}}
	ks, err := strs("kinds")
	if err != nil {
		return nil, err
	}
	if len(ks) > 0 {
		sel, err := layout.Select(ks)
		if err != nil {
			return nil, fmt.Errorf("kinds: %v", err)
		}
		for _, k := range sel {
			w.kinds[k.Name] = true
		}
	}
	ps, err := strs("paths")
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		p = strings.TrimSuffix(path.Clean(strings.TrimPrefix(p, "./")), "/")
		if p == "." || p == "" {
			return nil, errors.New("paths: \".\" would watch everything; list kinds or folders")
		}
		w.paths = append(w.paths, p)
	}
	ids, err := strs("objects")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		w.objects[strings.ToLower(id)] = true
		w.selectors = append(w.selectors, id)
	}
	if len(w.kinds)+len(w.paths)+len(w.objects) == 0 {
		return nil, errors.New("it names nothing to watch: list kinds, paths or objects")
	}
	return w, nil
}

func (w *Watch) watchesPath(p string) bool {
	if p == "" {
		return false
	}
	for _, q := range w.paths {
		if p == q || strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}

// critical reports whether a change touches what the list watches.
func (w *Watch) critical(c diff.Change) bool {
	return w.kinds[c.Kind] || w.objects[strings.ToLower(c.Key)] || w.watchesPath(c.Path) || w.watchesPath(c.OldPath)
}

// kindCritical reports whether a kind that could not be checked may hold
// watched drift: the kind is watched, a watched path is in its folder (or
// holds it), or a watched object is of this kind in the baseline.
func (w *Watch) kindCritical(k *layout.Kind, base *history.Index) bool {
	if w.kinds[k.Name] {
		return true
	}
	root := kindRoot(k)
	for _, q := range w.paths {
		if q == root || strings.HasPrefix(q, root+"/") || strings.HasPrefix(root, q+"/") {
			return true
		}
	}
	for id := range w.objects {
		ps, err := base.Lookup(id)
		if err != nil {
			return true // cannot tell: treat as critical
		}
		for _, p := range ps {
			if base.Kind(p) == k {
				return true
			}
		}
	}
	return false
}

// Resolve turns the list's objects (any selector naming one object:
// an id, an alias such as an application's appId, a file path or
// kind/displayName) into the ids of those objects in the baseline. An id
// the baseline does not hold is kept as it is (the object may be new).
func (w *Watch) Resolve(base *history.Index) error {
	for _, s := range w.selectors {
		p, err := history.ResolveOne(base, s)
		if err != nil {
			var se *history.SelectorError
			if errors.As(err, &se) && layout.IsGUID(s) {
				continue
			}
			return fmt.Errorf("objects: %v", err)
		}
		if k := base.Kind(p); k != nil {
			if _, key, err := layout.Locate(p); err == nil {
				if k.Singleton {
					key = k.Name
				}
				w.objects[strings.ToLower(key)] = true
			}
		}
	}
	return nil
}
