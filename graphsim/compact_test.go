package graphsim

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// packedPair is the same large tenant built twice: packed (as graphsim
// builds it) and plain (every object a map, as before compact.go).
func packedPair(t *testing.T, sz Sizes) (packed, plain *Server) {
	t.Helper()
	opts := Options{Profile: "large", Seed: 11, Sizes: sz}
	packed = genServer(t, opts)
	opts.plainObjects = true
	plain = genServer(t, opts)
	n := 0
	for _, kind := range []string{"user", "group"} {
		for _, r := range packed.Tenant().colls[kind].order {
			if r.packed.Load() != nil {
				n++
			}
		}
		for _, r := range plain.Tenant().colls[kind].order {
			if r.packed.Load() != nil {
				t.Fatalf("the plain tenant holds a packed %s", kind)
			}
		}
	}
	if n < sz.Users/2 {
		t.Fatalf("%d packed users and groups of %d users: the test tests nothing", n, sz.Users)
	}
	return packed, plain
}

// pairDo sends the same request to both servers and fails unless the
// status and body are the same byte for byte. It returns the plain
// server's answer.
func pairDo(t *testing.T, a, b *Server, method, path string, body any, hdr ...string) (int, map[string]any) {
	t.Helper()
	one := func(s *Server) (int, []byte) {
		var raw []byte
		if body != nil {
			raw, _ = json.Marshal(body)
		}
		req := httptest.NewRequest(method, "http://graph.test"+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+s.Token())
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Body.Bytes()
	}
	ca, ra := one(a)
	cb, rb := one(b)
	// Error answers carry a request id drawn per request.
	ra, rb = requestIDs.ReplaceAll(ra, []byte(`"request-id":"-"`)), requestIDs.ReplaceAll(rb, []byte(`"request-id":"-"`))
	if ca != cb || !bytes.Equal(ra, rb) {
		i := 0
		for i < len(ra) && i < len(rb) && ra[i] == rb[i] {
			i++
		}
		from := max(0, i-300)
		t.Fatalf("%s %s: packed tenant answered %d ...%.600s\nplain tenant answered %d ...%.600s", method, path, ca, ra[from:], cb, rb[from:])
	}
	var m map[string]any
	_ = json.Unmarshal(rb, &m)
	return cb, m
}

// pairAll reads a list (or delta) to its end on both servers, comparing
// every page, and returns the last page (its deltaLink for delta).
func pairAll(t *testing.T, a, b *Server, path string, hdr ...string) (items int, last map[string]any) {
	t.Helper()
	for pages := 0; path != "" && pages < 10000; pages++ {
		code, m := pairDo(t, a, b, "GET", path, nil, hdr...)
		if code != 200 {
			t.Fatalf("GET %s: %d %v", path, code, m)
		}
		items += len(asSlice(m["value"]))
		last, path = m, ""
		if next := str(m["@odata.nextLink"]); next != "" {
			u, err := url.Parse(next)
			if err != nil {
				t.Fatal(err)
			}
			path = u.RequestURI()
		}
	}
	return items, last
}

func relative(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("link %q: %v", link, err)
	}
	return u.RequestURI()
}

// TestPackedTenantAnswersAsThePlainOne: a large tenant whose users and
// groups are packed answers every list, get and delta byte for byte as the
// same tenant held as maps, before and after writes, deletes and restores.
func TestPackedTenantAnswersAsThePlainOne(t *testing.T) {
	a, b := packedPair(t, Sizes{Users: 400, Groups: 60, Apps: 6, CAPolicies: 4})
	ev := []string{"ConsistencyLevel", "eventual"}
	reads := func() {
		t.Helper()
		for _, p := range []string{
			"/v1.0/users?$top=37",
			"/v1.0/users?$top=50&$select=id,displayName,department,accountEnabled,proxyAddresses,creationType,onPremisesSyncEnabled",
			"/v1.0/users?$filter=" + url.QueryEscape("department eq 'Engineering'") + "&$top=20",
			"/v1.0/users?$filter=" + url.QueryEscape("startswith(displayName,'A')") + "&$count=true&$top=30",
			"/beta/users?$top=100",
			"/v1.0/groups?$top=25",
			"/v1.0/groups?$select=id,displayName,mail,groupTypes,membershipRule&$top=40",
			"/v1.0/directory/deletedItems/microsoft.graph.user",
			"/v1.0/directory/deletedItems/microsoft.graph.group",
		} {
			if strings.Contains(p, "$count") {
				pairAll(t, a, b, p, ev...)
			} else {
				pairAll(t, a, b, p)
			}
		}
		pairAll(t, a, b, "/v1.0/users?$orderby=displayName&$top=60&$count=true", ev...)
		pairAll(t, a, b, "/v1.0/users?$search="+url.QueryEscape(`"displayName:Ma"`)+"&$top=60", ev...)
		// Every user and group one by one, with and without $select.
		_, users := pairDo(t, a, b, "GET", "/v1.0/users?$select=id&$top=999", nil)
		for i, u := range asSlice(users["value"]) {
			id := str(u.(map[string]any)["id"])
			pairDo(t, a, b, "GET", "/v1.0/users/"+id, nil)
			if i%9 == 0 {
				pairDo(t, a, b, "GET", "/v1.0/users/"+id+"?$select=id,mail,userType,usageLocation,assignedLicenses,licenseAssignmentStates,customSecurityAttributes", nil)
				pairDo(t, a, b, "GET", "/v1.0/users/"+id+"/manager", nil)
			}
		}
		_, groups := pairDo(t, a, b, "GET", "/v1.0/groups?$select=id&$top=999", nil)
		for _, g := range asSlice(groups["value"]) {
			id := str(g.(map[string]any)["id"])
			pairDo(t, a, b, "GET", "/v1.0/groups/"+id, nil)
			pairAll(t, a, b, "/v1.0/groups/"+id+"/members?$select=id,displayName")
			pairAll(t, a, b, "/v1.0/groups/"+id+"/owners")
		}
	}
	reads()
	_, du := pairAll(t, a, b, "/v1.0/users/delta?$select=displayName,department,accountEnabled")
	_, duAll := pairAll(t, a, b, "/v1.0/users/delta")
	_, dg := pairAll(t, a, b, "/v1.0/groups/delta?$select=displayName,members")

	// Writes: update, link, unlink, soft delete, restore, purge.
	_, users := pairDo(t, a, b, "GET", "/v1.0/users?$select=id&$top=40", nil)
	_, groups := pairDo(t, a, b, "GET", "/v1.0/groups?$select=id,groupTypes,membershipRule&$top=40", nil)
	var uid []string
	for _, u := range asSlice(users["value"]) {
		uid = append(uid, str(u.(map[string]any)["id"]))
	}
	var gid []string
	for _, g := range asSlice(groups["value"]) {
		g := g.(map[string]any)
		if str(g["membershipRule"]) == "" {
			gid = append(gid, str(g["id"]))
		}
	}
	pairDo(t, a, b, "PATCH", "/v1.0/users/"+uid[1], map[string]any{"displayName": "Renamed One", "jobTitle": "Chief\nTester", "officeLocation": nil})
	pairDo(t, a, b, "PATCH", "/v1.0/users/"+uid[2], map[string]any{"accountEnabled": false, "businessPhones": []any{"+1 555 0100"}})
	pairDo(t, a, b, "PATCH", "/v1.0/groups/"+gid[0], map[string]any{"description": "changed", "displayName": "Renamed group"})
	pairDo(t, a, b, "POST", "/v1.0/groups/"+gid[1]+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + uid[3]})
	pairDo(t, a, b, "DELETE", "/v1.0/groups/"+gid[1]+"/members/"+uid[3]+"/$ref", nil)
	pairDo(t, a, b, "POST", "/v1.0/groups/"+gid[2]+"/members/$ref", map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + uid[4]})
	for _, id := range uid[5:10] {
		pairDo(t, a, b, "DELETE", "/v1.0/users/"+id, nil)
	}
	pairDo(t, a, b, "DELETE", "/v1.0/groups/"+gid[3], nil)
	pairDo(t, a, b, "DELETE", "/v1.0/groups/"+gid[4], nil)
	pairDo(t, a, b, "POST", "/v1.0/directory/deletedItems/"+uid[5]+"/restore", nil)
	pairDo(t, a, b, "POST", "/v1.0/directory/deletedItems/"+gid[3]+"/restore", nil)
	pairDo(t, a, b, "DELETE", "/v1.0/directory/deletedItems/"+uid[6], nil)
	pairDo(t, a, b, "PATCH", "/v1.0/users/"+uid[5], map[string]any{"department": "Restored"})
	pairDo(t, a, b, "POST", "/v1.0/users", map[string]any{"accountEnabled": true, "displayName": "New Person", "mailNickname": "new.person",
		"userPrincipalName": "new.person@" + a.Tenant().Domain(), "passwordProfile": map[string]any{"password": "xWwvJ]6NMw+bWH-d"}})
	pairDo(t, a, b, "GET", "/v1.0/users/"+uid[7], nil) // deleted: 404 both
	reads()
	pairAll(t, a, b, relative(t, str(du["@odata.deltaLink"])))
	pairAll(t, a, b, relative(t, str(duAll["@odata.deltaLink"])))
	pairAll(t, a, b, relative(t, str(dg["@odata.deltaLink"])))
	pairAll(t, a, b, "/v1.0/users/delta?$select=displayName,department", "Prefer", "return=minimal")

	// Saved and loaded, the packed tenant is the plain one.
	if !bytes.Equal(savedBytes(t, a.Tenant()), savedBytes(t, b.Tenant())) {
		t.Error("the packed tenant saves differently from the plain one")
	}
}

// savedBytes is what Save writes of tn.
func savedBytes(t *testing.T, tn *Tenant) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tn.Save(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPackedTenantHeapPerUser: a large tenant's users and groups take a
// fraction of the heap, and of the objects the collector scans, that maps
// took (issue 12, bench row g: 1.2M users held 4.5 GB, about 40 heap
// objects per user). Counts, not time: live bytes and objects after a
// collection, per user, for a tenant of 6,000 users.
func TestPackedTenantHeapPerUser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 6,000-user tenants")
	}
	measure := func(plain bool) (bytes, objects float64) {
		const users = 6000
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := genServer(t, Options{Profile: "large", Seed: 3, Sizes: Sizes{Users: users, Groups: users / 6, Apps: 10, CAPolicies: 4}, plainObjects: plain})
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(s)
		return float64(after.HeapAlloc-before.HeapAlloc) / users, float64(after.HeapObjects-before.HeapObjects) / users
	}
	pb, po := measure(false)
	qb, qo := measure(true)
	t.Logf("per user (with a group per 6 users): packed %.0f bytes, %.1f heap objects; plain %.0f bytes, %.1f objects", pb, po, qb, qo)
	// Before packing: about 3,200 bytes and 44 heap objects per user (a
	// user alone was a map of 23 properties, 1.8 KB and 30 objects).
	if po > 20 || pb > 2400 {
		t.Errorf("a packed tenant holds %.0f bytes and %.1f heap objects per user, want at most 2,400 and 20", pb, po)
	}
	if po > qo/2 {
		t.Errorf("packing keeps %.1f of the %.1f heap objects per user", po, qo)
	}
}

var requestIDs = regexp.MustCompile(`"request-id":"[^"]*"`)

// TestPackedRecordConcurrentReads: GET handlers read under the tenant's
// read lock, many at once, and record.o may unpack a record then; run with
// -race.
func TestPackedRecordConcurrentReads(t *testing.T) {
	want := map[string]any{"id": "a", "displayName": "A \u202e", "accountEnabled": false, "mail": nil, "proxyAddresses": []any{}}
	for round := 0; round < 20; round++ {
		obj := map[string]any{}
		for k, v := range want {
			obj[k] = v
		}
		r := &record{kind: kindByName["user"], obj: obj}
		(&packer{}).pack(r)
		if r.packed.Load() == nil || r.obj != nil {
			t.Fatal("not packed")
		}
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, m := range []map[string]any{r.view(), r.o(), r.view()} {
					if !reflect.DeepEqual(m, want) || r.key() != "a" || r.get("mail") != nil {
						t.Errorf("read %v, want %v", m, want)
					}
				}
			}()
		}
		wg.Wait()
		if r.packed.Load() != nil {
			t.Fatal("record.o left the record packed")
		}
	}
}

// TestTypeOfPackedRecordAllocatesNothing (issue 12): a delta round names
// the @odata.type of every member of every group it sends; of a packed
// record it reads the string in place, not boxed (an allocation a member:
// ten million at 1.2M users). The same answers as the unpacked record's.
func TestTypeOfPackedRecordAllocatesNothing(t *testing.T) {
	for _, typ := range []any{"#microsoft.graph.user", nil, "", "#microsoft.graph.servicePrincipal"} {
		obj := map[string]any{"id": "a", "displayName": "A"}
		if typ != nil {
			obj["@odata.type"] = typ
		}
		plain := &record{kind: kindByName["user"], obj: map[string]any{}}
		for k, v := range obj {
			plain.obj[k] = v
		}
		r := &record{kind: kindByName["user"], obj: obj}
		(&packer{}).pack(r)
		if r.packed.Load() == nil {
			t.Fatal("not packed")
		}
		if typeOf(r) != typeOf(plain) || needsType(r) != needsType(plain) || r.strOf("displayName") != "A" || r.strOf("missing") != "" {
			t.Errorf("@odata.type %v: typeOf %q (plain %q), needsType %v (plain %v)", typ, typeOf(r), typeOf(plain), needsType(r), needsType(plain))
		}
		if n := testing.AllocsPerRun(100, func() { typeOf(r); needsType(r) }); n != 0 {
			t.Errorf("@odata.type %v: %.0f allocations reading it", typ, n)
		}
	}
}
