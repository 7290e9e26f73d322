package layout

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The apply record: what an apply of a restore plan says of itself in the
// repository. An apply that wrote something records it as the message of
// its post-restore snapshot commit. An apply whose writes all failed (or
// were refused, or found everything already in place) changed nothing, so
// it makes no commit (no tenant change, no commit: invariant 1); its
// record is the message of an annotated tag ApplyTagPrefix +
// "<UTC time>-<plan id>" on the branch head it was planned from, tagged
// and signed as a snapshot tag is. `git clone` fetches tags, so the next
// operator, `check`, `log`, `snapshots` and `evidence` see it; it is not a
// snapshot tag (snapshot/*), so the snapshot series, its gaps and the
// mass-deletion guard never count it. docs/design.md, "Apply records".

// ApplyTagPrefix starts the name of an apply record tag.
const ApplyTagPrefix = "entrasnap/apply/"

// ApplyTagName is the tag recording an apply whose first write was sent at
// t, of the plan id (32 hexadecimal digits, or the plan digest's first 32).
func ApplyTagName(t time.Time, id string) string {
	return ApplyTagPrefix + t.UTC().Format("20060102T150405Z") + "-" + id
}

// The lines of an apply record (importer writes them; ParseApplyRecord
// reads them back).
const (
	ApplyPlanLine    = "Plan: "                                                        // + "sha256:<64 hex>"
	ApplyByLine      = "By: "                                                          // + who wrote through Graph
	ApplyActionsLine = "Actions: %d done, %d already in place, %d failed, %d skipped." // done, already, failed, skipped
	ApplyFailedLine  = "Not done (object by object):"                                  // then one "  - ..." line per action
)

// ApplyRecord is what an apply record says.
type ApplyRecord struct {
	Tenant string `json:"tenantId"`
	Plan   string `json:"plan"` // "sha256:..."
	By     string `json:"by"`
	// The actions per status, and the lines naming the failed and skipped
	// ones.
	Done    int      `json:"done"`
	Already int      `json:"already"`
	Failed  int      `json:"failed"`
	Skipped int      `json:"skipped"`
	NotDone []string `json:"notDone"`
}

var (
	applyTenantRe = regexp.MustCompile(`, tenant ([0-9A-Za-z.-]+)\.$`)
	applyPlanRe   = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// ParseApplyRecord reads an apply record (a commit's or tag's message). A
// message without the plan, tenant and actions lines is not one.
func ParseApplyRecord(msg string) (*ApplyRecord, error) {
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	rec := &ApplyRecord{}
	actions, notDone := false, false
	for _, l := range lines[1:] {
		switch {
		case notDone && strings.HasPrefix(l, "  "):
			rec.NotDone = append(rec.NotDone, strings.TrimSpace(l))
			continue
		case strings.HasPrefix(l, ApplyPlanLine):
			rec.Plan = strings.TrimPrefix(l, ApplyPlanLine)
		case strings.HasPrefix(l, ApplyByLine):
			rec.By = strings.TrimPrefix(l, ApplyByLine)
		case strings.HasPrefix(l, "Actions: "):
			_, err := fmt.Sscanf(l, ApplyActionsLine, &rec.Done, &rec.Already, &rec.Failed, &rec.Skipped)
			actions = err == nil
		case applyTenantRe.MatchString(l) && rec.Tenant == "":
			rec.Tenant = applyTenantRe.FindStringSubmatch(l)[1]
		}
		notDone = l == ApplyFailedLine
	}
	var missing []string
	if !applyPlanRe.MatchString(rec.Plan) {
		missing = append(missing, fmt.Sprintf("a line %q", ApplyPlanLine+"sha256:<64 hexadecimal digits>"))
	}
	if rec.Tenant == "" {
		missing = append(missing, "the tenant (\"..., tenant <id>.\")")
	}
	if !actions {
		missing = append(missing, fmt.Sprintf("a line %q", ApplyActionsLine))
	}
	if len(missing) > 0 {
		return nil, errors.New("not an apply record: it lacks " + strings.Join(missing, ", "))
	}
	return rec, nil
}
