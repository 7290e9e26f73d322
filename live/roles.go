package live

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// activatedPath lists the active role assignments made by a PIM activation:
// Graph lists them in /roleManagement/directory/roleAssignments too, next to
// the standing ones, until they end
// (learn.microsoft.com/graph/api/resources/unifiedroleassignmentscheduleinstance,
// assignmentType "Activated").
// It also lists time-bound assignments an admin made (assignmentType
// Assigned with an endDateTime), which are kept under
// roles/time-bound-assignments with their end (live/pim.go's timeBound) and
// so left out here too: one home per assignment.
var activatedPath = "/roleManagement/directory/roleAssignmentScheduleInstances?" +
	url.Values{"$select": {"id,roleAssignmentOriginId,assignmentType,endDateTime"}}.Encode()

// dropActivated leaves out the role assignments that are PIM activations: a
// time-bound state of an eligibility (kept under roles/eligibility), not a
// standing assignment a restore may make again. A tenant without the PIM
// licence has no activations (Graph answers AadPremiumLicenseRequired); any
// other failure fails the kind, as a snapshot that cannot tell an
// activation from a standing assignment would let a restore make it
// permanent.
//
// A tenant without P2 cannot tell time-bound assignments from standing
// ones either: the kind is read (Graph lists them all as role assignments)
// and its KindResult.PartNotLicensed says so, as the default export's
// "not licensed" line for time-bound-role-assignments does when --kinds
// leaves that kind out.
func (r *reader) dropActivated(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64) ([]map[string]any, error) {
	activated := map[string]bool{}
	err := r.c.List(ctx, "/"+k.APIVersion+activatedPath, func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			var inst struct {
				ID     string `json:"id"`
				Origin string `json:"roleAssignmentOriginId"`
				Type   string `json:"assignmentType"`
				End    string `json:"endDateTime"`
			}
			if err := json.Unmarshal(it, &inst); err != nil {
				return err
			}
			if !strings.EqualFold(inst.Type, "Activated") && !timeBound(map[string]any{"assignmentType": inst.Type, "endDateTime": inst.End}) {
				continue // a standing assignment: kept here
			}
			for _, id := range []string{inst.Origin, inst.ID} {
				if id != "" {
					activated[strings.ToLower(id)] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		if ge := graph.AsError(err); ge != nil && ge.Code == "AadPremiumLicenseRequired" {
			return objs, &partNotLicensed{licence: LicenceP2, what: RoleAssignmentsWithoutPIM}
		}
		return nil, kindError(k, "list PIM activations of", err, k.ReadPermissions)
	}
	if len(activated) == 0 {
		return objs, nil
	}
	kept := objs[:0]
	for _, o := range objs {
		if id, _ := o["id"].(string); !activated[strings.ToLower(id)] {
			kept = append(kept, o)
		}
	}
	return kept, nil
}

// RoleAssignmentsWithoutPIM is what a read of role-assignments misses in a
// tenant without P2.
const RoleAssignmentsWithoutPIM = "Graph refused the PIM read (time-bound-role-assignments is not licensed), so time-bound " +
	"assignments and PIM activations cannot be told from standing ones and are recorded in roles/assignments as standing"

// partNotLicensed is what readUnit gets back when a kind was read but a
// part of its read was refused for a licence: not a failure of the kind.
type partNotLicensed struct{ licence, what string }

func (p *partNotLicensed) Error() string { return p.what }
