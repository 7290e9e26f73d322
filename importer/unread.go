package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// A plan made by an app that reads less than the one applying it.
//
// The pull-request and restore templates plan with a read-only app and
// apply with a writing one. With the read permissions `entrasnap kinds
// --permissions` lists, both read the same, except a kind read only to
// plan another kind right (layout.Kind.AdvisoryReads) that Graph reads
// only with a write permission: API connectors, which a user flow's
// connections name, need APIConnectors.ReadWrite.All
// (identityapiconnector-list). Load does not stop on such a kind: the plan
// says what it could not tell (Input.Unread). The apply, holding that
// write permission, used to read it, plan differently (another warning, a
// connector entered again found by name), and refuse the reviewed plan as
// edited (TamperedError).
//
// Like with like: the plan records the kinds it could not read
// (Plan.Unread) and the permissions of its token (Plan.ReadWith); apply
// plans again without reading them either (LoadOptions.Unread), so that
// the live fingerprints and actions it compares are over what both could
// see. That alone would let a plan edited to claim it could not read
// something hide a change from apply; so apply also plans with everything
// its own token reads, and refuses the plan (UnreadError, naming the
// permission) when that plan's requests differ: the requests applied are
// always those a plan that read everything would send. A plan whose
// ReadWith holds the permissions that read a kind it says it could not
// read is refused as edited (unreadClaims).

// maskUnread records, at apply, the kinds the plan could not read
// (LoadOptions.Unread) as not read: Load does not read them. Only a kind
// advisory for this selection may be named.
func maskUnread(in *Input, unread map[string]string, advisory map[string]bool) error {
	for _, kind := range sortedKeys(unread) {
		if !advisory[kind] {
			return &TamperedError{Differ: []string{fmt.Sprintf("the plan says it could not read %s, which restore does not read only to plan another kind of this selection", bare(kind))}}
		}
		if in.Unread == nil {
			in.Unread = map[string]string{}
		}
		in.Unread[kind] = unread[kind]
	}
	return nil
}

// unreadClaims refuses a plan that says it could not read a kind while the
// permissions it says it read with (ReadWith) hold every read permission
// of that kind, as granted directly or by a broader one of the set.
func unreadClaims(p *Plan) error {
	var differ []string
	for _, kind := range sortedKeys(p.Unread) {
		k, ok := layout.Lookup(kind)
		if !ok {
			differ = append(differ, fmt.Sprintf("the plan says it could not read %s, which is not a kind", bare(kind)))
			continue
		}
		need := layout.KindReadPermissions(k)
		heldAll := !slices.ContainsFunc(layout.NameInSet(need, p.ReadWith), func(name string) bool {
			return !slices.ContainsFunc(p.ReadWith, func(h string) bool { return strings.EqualFold(h, name) })
		})
		if len(need) > 0 && heldAll {
			differ = append(differ, fmt.Sprintf("the plan says it could not read %s, but the permissions it was made with (%s) read it", bare(kind), bareList(need)))
		}
	}
	if len(differ) > 0 {
		return &TamperedError{Differ: differ}
	}
	return nil
}

func bareList(list []string) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = bare(s)
	}
	return strings.Join(out, ", ")
}

// checkUnreadSeen plans p again reading everything the apply's token
// reads (the plan's Unread kinds too) and refuses p when that plan's
// requests differ from fresh, the plan made as p was (without them).
func checkUnreadSeen(ctx context.Context, p *Plan, fresh *Plan, lo LoadOptions) error {
	lo.Unread = nil
	in, err := Load(ctx, lo)
	if err != nil {
		return err
	}
	seeing, err := Compute(in)
	if err != nil {
		return err
	}
	if differ := requestDiffs(fresh, seeing); len(differ) > 0 {
		return &UnreadError{Unread: p.Unread, Differ: differ}
	}
	return nil
}

// requestDiffs compares the requests of two plans, action by action: what
// is sent, not how it is shown.
func requestDiffs(plan, seeing *Plan) []string {
	byID := map[string]*Action{}
	for i := range seeing.Actions {
		byID[seeing.Actions[i].ID] = &seeing.Actions[i]
	}
	var out []string
	for i := range plan.Actions {
		a := &plan.Actions[i]
		f := byID[a.ID]
		switch {
		case f == nil:
			out = append(out, fmt.Sprintf("action %s (%s) would not be sent", bare(a.ID), request(a.Request)))
		case a.Request.Method != f.Request.Method || a.Request.Path != f.Request.Path || !sameJSON(a.Request.Body, f.Request.Body):
			out = append(out, fmt.Sprintf("action %s sends %s where %s is planned", bare(a.ID), request(a.Request), request(f.Request)))
		}
		delete(byID, a.ID)
	}
	for _, id := range sortedKeys(byID) {
		out = append(out, fmt.Sprintf("action %s (%s) would be added", bare(id), request(byID[id].Request)))
	}
	return out
}

// UnreadError: the plan could not read kinds that the apply reads, and
// what they hold changes the plan's requests.
type UnreadError struct {
	// Unread are the plan's Unread: kind → why it could not be read.
	Unread map[string]string
	// Differ names the requests that differ.
	Differ []string
}

func (e *UnreadError) Error() string {
	var kinds []string
	for _, k := range sortedKeys(e.Unread) {
		kinds = append(kinds, fmt.Sprintf("%s (%s)", bare(k), layout.Safe(e.Unread[k])))
	}
	return fmt.Sprintf("the plan was made without reading %s, which this apply reads, and what they hold changes the plan's requests (%s); nothing was written: make the plan again with an app that holds the permission named (the restore permissions `entrasnap kinds --permissions` lists for the kinds restored)",
		strings.Join(kinds, "; "), strings.Join(e.Differ, "; "))
}
