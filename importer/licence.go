package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// Licences (live/licence.go): a kind Graph refuses to read for want of
// a licence (PIM without Microsoft Entra ID P2) is "not licensed" in the
// live tenant. A restore plans nothing for it: its selected objects are
// listed under NotLicensed instead of actions, so apply never sends a
// request for them. Conditional Access without P1 is readable and refuses
// only writes; the plan cannot know it in advance, so apply names the
// missing licence on the first refused write and sends no further write of
// that kind (licenceSkip).

// NotLicensed is a kind of the selection the live tenant is not licensed
// for: nothing of it is written.
type NotLicensed struct {
	Kind    string `json:"kind"`
	Licence string `json:"licence"`
	// Objects counts the selected objects of the kind at REV.
	Objects int `json:"objects"`
}

// notLicensed records o, of a kind the tenant is not licensed for, in the
// plan instead of planning it.
func (pl *planner) notLicensed(o *Object, licence string) {
	if i := slices.IndexFunc(pl.p.NotLicensed, func(n NotLicensed) bool { return n.Kind == o.Kind.Name }); i >= 0 {
		pl.p.NotLicensed[i].Objects++
		return
	}
	pl.p.NotLicensed = append(pl.p.NotLicensed, NotLicensed{Kind: o.Kind.Name, Licence: licence, Objects: 1})
}

// selectedNotLicensed adds the selected whole kinds the tenant is not
// licensed for that hold no object at REV, so the plan still says why
// nothing of them is restored.
func (pl *planner) selectedNotLicensed() {
	for _, name := range pl.in.Selection.Kinds {
		lic := pl.in.NotLicensed[name]
		if lic == "" {
			continue
		}
		if !slices.ContainsFunc(pl.p.NotLicensed, func(n NotLicensed) bool { return n.Kind == name }) {
			pl.p.NotLicensed = append(pl.p.NotLicensed, NotLicensed{Kind: name, Licence: lic})
		}
	}
}

// String is the plan's line for the kind.
func (n NotLicensed) String() string {
	return fmt.Sprintf("%s: not licensed in this tenant, needs %s; %d selected %s not restored (nothing is sent for them)",
		kindTitle(n.Kind), n.Licence, n.Objects, layout.Plural(n.Objects, "object", "objects"))
}

// licenceRefused is what apply adds to the error of a write Graph refused
// for want of a licence ("" for any other error); it also stops further
// writes of the kind (licenceSkip).
func (r *runner) licenceRefused(a *Action, err error) string {
	lic := live.LicenceNeeded(err, a.Kind)
	if lic == "" {
		return ""
	}
	r.mu.Lock()
	if r.unlicensed == nil {
		r.unlicensed = map[string]string{}
	}
	r.unlicensed[a.Kind] = lic
	r.mu.Unlock()
	return "; the tenant is not licensed for " + kindTitle(a.Kind) + " (needs " + lic + "): no further write of them is sent; restore them once the tenant has the licence"
}

func kindTitle(kind string) string {
	if k, ok := layout.Lookup(kind); ok {
		return k.Title
	}
	return strings.TrimSpace(kind)
}

// licenceSkip marks a skipped, and reports true, when an earlier write of
// a's kind was refused for want of a licence: the request is not sent.
func (r *runner) licenceSkip(a *Action, res *ActionResult) bool {
	r.mu.Lock()
	lic := r.unlicensed[a.Kind]
	r.mu.Unlock()
	if lic == "" {
		return false
	}
	res.Status, res.Error = StatusSkipped, "not attempted: the tenant is not licensed for "+kindTitle(a.Kind)+" (needs "+lic+"); restore them once the tenant has the licence"
	return true
}
