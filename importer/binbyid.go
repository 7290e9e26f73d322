package importer

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
	"github.com/entrasnap/entrasnap/live"
)

// A restore of a few deleted users read the whole directory recycle bin of
// users (GET /directory/deletedItems/microsoft.graph.user, every page)
// although it needs a few of its objects (issue 12 row f). Graph also
// answers one object of the bin by id: GET /directory/deletedItems/{id}
// (learn.microsoft.com/graph/api/directory-deleteditems-get: "administrativeUnit,
// application, certificateBasedAuthPki, certificateAuthorityDetail, group,
// servicePrincipal, user"; OData query parameters supported, so $select;
// 404 Request_ResourceNotFound for an id not in the bin). Each such GET
// costs 1 resource unit, as does each page of the list, of up to 999
// objects with $top (graph-semantics.md §1.1, §3.1: "any other GET: 1 RU";
// $select −1, never below 1).
//
// The choice, per plan: the ids the plan needs from the bins (binAsks) are
// read by id when there are at most binByIDMax of them, in one $batch
// round of at most that many units, whatever the size of the bin; above,
// the bins are listed (⌈bin size ÷ 999⌉ units and requests, one page after
// another). A tenant's users' bin holds 30 days of deleted users: the
// list costs at least one unit and a transfer of every deleted object,
// while by id 20 cost 20 units in one round trip (0.25 % of a large
// tenant's 8,000 units per 10 s); 1,000 ids would cost 1,000 units by id
// and 2 pages listed.
//
// The plan is the same either way: the bin objects it reads by id are
// every one the plan looks at (classify: the selected objects missing from
// the tenant; checkRefs and the names of the plan: what the selected
// objects and their live versions name), with the properties the list
// selects. Only kinds without aliases are read so (users, groups,
// administrative units): the list of applications or service principals
// also names the appIds of every deleted one (classify.go byPrecedence).

// binByIDMax is the most ids a plan reads from the recycle bins by id
// (one $batch); with more it lists the bins.
var binByIDMax = graph.MaxBatchSize

// binReadPermission is the least permission that reads the directory
// recycle bin of each kind, listed or by id (graph-semantics.md §3.1,
// "Least privilege, list"; directory-deleteditems-get names the same):
// among the read permissions `entrasnap kinds` lists for the kind
// (TestBinReadPermissionsAreListed).
var binReadPermission = map[string]string{
	"users": "User.Read.All", "groups": "Group.Read.All", "administrative-units": "AdministrativeUnit.Read.All",
	"applications": "Application.Read.All", "service-principals": "Application.Read.All",
}

// binDenied adds to err, a refusal to read the recycle bin of kinds, what
// to grant: Graph's 403 ("Insufficient privileges to complete the
// operation.") names no permission.
func binDenied(kinds []*layout.Kind, err error) error {
	ge := graph.AsError(err)
	if ge == nil || (ge.Status != http.StatusForbidden && ge.Status != http.StatusUnauthorized) {
		return err
	}
	var need []string
	for _, k := range kinds {
		if p := binReadPermission[k.Name]; p != "" && !slices.Contains(need, p) {
			need = append(need, p)
		}
	}
	if len(need) == 0 {
		return err
	}
	// Named as the listed set grants it (service principals: Directory.Read.All).
	need = layout.NameInSet(need, layout.ExportPermissions(kinds))
	return fmt.Errorf("%w: permission denied: reading the recycle bin needs %s (the read permission `entrasnap kinds --permissions` lists for the kind): grant it to the app and plan again",
		err, strings.Join(need, " and "))
}

// binReadByID reports whether k's recycle bin may be read by id.
func binReadByID(k *layout.Kind) bool {
	return k.SoftDelete == "directory" && len(k.Aliases) == 0 && len(k.Select) > 0
}

// binAsk is one id a plan needs from the recycle bins, and the kinds whose
// bin it may be in.
type binAsk struct {
	id    string
	kinds []*layout.Kind
}

// binAsks are the ids the plan looks for in the bins of kinds (read by id),
// sorted: the selected objects of those kinds that are not live, and the
// ids that the selected objects and their live versions name of those
// kinds that are not live (each id through the id map). A named id not
// among the live objects read (a member of a group, where users are not
// read) is asked first whether it exists (directoryObjects/getByIds, 1,000
// a request, as checkRefs asks): those that do are not in a bin; when
// getByIds is refused (403: it needs Directory.Read.All) all are asked
// from the bin. nil: that could not be asked (the bins are then listed).
func binAsks(ctx context.Context, c *graph.Client, in *Input, kinds []*layout.Kind) ([]binAsk, error) {
	binOf := map[string]*layout.Kind{}
	for _, k := range kinds {
		binOf[k.Name] = k
	}
	isLive := func(l string) bool {
		for _, objs := range in.Live {
			if objs[l] != nil {
				return true
			}
		}
		return false
	}
	asks := map[string]*binAsk{}
	selected := map[string]bool{} // the selected objects' keys: known not live
	add := func(id string, kinds []string) {
		n, ok := in.IDMap.Resolve(id)
		if !ok || n == "" {
			n = id
		}
		l := strings.ToLower(n)
		if !guidRe.MatchString(n) || isLive(l) {
			return
		}
		for _, name := range kinds {
			k := binOf[name]
			if k == nil {
				continue
			}
			a := asks[l]
			if a == nil {
				a = &binAsk{id: n}
				asks[l] = a
			}
			if !slices.Contains(a.kinds, k) {
				a.kinds = append(a.kinds, k)
			}
		}
	}
	named := func(k *layout.Kind, data map[string]any) {
		for _, r := range k.Refs {
			r.Walk(data, func(id string) string {
				add(id, r.Kinds)
				return id
			})
		}
	}
	for _, d := range in.Desired {
		key := d.Key
		if n, ok := in.IDMap.Resolve(key); ok && n != "" {
			key = n
		}
		if _, read := in.Live[d.Kind.Name]; read && in.readByID[d.Kind.Name] == nil || in.readByID[d.Kind.Name][strings.ToLower(key)] {
			selected[strings.ToLower(key)] = true
		}
		add(d.Key, []string{d.Kind.Name})
		named(d.Kind, d.Data)
		if o := in.Live[d.Kind.Name][strings.ToLower(key)]; o != nil {
			named(o.Kind, o.Data)
		}
	}
	var probe []string
	for l, a := range asks {
		if !selected[l] {
			probe = append(probe, a.id)
		}
	}
	if len(probe) > 0 {
		sort.Strings(probe)
		found, err := live.FoundObjects(ctx, c, probe, nil)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil && graph.IsForbidden(err):
			// getByIds needs Directory.Read.All, which the kinds' listed
			// permissions need not hold: every id is asked from the bin
			// (one that is live answers 404 there and is left out).
			found = nil
		case err != nil:
			return nil, nil
		}
		for l := range found {
			delete(asks, l)
		}
	}
	out := make([]binAsk, 0, len(asks))
	for _, a := range asks {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].id) < strings.ToLower(out[j].id) })
	return out, nil
}

// loadBins reads the recycle bins of kinds into in.Deleted: those that may
// be read by id by id when the plan needs at most binByIDMax ids of them,
// the others (and those, above) listed.
func loadBins(ctx context.Context, c *graph.Client, kinds []*layout.Kind, in *Input) error {
	var byID []*layout.Kind
	for _, k := range kinds {
		if binReadByID(k) {
			byID = append(byID, k)
		}
	}
	if len(byID) > 0 {
		asks, err := binAsks(ctx, c, in, byID)
		if err != nil {
			return err
		}
		if asks != nil && len(asks) <= binByIDMax {
			if err := readBinByID(ctx, c, asks, in.Deleted); err != nil {
				return err
			}
			kinds = slices.DeleteFunc(slices.Clone(kinds), binReadByID)
		}
	}
	for _, k := range kinds {
		if err := loadBin(ctx, c, k, in); err != nil {
			return err
		}
	}
	return nil
}

// readBinByID reads the asked ids from the directory recycle bin (GET
// /directory/deletedItems/{id}, one $batch) into bin, as readBin would:
// an id not in the bin (404) or in the bin of a kind not asked is left out,
// and the object has the properties the list of its kind selects.
func readBinByID(ctx context.Context, c *graph.Client, asks []binAsk, bin map[string]*Object) error {
	if len(asks) == 0 {
		return nil
	}
	reqs := make([]graph.BatchRequest, len(asks))
	for i, a := range asks {
		var sel []string
		for _, k := range a.kinds {
			for _, p := range k.Select {
				if !slices.Contains(sel, p) {
					sel = append(sel, p)
				}
			}
		}
		reqs[i] = graph.BatchRequest{Method: "GET",
			URL: "/v1.0/directory/deletedItems/" + url.PathEscape(a.id) + "?$select=" + strings.Join(append(sel, "deletedDateTime"), ",")}
	}
	resps, err := c.Batch(ctx, reqs)
	if err != nil {
		return fmt.Errorf("read the directory recycle bin by id: %w", err)
	}
	for i, r := range resps {
		if err := r.Err(); err != nil {
			if graph.IsNotFound(err) {
				continue // not in the bin
			}
			return fmt.Errorf("read %s from the directory recycle bin: %w", asks[i].id, binDenied(asks[i].kinds, err))
		}
		obj, err := decode(r.Body)
		if err != nil {
			return fmt.Errorf("read %s from the directory recycle bin: %w", asks[i].id, err)
		}
		typ, _ := obj["@odata.type"].(string)
		j := slices.IndexFunc(asks[i].kinds, func(k *layout.Kind) bool { return strings.EqualFold(k.ODataType, typ) })
		if j < 0 {
			continue // in the bin of a kind the plan does not read
		}
		k := asks[i].kinds[j]
		// The properties the list of k's bin answers: those it selects,
		// not those another kind asked for the same id selects.
		delete(obj, "@odata.context")
		for p := range obj {
			if !strings.HasPrefix(p, "@") && p != "id" && p != "deletedDateTime" && !slices.Contains(k.Select, p) {
				delete(obj, p)
			}
		}
		if err := addBinObject(k, obj, bin); err != nil {
			return err
		}
	}
	return nil
}
