package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// kindRead is what one kind's read produced.
type kindRead struct {
	kind *layout.Kind
	// held: deltaRead.held (users with sponsors), for Live.Held.
	held []string
	// objects are the objects as Graph sent them (json.Number for numbers),
	// children attached under Child.Name, sorted by key, of a kind read
	// whole (not streams: singletons, embedded kinds, role assignments).
	// Nil when err is set, and once files are prepared.
	objects []map[string]any
	// count is the number of objects read.
	count int
	// files are the kind's files (prepare, or readStreamed's writer),
	// sorted by path, then the carried ones (carry).
	files []prepared
	// organizationID is the id of the organization object, when read.
	organizationID string
	// requests counts the requests this kind's read sent: pages, single
	// GETs and $batch envelopes (retries are counted in graph.Stats only).
	requests int
	// err is set when the kind could not be read completely; it is a
	// *KindError.
	err error
	// partLicence is KindResult.PartNotLicensed; partial is
	// KindResult.Partial.
	partLicence, partial string
	// warnings about the kind as a whole (no schema).
	warnings []Warning
	// carried are files of the previous snapshot kept as they are (a delta
	// round did not mention their objects); prepare leaves them alone.
	carried []prepared
	// deltaLink resumes the kind next time (delta.go); mode is "delta" or
	// "full" for the kinds of deltaKinds; note says why a resume fell back.
	deltaLink, mode, note string
	// childLinks are the deltaLinks of its children read with delta.
	childLinks map[string]string
	// readPrev reads a carried file kept without its bytes.
	readPrev func(path string) ([]byte, error)
}

// KindError says why a kind is incomplete.
type KindError struct {
	Kind string
	// What failed: "list", "get", "members of 3 of 40 groups", ...
	What string
	Err  error
	// Status and Code of the Graph error, when there is one.
	Status int
	Code   string
	// Permissions lists the least application permissions that read the
	// kind (and the failed children), set on a 403.
	Permissions []string
	// Licence is the licence Graph refused the read for (licence.go): the
	// tenant is not licensed for the kind.
	Licence string
	// Delegated, set when the kind was not read because Graph serves it
	// to delegated callers only and the token is app-only (rollout.go),
	// says why (layout.Kind.DelegatedOnly). No request was sent.
	Delegated string
	// Token, with Permissions, is the token Graph refused: TokenApp or
	// TokenDelegated (as layout.ManifestAccess.Type), "" when the token
	// does not say (not a JWT); Scoped: a delegated token carries one of
	// Permissions as a scope. Remedy words what to do by them.
	Token  string
	Scoped bool
}

// The types of token a KindError names (KindError.Token).
const (
	TokenApp       = "application"
	TokenDelegated = "delegated"
)

// Remedy says what to do about a refusal naming Permissions ("" when it
// names none), by the token refused. An app-only token reads with the
// app's application permissions. A delegated one reads only what both the
// app's delegated permissions (its scp) and the signed-in user's
// directory roles allow (learn:/graph/permissions-overview: some access
// needs both Graph permissions and Microsoft Entra RBAC), so granting an
// application permission changes nothing: without the scope, the app
// needs it consented; with it, the user lacks a role.
func (e *KindError) Remedy() string {
	if len(e.Permissions) == 0 {
		return ""
	}
	perms := strings.Join(e.Permissions, " and ")
	switch {
	case e.Token == TokenDelegated && e.Scoped:
		return "the signed-in user's token carries the delegated permission " + perms +
			", so the user lacks a directory role that allows this read: sign in as a user holding one, or export with an application token (see `entrasnap kinds --permissions`)"
	case e.Token == TokenDelegated:
		return "the signed-in user's token does not carry the delegated permission " + perms +
			": grant it to the app entrasnap signs in as, with an administrator's consent, and sign in again (the user also needs a directory role that allows this read)"
	}
	return "grant the application permission " + perms + " to the app entrasnap signs in as (see `entrasnap kinds --permissions`)"
}

// nameToken sets on a refusal naming permissions which token Graph
// refused (KindError.Token, Scoped), from the token's claims.
func (r *reader) nameToken(ctx context.Context, err error) {
	var ke *KindError
	if !errors.As(err, &ke) || len(ke.Permissions) == 0 || ke.Token != "" {
		return
	}
	if _, app, err := r.c.TokenRoles(ctx); err != nil {
		return
	} else if app {
		ke.Token = TokenApp
		return
	}
	scp, err := r.c.TokenScopes(ctx)
	if err != nil || scp == "" {
		return
	}
	ke.Token = TokenDelegated
	for _, s := range strings.Fields(scp) {
		for _, p := range ke.Permissions {
			// A ReadWrite scope reads too.
			ke.Scoped = ke.Scoped || strings.EqualFold(s, p) || strings.EqualFold(s, strings.Replace(p, ".Read.", ".ReadWrite.", 1))
		}
	}
}

func (e *KindError) Error() string {
	if e.Delegated != "" {
		return e.Kind + ": not read with an app-only token: " + e.Delegated
	}
	msg := fmt.Sprintf("%s: reading %s: %v", e.Kind, e.What, e.Err)
	if e.Licence != "" {
		return msg + "; the tenant is not licensed for it (needs " + e.Licence + ")"
	}
	if remedy := e.Remedy(); remedy != "" {
		msg += "; " + remedy
	}
	return msg
}

func (e *KindError) Unwrap() error { return e.Err }

// Worded is a refusal the reader words itself, Err ("" for any other
// error): Status 403 with no Permissions and no Graph error (a role
// scoped to attribute sets, a token that cannot show one, csadefs.go,
// csavalues.go) says what was read and what to sign in with, which
// Reason's "permission denied" does not.
func (e *KindError) Worded() string {
	if e.Status != 403 || len(e.Permissions) > 0 || e.Err == nil || graph.AsError(e.Err) != nil {
		return ""
	}
	return e.Err.Error()
}

// Reason is a short, stable description (no request ids or dates), as
// recorded in the manifest: the same failure gives the same text.
func (e *KindError) Reason() string {
	var b strings.Builder
	b.WriteString(e.What + ": ")
	switch {
	case e.Delegated != "":
		b.WriteString(SkippedAppOnlyReason)
	case e.Licence != "":
		b.WriteString(NotLicensedReason(e.Licence))
	case e.Status == 403:
		b.WriteString("permission denied")
		if len(e.Permissions) > 0 {
			b.WriteString(" (needs " + strings.Join(e.Permissions, " and ") + ")")
		}
	case e.Status != 0:
		fmt.Fprintf(&b, "Graph answered %d %s", e.Status, e.Code)
	default:
		b.WriteString("no usable answer from Graph")
	}
	return b.String()
}

func kindError(k *layout.Kind, what string, err error, perms []string) *KindError {
	ke := &KindError{Kind: k.Name, What: what, Err: err}
	if ge := graph.AsError(err); ge != nil {
		ke.Status, ke.Code = ge.Status, ge.Code
		if ke.Licence = LicenceNeeded(err, k.Name); ke.Licence != "" {
			return ke
		}
		if ge.Status == 403 {
			ke.Permissions = perms
		}
	}
	return ke
}

// topAllowed are the collections that take $top=999 (Graph's maximum page
// size for directory collections, graph-semantics.md §2.1); the others keep
// their default page size, as Graph documents no $top for them or refuses it.
// Organizational contacts take $top (orgcontact-list: "supports the $count,
// $expand, $filter, $orderby, $search, $select, and $top OData query
// parameters"); an Exchange-heavy tenant has thousands.
var topAllowed = map[string]bool{
	"/users": true, "/groups": true, "/applications": true, "/servicePrincipals": true,
	"/directory/administrativeUnits": true, "/oauth2PermissionGrants": true, "/contacts": true,
}

// childBase is the collection path of the parent a child is read through.
func childBase(k *layout.Kind, ch layout.Child) string {
	if ch.Base != "" {
		return ch.Base
	}
	return k.ListPath
}

// childTop are the child relationships that take $top=999.
var childTop = map[string]bool{"members": true, "owners": true, "appRoleAssignedTo": true}

// topLevelChild names children read from one top-level collection instead
// of one request per parent, grouped by the property naming the parent.
//
// service-principals' oauth2PermissionGrants: GET /oauth2PermissionGrants
// (pages of 999) grouped by clientId costs a few requests for the whole
// tenant instead of one per service principal, and needs the same
// permission (Directory.Read.All or DelegatedPermissionGrant.Read.All).
var topLevelChild = map[string]struct{ path, parentProp string }{
	"service-principals/oauth2PermissionGrants": {"/oauth2PermissionGrants?$top=999", "clientId"},
}

// reader reads kinds from Graph.
type reader struct {
	c        *graph.Client
	progress Progress
	// previous is Later.Previous (nil without one); partial holds, by kind
	// name, the warning of a kind read in part with the rest kept as the
	// previous snapshot holds it (csavalues.go, csadefs.go);
	// previousPaths is Later.PreviousPaths; kept holds, by kind name, the
	// previous snapshot's files a read in part carries as they are
	// ([]prepared, csadefs.go).
	previous      func(path string) ([]byte, error)
	previousPaths func(k *layout.Kind) []string
	partial       sync.Map
	kept          sync.Map
	// delta: kinds to resume from a deltaLink; track: keep deltaLinks.
	delta map[string]DeltaFrom
	track bool
	// perParent reads groups' members and owners per group, as before
	// delta.go (tests compare both paths).
	perParent bool
	// granted is the permission set `entrasnap kinds --permissions` lists
	// for the kinds read: a denied read names the permission of this set
	// that grants it (Directory.Read.All rather than User.Read.All).
	granted []string
	// only is ReadOptions.Only: kinds read by id (byid.go).
	only map[string][]string
	// sink is ReadOptions.Sink (prepare).
	sink func(path string, data []byte) error
	// tempDir is ReadOptions.TempDir.
	tempDir string
	// keepUsers is ReadOptions.UserProperties as a set (nil: keep all).
	keepUsers map[string]bool
	// later is ReadOptions.Later: readAll calls it and sets delta and
	// keepUsers from it before the kinds of deltaKinds start.
	later func(ctx context.Context) (Later, error)
	// validated is ReadOptions.Validated, or Later's once it returned.
	validated atomic.Pointer[Validated]
	// orgID is the organization's id, once known (branding.go; preflight
	// sets it). orgPages are preflight's answer to the organization kind's
	// own list, which that kind's read takes instead of asking again;
	// orgErr is preflight's 403, which that read and organizationID take
	// likewise (the same resource, refused for want of a permission).
	orgMu    sync.Mutex
	orgID    string
	orgPages [][]json.RawMessage
	orgErr   error
	// appOnly: the token is an app-only one (rollout.go), once known.
	appOnlyOnce sync.Once
	appOnly     bool
	// audits are the directory audit log's reads by window start
	// (users.go, auditSince).
	auditMu sync.Mutex
	audits  map[time.Time]*auditRead
	// pimLists are the groups lists of PIM for Groups by API version
	// (pimgroups.go, pimGroups).
	pimMu    sync.Mutex
	pimLists map[string]*pimGroupList
	// census: the PIM kinds' groups list from the groups kind's read
	// (pimgroups.go); nil unless readAll reads both.
	census *groupCensus
	// readsUsers: readAll reads the users kind (pimgroups.go, gonePrincipals).
	readsUsers bool
}

// named maps a kind's least permissions to those of the listed set.
func (r *reader) named(perms []string) []string {
	return layout.NameInSet(perms, r.granted)
}

// unit is one read: a kind, or a kind whose GET also carries an embedded
// kind (the authentication methods policy and its configurations).
type unit struct {
	primary *layout.Kind   // the kind whose path is read
	emit    []*layout.Kind // the selected kinds this read produces
}

// embeddedOf returns the kind stored in k's Embedded property, if any.
func embeddedOf(k *layout.Kind) *layout.Kind {
	if k.Embedded == "" {
		return nil
	}
	for _, e := range layout.Kinds() {
		if e.APIVersion == k.APIVersion && e.ListPath == k.ListPath+"/"+k.Embedded {
			return e
		}
	}
	return nil
}

// planUnits groups the selected kinds into reads, in layout order.
func planUnits(kinds []*layout.Kind) []*unit {
	selected := map[string]bool{}
	for _, k := range kinds {
		selected[k.Name] = true
	}
	carrier := map[string]*layout.Kind{} // embedded kind name → kind that carries it
	for _, k := range layout.Kinds() {
		if e := embeddedOf(k); e != nil {
			carrier[e.Name] = k
		}
	}
	var units []*unit
	byPrimary := map[string]*unit{}
	for _, k := range kinds {
		primary := k
		if c, ok := carrier[k.Name]; ok {
			primary = c
		}
		u := byPrimary[primary.Name]
		if u == nil {
			u = &unit{primary: primary}
			byPrimary[primary.Name] = u
			units = append(units, u)
		}
		u.emit = append(u.emit, k)
	}
	return units
}

// readAll reads every selected kind, at most concurrency units at once
// (the client bounds requests in flight on its own). Results are in the
// order of kinds. It returns ctx.Err() when the context ends, and r.later's
// error when it fails.
//
// Units whose requests Graph paces at one a second for the tenant
// (Conditional Access: paced) start first and take no slot: they wait for
// their turn in the client (graph's pacer), and would otherwise hold the
// slots the other kinds need for the whole of their wait. With r.later
// set, it runs at once beside the units that do not resume from delta;
// those of deltaKinds wait for it without holding a slot.
func (r *reader) readAll(ctx context.Context, kinds []*layout.Kind, concurrency int) ([]*kindRead, error) {
	if concurrency <= 0 {
		concurrency = 4
	}
	units := planUnits(kinds)
	r.granted = layout.ExportPermissions(kinds)
	r.readsUsers = slices.ContainsFunc(kinds, func(k *layout.Kind) bool { return k.Name == "users" })
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan struct{}) // closed once r.delta and r.keepUsers are set
	var laterErr error
	if r.later == nil {
		close(ready)
	} else {
		later := r.later
		go func() {
			defer close(ready)
			l, err := later(ctx)
			if err != nil {
				laterErr = err
				cancel()
				return
			}
			r.delta, r.keepUsers, r.previous, r.previousPaths = l.Delta, keepSet(l.UserProperties), l.Previous, l.PreviousPaths
			if l.Validated != nil {
				r.validated.Store(&l.Validated)
			}
		}()
	}
	results := map[string]*kindRead{}
	var mu sync.Mutex
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	slices.SortStableFunc(units, func(a, b *unit) int { return cmpBool(paced(b), paced(a)) })
	if i := slices.IndexFunc(units, func(u *unit) bool { return u.primary.Name == "groups" }); i >= 0 &&
		slices.ContainsFunc(units, func(u *unit) bool { return auditKinds[u.primary.Name] }) {
		r.census = &groupCensus{version: units[i].primary.APIVersion, done: make(chan struct{})}
	}
	for _, u := range units {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if u.primary.Name == "groups" {
				defer r.finishCensus(false) // (when not read: readStreamed ends it)
			}
			// A kind with FileItems reads the previous snapshot when Graph
			// answers a file without its bytes (termsofuse.go,
			// previousDocument): it waits for r.previous too.
			if _, ok := deltaKinds[u.primary.Name]; ok || auditKinds[u.primary.Name] || layout.AttributeValueOwner(u.primary) != "" || csaDefinitionKinds[u.primary.Name] || u.primary.FileItems != nil {
				select {
				case <-ready:
				case <-ctx.Done():
					return
				}
				if ctx.Err() != nil {
					return
				}
			}
			streamed := false
			if auditKinds[u.primary.Name] && r.census != nil {
				if _, resumes := r.auditFrom(u.primary); resumes || r.census.version != u.primary.APIVersion {
					// A later run of PIM for Groups takes its groups list
					// from the groups read (pimgroups.go, groupCensus),
					// holding no slot.
					select {
					case <-r.census.done:
					case <-ctx.Done():
						return
					}
				} else {
					// A full read reads the schedules of the groups as the
					// groups read sees them (readGroupSchedulesStreamed),
					// holding no slot: it waits for that read's pages, and
					// its requests are paced by the client (graph's pacer)
					// as any other's.
					streamed = true
				}
			}
			if !paced(u) && !streamed {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				defer func() { <-sem }()
			}
			for _, k := range u.emit {
				r.progress.KindStarted(k.Name)
			}
			reads := r.skipDelegatedOnly(ctx, u) // rollout.go
			if reads == nil {
				reads = r.readUnit(ctx, u)
			}
			for _, kr := range reads {
				if kr.err == nil {
					kr.carry(r.sink)
				}
				r.nameToken(ctx, kr.err)
				kr.carried = nil
				kr.count = objectCount(kr.files) // branding.go: images are not objects
			}
			mu.Lock()
			for _, kr := range reads {
				results[kr.kind.Name] = kr
			}
			mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			for _, kr := range reads {
				r.progress.KindDone(kr.kind.Name, kr.count, kr.requests, kr.err)
			}
		}()
	}
	wg.Wait()
	<-ready
	if laterErr != nil {
		return nil, laterErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]*kindRead, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, results[k.Name])
	}
	return out, nil
}

// paced says whether a unit reads a path Graph limits to one request a
// second per tenant (Conditional Access, graph-semantics.md §1.2): its
// kind's list or one of its children's.
func paced(u *unit) bool {
	for _, k := range u.emit {
		if graph.CAPaced(k.ListPath) {
			return true
		}
		for _, ch := range k.Children {
			if graph.CAPaced(childBase(k, ch)) {
				return true
			}
		}
	}
	return false
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// streams says whether k is read a page at a time (readStreamed): the
// collections, except role assignments (dropActivated needs them all).
func streams(u *unit) bool {
	k := u.primary
	return len(u.emit) == 1 && u.emit[0] == k && !k.Singleton && k.Name != "role-assignments" && customReads[k.Name] == nil && !k.HasImages() && k.PerObject == ""
}

// readStreamed reads a collection kind a page at a time, each page's
// objects (with their children) turned into files and released before the
// next page is decoded; a delta round's objects are held in compact form
// until the round ends (delta.go).
func (r *reader) readStreamed(ctx context.Context, k *layout.Kind) *kindRead {
	kr := &kindRead{kind: k}
	var requests atomic.Int64
	w := newWriter(k, r.sink)
	w.validated = r.validatedNow
	if k.Name == "users" {
		w.keep = r.keepUsers // allowlist.go
	}
	spec, isDelta := deltaKinds[k.Name]
	// Only the groups kind reads r.delta here, after ready (readAll): a
	// kind that does not wait for the previous snapshot must not touch it.
	// A groups round that resumes returns only the changed groups: the PIM
	// kinds list the groups themselves, at once (pimgroups.go).
	if k.Name == "groups" && r.census != nil {
		// Groups read by id (byid.go): the PIM kinds read the schedules
		// of those groups only (ReadOptions.Only).
		if _, resumes := r.delta[k.Name]; resumes {
			r.finishCensus(false)
		} else {
			w.census = r.census
		}
	}
	err := r.unreadableProperties(ctx, k)
	if ids, only := r.only[k.Name]; only && err == nil {
		err = r.readOnly(ctx, k, spec, ids, &requests, w) // byid.go
	} else if err == nil && isDelta && !r.perParent {
		var dr *deltaRead
		dr, err = r.readDelta(ctx, k, spec, &requests, w) // delta.go
		if err == nil {
			kr.carried, kr.deltaLink, kr.mode, kr.note, kr.readPrev = dr.carried, dr.link, dr.mode, dr.note, dr.read
			kr.held, kr.childLinks = dr.held, dr.childLinks
		}
	} else if err == nil {
		err = r.listInto(ctx, k, &requests, w)
	}
	if k.Name == "groups" {
		// Every group went to w.add: the PIM kinds need not wait for
		// the files (pimgroups.go).
		r.finishCensus(w.census != nil && err == nil)
	}
	if err == nil {
		kr.files, err = w.finish()
	}
	if werr := w.wait(); werr != nil {
		err = werr
	}
	w.close()
	kr.requests = int(requests.Load())
	kr.take(w)
	if err != nil {
		kr.files, kr.carried, kr.err = nil, nil, err
	}
	return kr
}

func (r *reader) readUnit(ctx context.Context, u *unit) []*kindRead {
	if streams(u) {
		return []*kindRead{r.readStreamed(ctx, u.primary)}
	}
	k := u.primary
	var (
		objs     []map[string]any
		imgs     []imageFile
		docWarns []Warning // termsofuse.go: files Graph returned without their bytes
		requests atomic.Int64
		err      error
		part     *partNotLicensed // roles.go
		dr       *deltaRead       // a later run's read of an AuditKinds kind
	)
	if err = r.unreadableProperties(ctx, k); err != nil {
	} else if k.Singleton {
		var obj map[string]any
		obj, err = r.get(ctx, k, &requests)
		if err == nil {
			objs = []map[string]any{obj}
		}
	} else if from, ok := r.auditFrom(k); ok && len(u.emit) == 1 { // pimgroups.go
		objs, dr, err = r.readGroupSchedulesSince(ctx, k, from, &requests)
	} else if read := customReads[k.Name]; read != nil { // pim.go
		objs, err = read(r, ctx, k, &requests)
		if err == nil && auditKinds[k.Name] && r.track {
			dr = &deltaRead{mode: "full"}
		}
		if kept, ok := r.kept.Load(k.Name); ok && err == nil { // csadefs.go
			dr = &deltaRead{carried: kept.([]prepared), read: r.previous}
		}
	} else {
		objs, err = r.list(ctx, k, &requests)
		if err == nil {
			err = r.children(ctx, k, objs, &requests)
		}
		if err == nil {
			imgs, err = r.readImages(ctx, k, objs, &requests) // branding.go
		}
		if err == nil && k.FileItems != nil {
			var docs []imageFile
			docs, docWarns, err = r.readFileItems(ctx, k, objs, &requests) // termsofuse.go
			imgs = append(imgs, docs...)
		}
		if err == nil && k.PerObject != "" {
			objs, err = r.readPerObject(ctx, k, objs, &requests) // perobject.go
		}
		if err == nil && k.Name == "role-assignments" {
			objs, err = r.dropActivated(ctx, k, objs, &requests) // roles.go
			if pl, ok := err.(*partNotLicensed); ok {
				part, err = pl, nil
				if np, ok := r.progress.(NoteProgress); ok {
					np.KindNote(k.Name, "needs "+pl.licence+" in part: "+pl.what)
				}
			}
		}
	}
	var out []*kindRead
	for i, ek := range u.emit {
		kr := &kindRead{kind: ek}
		if i == 0 {
			kr.requests = int(requests.Load())
		}
		switch {
		case err != nil:
			// A failure of the shared read fails every kind it carries; a
			// 403 names the permissions of the kind reported.
			if ke, ok := err.(*KindError); ok && ek != k {
				c := *ke
				c.Kind = ek.Name
				if c.Status == 403 {
					c.Permissions = r.named(ek.ReadPermissions)
				}
				kr.err = &c
			} else {
				kr.err = err
			}
		case ek == k:
			kr.objects = objs
			kr.warnings = append(kr.warnings, docWarns...)
			if part != nil {
				kr.partLicence = part.licence + ": " + part.what
			}
		default:
			kr.objects, kr.err = embedded(k, ek, objs)
		}
		if kr.err == nil {
			kr.objects, kr.err = sortByKey(ek, kr.objects)
		}
		if kr.err == nil && ek == k && dr != nil {
			kr.carried, kr.mode, kr.note, kr.readPrev = dr.carried, dr.mode, dr.note, dr.read
		}
		if kr.err != nil {
			kr.objects = nil
		} else if w, ok := r.partial.Load(ek.Name); ok {
			kr.warnings = append(kr.warnings, Warning{Path: ek.Root(), Kind: ek.Name, Message: w.(string)})
			kr.partial = w.(string)
		}
		out = append(out, kr)
	}
	for _, kr := range out {
		kr.prepare(r.sink, r.validatedNow)
		if kr.kind == k {
			kr.addImages(imgs, r.sink) // branding.go
		}
	}
	return out
}

// embedded takes the objects of kind e out of the carrier's objects.
func embedded(carrier, e *layout.Kind, objs []map[string]any) ([]map[string]any, error) {
	var out []map[string]any
	for _, o := range objs {
		v, ok := o[carrier.Embedded]
		if !ok {
			return nil, &KindError{Kind: e.Name, What: "get " + carrier.ListPath,
				Err: fmt.Errorf("the answer has no %s property", carrier.Embedded)}
		}
		arr, ok := v.([]any)
		if !ok && v != nil {
			return nil, &KindError{Kind: e.Name, What: "get " + carrier.ListPath,
				Err: fmt.Errorf("%s is not an array", carrier.Embedded)}
		}
		for _, x := range arr {
			m, ok := x.(map[string]any)
			if !ok {
				return nil, &KindError{Kind: e.Name, What: "get " + carrier.ListPath,
					Err: fmt.Errorf("%s holds a value that is not an object", carrier.Embedded)}
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// sortByKey orders objects by key. An object repeated across pages (Graph
// may do so while the collection changes) is kept once, as last read.
func sortByKey(k *layout.Kind, objs []map[string]any) ([]map[string]any, error) {
	if k.Singleton {
		return objs, nil
	}
	kp := k.KeyProp()
	for _, o := range objs {
		if s, _ := o[kp].(string); s == "" {
			return nil, &KindError{Kind: k.Name, What: "list", Err: fmt.Errorf("Graph returned an object without %s", kp)}
		}
	}
	sort.SliceStable(objs, func(i, j int) bool { return objs[i][kp].(string) < objs[j][kp].(string) })
	out := objs[:0]
	for i, o := range objs {
		if i+1 < len(objs) && objs[i+1][kp].(string) == o[kp].(string) {
			continue
		}
		out = append(out, o)
	}
	// Graph's GUIDs are case-insensitive: the same GUID in two cases is one
	// object listed twice (the first in byte order is kept). Other keys
	// that differ only in case are distinct objects (caseDistinct gives
	// them distinct files).
	seen := map[string]bool{}
	dedup := out[:0]
	for _, o := range out {
		key := o[kp].(string)
		if layout.IsGUID(key) {
			if seen[strings.ToLower(key)] {
				continue
			}
			seen[strings.ToLower(key)] = true
		}
		dedup = append(dedup, o)
	}
	return dedup, nil
}

// listQuery is the query of k's list: its filter, $select, $expand and,
// where Graph allows it, the largest page.
func listQuery(k *layout.Kind) string {
	top := ""
	if topAllowed[k.ListPath] {
		top = "$top=999"
	}
	return query(filterParam(k.Filter), selectParam(k.Select), expandParam(k.Expand), top)
}

func query(parts ...string) string {
	var q []string
	for _, p := range parts {
		if p != "" {
			q = append(q, p)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + strings.Join(q, "&")
}

func selectParam(props []string) string {
	if len(props) == 0 {
		return ""
	}
	return "$select=" + strings.Join(props, ",")
}

// expandParam is the $expand of a kind's list (layout.Kind.Expand).
func expandParam(props []string) string {
	if len(props) == 0 {
		return ""
	}
	return "$expand=" + strings.Join(props, ",")
}

func (r *reader) get(ctx context.Context, k *layout.Kind, requests *atomic.Int64) (map[string]any, error) {
	requests.Add(1)
	p, err := r.kindPath(ctx, k, requests) // branding.go
	if err != nil {
		return nil, err
	}
	body, err := r.c.Get(ctx, p+query(selectParam(k.Select)))
	if err != nil {
		return nil, kindError(k, "get", err, r.named(k.ReadPermissions))
	}
	obj, err := decodeObject(body)
	if err != nil {
		return nil, kindError(k, "get", err, nil)
	}
	delete(obj, "@odata.context")
	return obj, nil
}

func (r *reader) list(ctx context.Context, k *layout.Kind, requests *atomic.Int64) ([]map[string]any, error) {
	var objs []map[string]any
	err := r.listPages(ctx, k, requests, func(page []map[string]any) error {
		objs = append(objs, page...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return objs, nil
}

// listPages lists k, calling fn with each page's objects. An error of fn
// is returned as it is; a failed read as a *KindError.
func (r *reader) listPages(ctx context.Context, k *layout.Kind, requests *atomic.Int64, fn func([]map[string]any) error) error {
	var stop error
	p, err := r.kindPath(ctx, k, requests) // branding.go
	if err != nil {
		return err
	}
	each := func(items []json.RawMessage) error {
		requests.Add(1)
		page := make([]map[string]any, 0, len(items))
		for _, it := range items {
			o, err := decodeObject(it)
			if err != nil {
				return err
			}
			page = append(page, o)
		}
		stop = fn(page)
		return stop
	}
	if k.Name == "organization" && r.orgPages != nil {
		// The tenant check's answer (preflight): the same request.
		for _, items := range r.orgPages {
			if err = each(items); err != nil {
				break
			}
		}
	} else if k.Name == "organization" && r.orgErr != nil {
		err = r.orgErr // the tenant check's 403 (preflight): asking again is refused alike
	} else {
		err = r.c.List(ctx, p+listQuery(k), each)
	}
	if stop != nil {
		return stop
	}
	if err != nil {
		if graph.AsError(err) == nil && ctx.Err() == nil {
			// A failed page counts as a request too.
			requests.Add(1)
		}
		ke := kindError(k, "list", err, r.named(k.ReadPermissions))
		r.attributeRoleRefusal(ctx, k, ke) // csavalues.go
		return ke
	}
	return nil
}

// listInto lists k a page at a time: each page's children are read and its
// objects given to w before the next page is decoded, so the read holds a
// page of objects, not the kind. Once a child read failed (the kind is
// incomplete) no more files are made, but the pages are still read, to
// report how many parents failed.
func (r *reader) listInto(ctx context.Context, k *layout.Kind, requests *atomic.Int64, w *writer) error {
	cr := r.newChildReads(ctx, k, requests, nil, nil)
	total := 0
	err := r.listPages(ctx, k, requests, func(objs []map[string]any) error {
		total += len(objs)
		if err := r.childrenPage(ctx, k, objs, requests, cr); err != nil {
			return err
		}
		if len(cr.failures) > 0 || len(cr.topErr) > 0 {
			return nil
		}
		return w.add(objs)
	})
	if err != nil {
		return err
	}
	return cr.err(r, k, total)
}

// appendDecoded is a List callback that decodes each item onto *out.
func appendDecoded(out *[]map[string]any) func(items []json.RawMessage) error {
	return func(items []json.RawMessage) error {
		for _, it := range items {
			o, err := decodeObject(it)
			if err != nil {
				return err
			}
			*out = append(*out, o)
		}
		return nil
	}
}

func decodeObject(b []byte) (map[string]any, error) {
	if m, ok := fastObject(b); ok {
		return m, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding an object: %w", err)
	}
	if m == nil {
		return nil, errors.New("Graph returned null where an object was expected")
	}
	return m, nil
}

// childFailure collects the failed child reads of one child relationship.
type childFailure struct {
	child  layout.Child
	failed int
	first  error
}

// childReads is the state of one kind's child reads across its pages: the
// children read from one top-level collection, and the failures.
type childReads struct {
	mu       sync.Mutex
	failures map[string]*childFailure
	// top: child name → lower-cased parent key → items (topLevelChild);
	// topErr: the child's top-level read failed (every parent misses it).
	top    map[string]map[string][]map[string]any
	topErr map[string]error
}

func (cr *childReads) fail(ch layout.Child, err error) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	f := cr.failures[ch.Name]
	if f == nil {
		f = &childFailure{child: ch}
		cr.failures[ch.Name] = f
	}
	f.failed++
	if f.first == nil {
		f.first = err
	}
}

// newChildReads reads the children of k that come from one top-level
// collection (topLevelChild), before the parents are listed.
// A child with a delta read in cds is read through its delta function
// (grants.go), applied to the children objs hold.
func (r *reader) newChildReads(ctx context.Context, k *layout.Kind, requests *atomic.Int64, cds map[string]*childDelta, objs []map[string]any) *childReads {
	cr := &childReads{failures: map[string]*childFailure{}, top: map[string]map[string][]map[string]any{}, topErr: map[string]error{}}
	for _, ch := range k.Children {
		tl, ok := topLevelChild[k.Name+"/"+ch.Name]
		if !ok {
			continue
		}
		var byParent map[string][]map[string]any
		var err error
		if cd := cds[ch.Name]; cd != nil {
			byParent, err = r.readChildDelta(ctx, k, ch, cd, objs, requests) // grants.go
		} else {
			byParent, err = r.topLevel(ctx, k, tl.path, tl.parentProp, requests)
		}
		if err != nil {
			cr.topErr[ch.Name] = err
			continue
		}
		cr.top[ch.Name] = byParent
	}
	return cr
}

// err is the kind's error once its total parents were read: the first
// failed relationship in catalog order.
func (cr *childReads) err(r *reader, k *layout.Kind, total int) error {
	for name, err := range cr.topErr {
		for _, ch := range k.Children {
			if ch.Name == name {
				cr.failures[name] = &childFailure{child: ch, failed: total, first: err}
			}
		}
	}
	for _, ch := range k.Children {
		f := cr.failures[ch.Name]
		if f == nil {
			continue
		}
		perms := append(append([]string(nil), k.ReadPermissions...), ch.ReadPermissions...)
		what := fmt.Sprintf("%s of %d of %d %s", ch.Name, f.failed, total, k.Title)
		return kindError(k, what, f.first, r.named(perms))
	}
	return nil
}

// children reads every child relationship of every object and attaches it.
func (r *reader) children(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64) error {
	return r.childrenDelta(ctx, k, objs, requests, nil)
}

// childrenDelta is children with the children of cds read through their
// delta functions (grants.go).
func (r *reader) childrenDelta(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64, cds map[string]*childDelta) error {
	if len(k.Children) == 0 {
		return r.childrenExtra(ctx, k, objs, requests) // external.go
	}
	cr := r.newChildReads(ctx, k, requests, cds, objs)
	if err := r.childrenPage(ctx, k, objs, requests, cr); err != nil {
		return err
	}
	return cr.err(r, k, len(objs))
}

// childrenPage reads the child relationships of objs (a page of parents)
// and attaches them; failures are collected in cr. Per-parent reads go
// through $batch, 20 GETs per envelope; a child list longer than one page
// continues with List on its nextLink.
func (r *reader) childrenPage(ctx context.Context, k *layout.Kind, objs []map[string]any, requests *atomic.Int64, cr *childReads) error {
	if len(k.Children) == 0 {
		return r.childrenExtra(ctx, k, objs, requests) // external.go
	}
	kp := k.KeyProp()
	type target struct {
		obj   map[string]any
		child layout.Child
	}
	var reqs []graph.BatchRequest
	var targets []target
	for _, ch := range k.Children {
		if _, ok := topLevelChild[k.Name+"/"+ch.Name]; ok {
			byParent := cr.top[ch.Name]
			for _, o := range objs {
				key, _ := o[kp].(string)
				o[ch.Name] = childList(ch, byParent[strings.ToLower(key)])
			}
			continue
		}
		top := ""
		if childTop[ch.Path] {
			top = "$top=999"
		}
		q := query(selectParam(ch.Select), top)
		for _, o := range objs {
			key, _ := o[kp].(string)
			if key == "" {
				return &KindError{Kind: k.Name, What: "list", Err: fmt.Errorf("Graph returned an object without %s", kp)}
			}
			o[ch.Name] = []any{}
			if ch.Skip != nil && ch.Skip(o) {
				continue // Graph holds none: the empty list a read would give
			}
			u := "/" + k.APIVersion + childBase(k, ch) + "/" + url.PathEscape(key) + "/" + ch.Path + q
			if ch.Expand != "" { // the parent's GET expands it (layout.Child.Expand)
				u = "/" + k.APIVersion + childBase(k, ch) + "/" + url.PathEscape(key) + "?$select=id&$expand=" + ch.Expand
			}
			reqs = append(reqs, graph.BatchRequest{
				ID:     fmt.Sprintf("%d", len(reqs)+1),
				Method: "GET",
				URL:    u,
			})
			targets = append(targets, target{o, ch})
		}
	}
	if len(reqs) == 0 {
		return r.childrenExtra(ctx, k, objs, requests) // external.go
	}
	requests.Add(int64((len(reqs) + graph.MaxBatchSize - 1) / graph.MaxBatchSize))
	resps, berr := r.c.Batch(ctx, reqs)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if resps == nil && berr != nil {
		for _, t := range targets {
			cr.fail(t.child, berr)
		}
	}
	for i, resp := range resps {
		t := targets[i]
		if err := resp.Err(); err != nil {
			cr.fail(t.child, err)
			continue
		}
		var items []map[string]any
		var err error
		if t.child.Expand != "" {
			items, err = expandedChild(resp.Body, t.child.Name)
		} else {
			items, err = r.childPages(ctx, resp.Body, requests)
		}
		if err != nil {
			cr.fail(t.child, err)
			continue
		}
		t.obj[t.child.Name] = childList(t.child, items)
	}
	return r.childrenExtra(ctx, k, objs, requests) // external.go
}

// expandedChild is the child prop of a parent's GET that expands it.
func expandedChild(body []byte, prop string) ([]map[string]any, error) {
	parent, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	v, ok := parent[prop]
	if !ok {
		return nil, fmt.Errorf("the answer does not hold the expanded %s", prop)
	}
	list, ok := v.([]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("the expanded %s is not a collection", prop)
	}
	out := make([]map[string]any, 0, len(list))
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("an expanded %s item is not an object", prop)
		}
		out = append(out, m)
	}
	return out, nil
}

// childPages decodes a child collection page and follows its nextLink.
func (r *reader) childPages(ctx context.Context, body []byte, requests *atomic.Int64) ([]map[string]any, error) {
	var p struct {
		Value    []json.RawMessage `json:"value"`
		NextLink string            `json:"@odata.nextLink"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("decoding a child page: %w", err)
	}
	if p.Value == nil {
		return nil, errors.New("a child answer is not a collection (no value array)")
	}
	var out []map[string]any
	add := appendDecoded(&out)
	if err := add(p.Value); err != nil {
		return nil, err
	}
	if p.NextLink != "" {
		err := r.c.List(ctx, p.NextLink, func(items []json.RawMessage) error {
			requests.Add(1)
			return add(items)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// topLevel reads a child relationship for every parent from one
// collection, by lower-cased parent key.
func (r *reader) topLevel(ctx context.Context, k *layout.Kind, path, parentProp string, requests *atomic.Int64) (map[string][]map[string]any, error) {
	byParent := map[string][]map[string]any{}
	err := r.c.List(ctx, "/"+k.APIVersion+path, func(items []json.RawMessage) error {
		requests.Add(1)
		for _, it := range items {
			o, err := decodeObject(it)
			if err != nil {
				return err
			}
			p, _ := o[parentProp].(string)
			byParent[strings.ToLower(p)] = append(byParent[strings.ToLower(p)], o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return byParent, nil
}

// childList shapes child items as stored: references as {id, @odata.type},
// objects minus Child.Drop, sorted by key.
func childList(ch layout.Child, items []map[string]any) []any {
	return childListOf(ch, items, false)
}

// refItem is a reference as childList stores it: {id, @odata.type}.
func refItem(it map[string]any) map[string]any {
	m := map[string]any{"id": it["id"]}
	if t, ok := it["@odata.type"]; ok {
		m["@odata.type"] = t
	}
	return m
}

// childListOf is childList; with shaped, a Refs child's items are already
// refItem's, made for this list alone, and kept as they are (a delta
// round's members, replay: a map less a membership).
func childListOf(ch layout.Child, items []map[string]any, shaped bool) []any {
	key := ch.Key
	if ch.Refs || key == "" {
		key = "id"
	}
	out := make([]childItem, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		var m map[string]any
		if ch.Refs && shaped {
			m = it
		} else if ch.Refs {
			m = refItem(it)
		} else {
			m = it
			for _, d := range ch.Drop {
				delete(m, d)
			}
			for p := range m {
				if strings.HasPrefix(p, "@odata.") && p != "@odata.type" {
					delete(m, p)
				}
			}
		}
		id := keyString(m[key])
		if seen[id] {
			continue // repeated across pages
		}
		seen[id] = true
		out = append(out, newChildItem(m, id))
	}
	// Each key is read once, not at each comparison: a group of 100,000
	// members is two million comparisons, each of which formatted and
	// parsed both keys (fmt.Sprint, strconv.ParseFloat's error) before.
	sort.SliceStable(out, func(i, j int) bool { return out[i].less(&out[j]) })
	res := make([]any, len(out))
	for i, c := range out {
		res[i] = c.m
	}
	return res
}

// childItem is a child with its key read for childKeyLess.
type childItem struct {
	m   map[string]any
	s   string  // the key as fmt.Sprint writes it
	n   float64 // the key as a number, when num
	num bool
}

func newChildItem(m map[string]any, s string) childItem {
	if layout.IsGUID(s) { // four '-': never a number (and no ParseFloat error made)
		return childItem{m: m, s: s}
	}
	n, err := strconv.ParseFloat(s, 64)
	return childItem{m: m, s: s, n: n, num: err == nil}
}

// less is childKeyLess of the two keys.
func (a *childItem) less(b *childItem) bool {
	switch {
	case a.num && b.num && a.n != b.n:
		return a.n < b.n
	case a.num && !b.num:
		return true
	case !a.num && b.num:
		return false
	}
	return a.s < b.s
}

// keyString is fmt.Sprint(v), without its cost for a string.
func keyString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// permissionNulled are properties Graph answers as null, not with a 403,
// when the app lacks the permission that reads them: a snapshot would
// record the value as unset and a restore clear it. resources/user:
// employeeLeaveDateTime needs User-LifeCycleInfo.Read.All (Microsoft Q&A
// 1280030: "otherwise the property will return null").
var permissionNulled = map[string]map[string][]string{
	"users": {"employeeLeaveDateTime": {"User-LifeCycleInfo.Read.All", "User-LifeCycleInfo.ReadWrite.All"}},
}

// unreadableProperties fails the read of a kind whose selected properties
// the token cannot read (when the token says what it holds), naming the
// permission, instead of recording them as empty.
func (r *reader) unreadableProperties(ctx context.Context, k *layout.Kind) error {
	props := permissionNulled[k.Name]
	if len(props) == 0 {
		return nil
	}
	roles, ok, err := r.c.TokenRoles(ctx)
	if err != nil || !ok {
		return nil // the read itself reports a credential failure
	}
	for _, p := range k.Select {
		grants, ok := props[p]
		if !ok {
			continue
		}
		held := false
		for _, g := range grants {
			for _, h := range roles {
				held = held || strings.EqualFold(g, h)
			}
		}
		if !held {
			return &KindError{Kind: k.Name, What: "property " + p, Status: 403,
				Err:         fmt.Errorf("Graph answers %s as null without %s, which the token does not carry", p, grants[0]),
				Permissions: []string{grants[0]}}
		}
	}
	return nil
}

// childKeyLess orders child keys: numbers (a lifecycle workflow task's
// executionSequence) by value and before any text, text by its bytes, so
// that task 10 follows task 9 in the file as in the workflow.
func childKeyLess(a, b any) bool {
	x, y := newChildItem(nil, fmt.Sprint(a)), newChildItem(nil, fmt.Sprint(b))
	return x.less(&y)
}

// validatedNow is the Validated known now (nil: none yet).
func (r *reader) validatedNow() Validated {
	if v := r.validated.Load(); v != nil {
		return *v
	}
	return nil
}
