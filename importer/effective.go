package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// effective is the desired data as it will be written: Conditional Access
// safety and break-glass exclusions applied. current is the live (or
// recycle bin) object, nil for a create.
func (pl *planner) effective(s *objState, current *Object) (map[string]any, []string) {
	data := layout.Copy(s.d.Data).(map[string]any)
	var warns []string
	if s.k.Name != "conditional-access-policies" {
		return data, warns
	}
	if pl.in.Options.CAState != CAStateAsIs && str(data["state"]) == "enabled" {
		wasOn := current != nil && s.mode == modeLive && str(current.Data["state"]) == "enabled"
		if !wasOn {
			data["state"] = caReportOnly
			switch {
			case s.mode == modeBin:
				warns = append(warns, "restored in report-only state (it was enabled at REV): Graph restores it as it was deleted, and the next request sets report-only; review its sign-in logs, then enable it or restore again with --ca-state as-is")
			case current != nil && str(current.Data["state"]) == caReportOnly:
				warns = append(warns, "kept in report-only state (it was enabled at REV): enable it after review, or restore again with --ca-state as-is")
			default:
				warns = append(warns, "written in report-only state (it was enabled at REV), so a restore cannot lock anyone out: review its sign-in logs, then enable it or restore again with --ca-state as-is")
			}
		}
	}
	if current != nil && len(pl.in.BreakGlass) > 0 {
		for _, p := range []string{"excludeUsers", "excludeGroups"} {
			cur := asSlice(dig(current.Data, "conditions", "users", p))
			users, _ := dig(data, "conditions", "users").(map[string]any)
			if users == nil {
				continue
			}
			want := asSlice(users[p])
			for _, v := range cur {
				id := str(v)
				if !pl.in.BreakGlass[strings.ToLower(id)] || slices.ContainsFunc(want, func(w any) bool { return strings.EqualFold(str(w), id) }) {
					continue
				}
				want = append(want, id)
				warns = append(warns, fmt.Sprintf("break-glass %s kept in conditions.users.%s (it was not excluded at REV; break-glass accounts are never removed from exclusions)", pl.refName(id), p))
			}
			sortAny(want)
			users[p] = want
		}
	}
	return data, warns
}
