package importer

import (
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// Directory roles and PIM: what a restore must not write as it reads.
//
//   - An eligibility a principal holds through a group's eligibility
//     (memberType "Group" or "Inherited", learn.microsoft.com/graph/api/
//     resources/unifiedroleeligibilityschedule) comes back with the group's;
//     assigning it to the member directly would make a standing eligibility
//     nobody granted. It is never created and never removed.
//   - A schedule request answers with its own id; the object it makes is
//     the schedule its targetScheduleId names, which is what the id map
//     records (apply.go).

// roleManagedBy says who writes a role object the restore leaves alone.
func roleManagedBy(k *layout.Kind, data map[string]any) (by, reason string) {
	if k.Name == "role-eligibility-schedules" {
		if mt := str(data["memberType"]); mt != "" && !strings.EqualFold(mt, "Direct") {
			return "PIM", "eligible through a group's eligibility (memberType " + mt + "): it comes back with the group's, never as a direct eligibility"
		}
	}
	return "", ""
}
