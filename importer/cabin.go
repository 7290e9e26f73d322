package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// The Conditional Access recycle bin (identity/conditionalAccess/deletedItems)
// is documented for beta only, and its pages say application permissions
// are not supported: an app-only token (entrasnap's) is refused today. The
// bin is an optimisation: a policy or named location that cannot be
// restored from it is recreated under a new id, with every reference to it
// in the plan remapped, as for one purged from the bin. Reading it never
// aborts a plan.

// loadBin reads k's recycle bin into in.Deleted. A Conditional Access bin
// that cannot be read is recorded in in.BinUnread (the plan says why its
// objects are recreated); any other failure is returned.
func loadBin(ctx context.Context, c *graph.Client, k *layout.Kind, in *Input) error {
	bin := map[string]*Object{}
	err := readBin(ctx, c, k, bin)
	if err == nil {
		for key, o := range bin {
			in.Deleted[key] = o
		}
		return nil
	}
	if k.SoftDelete != "conditional-access" || ctx.Err() != nil {
		return fmt.Errorf("list the recycle bin of %s: %w", k.Name, binDenied([]*layout.Kind{k}, err))
	}
	if in.BinUnread == nil {
		in.BinUnread = map[string]string{}
	}
	in.BinUnread[k.Name] = binRefusal(err)
	return nil
}

// binRefusal says why Graph refused the Conditional Access recycle bin.
func binRefusal(err error) string {
	ge := graph.AsError(err)
	if ge == nil {
		return err.Error()
	}
	why := fmt.Sprintf("Graph answered %d %s", ge.Status, ge.Code)
	if ge.Status == http.StatusForbidden || ge.Status == http.StatusUnauthorized {
		why += ": it is a beta API that does not support application permissions"
	}
	return why
}

// binWarnings tells, on each create of a kind whose recycle bin could not be
// read, why the object is recreated rather than restored. (A bin that could
// not be read while nothing of its kind is recreated changes nothing: no
// warning.)
func (pl *planner) binWarnings() {
	for _, s := range pl.states {
		why, ok := pl.in.BinUnread[s.k.Name]
		if !ok || s.mode != modeCreate || s.main == "" {
			continue
		}
		if a := pl.action(s.main); a != nil {
			a.Warnings = append(a.Warnings, fmt.Sprintf("recreated under a new id, not restored from the Conditional Access recycle bin, which could not be read (%s); references to it in this plan point at the new id", why))
		}
	}
}

// caBinRefused explains a restore from the Conditional Access recycle bin
// that Graph refused at apply time. The plan is bound: apply does not
// recreate instead; a new plan does.
func caBinRefused(a *Action, err error) string {
	ge := graph.AsError(err)
	if a.Op != OpRestore || ge == nil || !strings.Contains(a.Request.Path, "/conditionalAccess/deletedItems/") {
		return ""
	}
	switch ge.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed:
		return "; Graph refused the restore from the Conditional Access recycle bin (a beta API that does not support application permissions, or the object left the bin): apply does not recreate it on its own; plan the restore again, and where the bin cannot be read or no longer holds it, the new plan recreates it under a new id with its references remapped"
	}
	return ""
}

// namesFresh reports whether a's request (path or body, placeholders
// filled) names an object that an action a depends on, directly or not,
// created or restored: only then may "not found" or "... do not exist" be
// Graph's replication lag, worth retrying for a bounded time.
func (r *runner) namesFresh(a *Action, path string, payload any) bool {
	var fresh, keys []string
	seen := map[string]bool{}
	var walk func(deps []string)
	walk = func(deps []string) {
		for _, d := range deps {
			j, ok := r.index[d]
			if !ok || seen[d] {
				continue
			}
			seen[d] = true
			dep := &r.p.Actions[j]
			switch dep.Op {
			case OpCreate:
				r.mu.Lock()
				for _, ph := range []string{dep.Placeholder, dep.AppIDPlaceholder} {
					if v := r.values[ph]; ph != "" && v != "" {
						fresh = append(fresh, v)
					}
				}
				// An object Graph creates under the key the request gave
				// (a branding localization's locale, a user flow's name)
				// has no placeholder: its answer's id names it.
				if id := r.results[j].NewID; id != "" {
					keys = append(keys, id)
				} else if dep.Placeholder == "" && dep.Key != "" {
					// Nor an id in its answer (a cross-tenant access
					// partner, keyed by tenantId): its key names it.
					keys = append(keys, dep.Key)
				}
				r.mu.Unlock()
			case OpRestore:
				// .../deletedItems/{id}/restore keeps the id.
				p := strings.TrimSuffix(dep.Request.Path, "/restore")
				fresh = append(fresh, p[strings.LastIndexByte(p, '/')+1:])
			}
			walk(dep.DependsOn)
		}
	}
	walk(a.DependsOn)
	if len(fresh) == 0 && len(keys) == 0 {
		return false
	}
	text := strings.ToLower(path)
	if b, ok := payload.(json.RawMessage); ok {
		text += " " + strings.ToLower(string(b))
	}
	for _, id := range fresh {
		if id != "" && strings.Contains(text, strings.ToLower(id)) {
			return true
		}
	}
	// A key that may be short ("0", "fr-FR") counts only as a whole path
	// segment or a whole JSON string.
	seg := strings.ToLower(path) + "/"
	for _, k := range keys {
		k = strings.ToLower(k)
		if strings.Contains(seg, "/"+k+"/") || strings.Contains(text, `"`+k+`"`) {
			return true
		}
	}
	return false
}
