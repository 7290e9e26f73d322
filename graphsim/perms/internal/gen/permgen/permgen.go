// Package permgen turns Microsoft Graph's permission map (permissions.json from
// microsoftgraph/microsoft-graph-devx-content, copied to
// shared/graph-metadata/permissions.json) into graphsim's permission table,
// graphsim/perms/table_gen.go.
//
// The table holds, for each (HTTP method, normalized path) under the prefixes
// graphsim serves, every APPLICATION permission (scheme "Application") that
// grants the call. Any one of them suffices.
//
// Normalization of a permissions.json path:
//   - lowercase;
//   - a segment that is a placeholder ("{id}", "{userid}", …) becomes "{id}";
//   - a trailing "/$ref" is dropped, so ".../members/$ref" and ".../members"
//     share a row (their permission sets are merged);
//   - OData key syntax on the first segment, "applications(appid={value})",
//     becomes "applications/{id}" (merged with the "{id}" rows);
//   - any other "name(args)" segment is a function call and becomes "name()";
//   - paths with drive path addressing ("root:/{id}:") are left out, since
//     graphsim never serves them and Required could not match them.
//
// Rules applied to the json, in order (Build):
//  1. every application permission listed for a path counts, whatever its
//     least= flag;
//  2. no read-only permission (*.Read.*, *.ReadBasic.*) grants a write
//     (POST/PATCH/PUT/DELETE), except for POST actions that only read;
//  3. a read granted by X.Read.Y is also granted by X.ReadWrite.Y;
//  4. Aliases and 5. Overrides from overrides.go, each with its reason.
package permgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Row is one line of the generated table.
type Row struct {
	Method string   // upper case: GET, POST, PATCH, PUT, DELETE
	Path   string   // normalized path, e.g. "/groups/{id}/members"
	Perms  []string // sorted application permissions; any one suffices
}

// Log records what Build changed relative to the json, for the generator's
// stderr summary and for tests.
type Log struct {
	JSONRows         int      // (method, path) rows taken from the json
	DroppedRead      []string // "METHOD /path Perm": *.Read.* removed from a write
	EmptiedRows      []string // "METHOD /path": write rows left without any permission
	ImpliedReadWrite []string // "METHOD /path Perm": X.ReadWrite.Y added to a read next to X.Read.Y
	OverrideAdded    []string // "METHOD /path Perm": added by an alias or override
}

// ServedPrefixes are the path prefixes (normalized, segment-wise) graphsim
// serves. Only rows under one of them are emitted, to keep the table small.
var ServedPrefixes = []string{
	"/users",
	"/groups",
	"/applications",
	"/serviceprincipals",
	"/directory/administrativeunits",
	"/administrativeunits",
	"/directory/deleteditems",
	"/identity/conditionalaccess",
	"/policies/authorizationpolicy",
	"/policies/identitysecuritydefaultsenforcementpolicy",
	"/policies/crosstenantaccesspolicy",
	"/policies/tokenlifetimepolicies",
	"/policies/claimsmappingpolicies",
	"/policies/tokenissuancepolicies", // policies.go
	"/policies/homerealmdiscoverypolicies",
	"/policies/activitybasedtimeoutpolicies",
	"/policies/permissiongrantpolicies",
	"/policies/adminconsentrequestpolicy",
	"/policies/appmanagementpolicies",
	"/policies/defaultappmanagementpolicy",
	"/policies/authenticationflowspolicy",
	"/policies/deviceregistrationpolicy",
	"/grouplifecyclepolicies",
	"/directory/attributesets", // customsec.go
	"/directory/customsecurityattributedefinitions",
	"/identity/identityproviders",      // identityproviders.go
	"/policies/rolemanagementpolicies", // pim.go
	"/policies/rolemanagementpolicyassignments",
	// governance.go
	"/identitygovernance/entitlementmanagement/catalogs",
	"/identitygovernance/entitlementmanagement/accesspackages",
	"/identitygovernance/entitlementmanagement/assignmentpolicies",
	"/identitygovernance/entitlementmanagement/resourcerequests",
	"/identitygovernance/entitlementmanagement/connectedorganizations",
	"/identitygovernance/entitlementmanagement/settings",
	"/identitygovernance/accessreviews/definitions",
	"/identitygovernance/lifecycleworkflows/workflows", // lcw.go
	"/identitygovernance/lifecycleworkflows/customtaskextensions",
	"/identitygovernance/lifecycleworkflows/settings",
	"/identitygovernance/lifecycleworkflows/deleteditems/workflows",
	"/identity/userflowattributes", // external.go
	"/identity/apiconnectors",
	"/identity/customauthenticationextensions",
	"/identity/b2xuserflows",
	"/policies/externalidentitiespolicy",        // beta (external.go)
	"/policies/featurerolloutpolicies",          // rollout.go: delegated only
	"/directory/onpremisessynchronization",      // onpremsync.go: delegated only
	"/identitygovernance/termsofuse/agreements", // termsofuse.go: delegated only
	"/agreements", // termsofuse.go: the agreement API's other root (agreement-post-files)
	"/policies/authenticationstrengthpolicies",
	"/policies/authenticationmethodspolicy",
	"/rolemanagement/directory",
	"/oauth2permissiongrants",
	"/groupsettings",
	"/groupsettingtemplates",
	"/organization",
	"/subscribedskus", // licences.go
	"/domains",
	"/directoryobjects",
	"/invitations", // guests.go: re-inviting a purged guest
	"/devices",     // devices and organizational contacts as group members
	"/contacts",
	"/directoryroles",
	"/auditlogs/directoryaudits", // audit.go: who changed it
	"/$batch",                    // not in permissions.json@6cbd6bbd; kept in case a later copy lists it
	"/identitygovernance/privilegedaccess/group/eligibilityschedules", // pimgroups.go
	"/identitygovernance/privilegedaccess/group/assignmentschedules",
	"/identitygovernance/privilegedaccess/group/eligibilityschedulerequests",
	"/identitygovernance/privilegedaccess/group/assignmentschedulerequests",
}

// readActions are POST actions that only read. Graph lists *.Read.*
// permissions for them and that is correct, so the "no read permission on a
// write method" rule does not apply to them. Matched on the last segment.
var readActions = map[string]bool{
	"getbyids":                        true, // /directoryObjects/getByIds
	"checkmembergroups":               true,
	"checkmemberobjects":              true,
	"getmembergroups":                 true,
	"getmemberobjects":                true,
	"validateproperties":              true,
	"getavailableextensionproperties": true,
	"getuserownedobjects":             true, // /directory/deletedItems/getUserOwnedObjects
	"evaluate":                        true, // /identity/conditionalAccess/evaluate (what-if)
}

// IsWrite reports whether an HTTP method changes state.
func IsWrite(method string) bool {
	switch strings.ToUpper(method) {
	case "POST", "PATCH", "PUT", "DELETE":
		return true
	}
	return false
}

// IsReadOnlyPermission reports whether a permission only grants reads:
// a dot-separated part is Read, ReadBasic, ReadAnonymous, Read…For… or
// ReadSelectedFor… (but not ReadWrite…, ReadUpdate…).
func IsReadOnlyPermission(perm string) bool {
	for _, part := range strings.Split(perm, ".") {
		switch {
		case part == "Read", part == "ReadBasic", part == "ReadAnonymous",
			strings.HasPrefix(part, "ReadFor"), strings.HasPrefix(part, "ReadSelectedFor"):
			return true
		}
	}
	return false
}

// IsReadAction reports whether a normalized path ends in an action that
// only reads (see readActions).
func IsReadAction(path string) bool {
	return readActions[path[strings.LastIndexByte(path, '/')+1:]]
}

// readWriteOf returns X.ReadWrite.Y for X.Read.Y, or "".
func readWriteOf(perm string) string {
	parts := strings.Split(perm, ".")
	for i, p := range parts {
		if p == "Read" {
			parts[i] = "ReadWrite"
			return strings.Join(parts, ".")
		}
	}
	return ""
}

var placeholder = regexp.MustCompile(`^\{[^{}]*\}$`)

// NormalizePath normalizes a permissions.json path (see the package
// comment). ok is false for paths the table leaves out.
func NormalizePath(p string) (norm string, ok bool) {
	p = strings.ToLower(strings.TrimSpace(p))
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if n := len(segs); n > 1 && segs[n-1] == "$ref" {
		segs = segs[:n-1]
	}
	out := make([]string, 0, len(segs)+1)
	for _, s := range segs {
		switch {
		case s == "":
			return "", false
		case strings.Contains(s, ":"):
			return "", false // drive path addressing: root:/{path}:
		case placeholder.MatchString(s):
			out = append(out, "{id}")
		case strings.IndexByte(s, '(') > 0 && strings.HasSuffix(s, ")"):
			name := s[:strings.IndexByte(s, '(')]
			if len(out) == 0 {
				out = append(out, name, "{id}") // key syntax on an entity set
			} else {
				out = append(out, name+"()") // function call
			}
		case strings.ContainsAny(s, "{}()"):
			return "", false
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/"), true
}

// Served reports whether a normalized path is under one of ServedPrefixes.
func Served(path string) bool {
	for _, pre := range ServedPrefixes {
		if path == pre || strings.HasPrefix(path, pre+"/") {
			return true
		}
	}
	return false
}

type key struct{ method, path string }

type jsonFile struct {
	Permissions map[string]struct {
		PathSets []struct {
			SchemeKeys []string          `json:"schemeKeys"`
			Methods    []string          `json:"methods"`
			Paths      map[string]string `json:"paths"`
		} `json:"pathSets"`
	} `json:"permissions"`
}

// Build reads permissions.json and returns the application permission
// table rows, sorted by path then method, after the overrides.
func Build(r io.Reader) ([]Row, *Log, error) { return BuildScheme(r, Application) }

// The permission schemes of permissions.json that graphsim generates a
// table for.
const (
	Application = "Application"
	// DelegatedWork are the delegated permissions (scopes) of a work or
	// school account: graphsim/perms/delegated_gen.go. The same rules apply
	// (read-only scopes never grant a write, X.ReadWrite.Y grants what
	// X.Read.Y does) and the same aliases and overrides (overrides.go names
	// permissions that exist in both schemes).
	DelegatedWork = "DelegatedWork"
)

// BuildScheme is Build for one scheme of permissions.json: Application or
// DelegatedWork.
func BuildScheme(r io.Reader, scheme string) ([]Row, *Log, error) {
	if scheme != Application && scheme != DelegatedWork {
		return nil, nil, fmt.Errorf("permgen: unknown scheme %q", scheme)
	}
	var f jsonFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("permissions.json: %w", err)
	}
	if len(f.Permissions) == 0 {
		return nil, nil, fmt.Errorf("permissions.json: no permissions")
	}
	lg := &Log{}
	table := map[key]map[string]bool{}
	add := func(k key, perm string) bool {
		set := table[k]
		if set == nil {
			set = map[string]bool{}
			table[k] = set
		}
		if set[perm] {
			return false
		}
		set[perm] = true
		return true
	}

	// 1. Every application permission the json lists for a path, whatever its
	// least= flag says: the flags are unreliable (graph-semantics.md §0, §5:
	// Policy.Read.All "least" on CA writes, Group-NestingSupport.ReadWrite.All
	// "least" on group reads), and any listed permission is accepted by Graph.
	for perm, p := range f.Permissions {
		for _, ps := range p.PathSets {
			if !contains(ps.SchemeKeys, scheme) {
				continue
			}
			for path := range ps.Paths {
				norm, ok := NormalizePath(path)
				if !ok || !Served(norm) {
					continue
				}
				for _, m := range ps.Methods {
					add(key{strings.ToUpper(m), norm}, perm)
				}
			}
		}
	}
	lg.JSONRows = len(table)

	// 2. A read-only permission never grants a write. permissions.json lists
	// e.g. Policy.Read.All (flagged least) for POST/PATCH/DELETE on CA
	// policies and named locations, Application.Read.All for CA POST/PATCH,
	// Directory.Read.All for POST .../owners, and Policy.Read.All with
	// AlsoRequires=Application.ReadWrite.* for token/claims policy links
	// (graph-semantics.md §0 "reads-as-write" quirk). Read-only actions sent
	// with POST (readActions) keep their read permissions.
	for k, set := range table {
		if !IsWrite(k.method) || IsReadAction(k.path) {
			continue
		}
		for perm := range set {
			if IsReadOnlyPermission(perm) {
				delete(set, perm)
				lg.DroppedRead = append(lg.DroppedRead, k.method+" "+k.path+" "+perm)
			}
		}
		if len(set) == 0 {
			delete(table, k)
			lg.EmptiedRows = append(lg.EmptiedRows, k.method+" "+k.path)
		}
	}

	// 3. A read granted by X.Read.Y is also granted by X.ReadWrite.Y, as in
	// Graph, where the ReadWrite permission is the "higher privileged" one for
	// reads. The json often omits it (GET /applications, /servicePrincipals
	// and /directoryObjects/{id} lack Directory.ReadWrite.All, while
	// /applications/{id} has it); without it graphsim would refuse a token
	// that Graph accepts. Only permissions the json knows as application
	// permissions are added; Policy.Read.All has no such counterpart, so a CA
	// read still needs Policy.Read.All.
	appPerms := map[string]bool{}
	for perm, p := range f.Permissions {
		for _, ps := range p.PathSets {
			if contains(ps.SchemeKeys, scheme) {
				appPerms[perm] = true
			}
		}
	}
	for k, set := range table {
		if IsWrite(k.method) && !IsReadAction(k.path) {
			continue
		}
		for perm := range set {
			if rw := readWriteOf(perm); rw != "" && appPerms[rw] && !set[rw] {
				set[rw] = true
				lg.ImpliedReadWrite = append(lg.ImpliedReadWrite, k.method+" "+k.path+" "+rw)
			}
		}
	}

	// 4. Aliases: a path graphsim serves that the json lists under another
	// name takes over that name's rows (see overrides.go).
	for _, c := range aliasCopies(table) {
		for perm := range table[c.from] {
			if add(c.to, perm) {
				lg.OverrideAdded = append(lg.OverrideAdded, c.to.method+" "+c.to.path+" "+perm)
			}
		}
	}

	// 5. Explicit overrides (additions), see overrides.go.
	for _, o := range Overrides {
		norm, ok := NormalizePath(o.Path)
		if !ok || norm != o.Path {
			return nil, nil, fmt.Errorf("override %s %s: path is not normalized (want %q)", o.Method, o.Path, norm)
		}
		for _, perm := range o.Perms {
			if IsWrite(o.Method) && !IsReadAction(o.Path) && IsReadOnlyPermission(perm) {
				return nil, nil, fmt.Errorf("override %s %s: read-only permission %s on a write", o.Method, o.Path, perm)
			}
			if add(key{o.Method, o.Path}, perm) {
				lg.OverrideAdded = append(lg.OverrideAdded, o.Method+" "+o.Path+" "+perm)
			}
		}
	}

	rows := make([]Row, 0, len(table))
	for k, set := range table {
		if IsWrite(k.method) && !IsReadAction(k.path) {
			for perm := range set {
				if IsReadOnlyPermission(perm) {
					return nil, nil, fmt.Errorf("%s %s: read-only permission %s on a write", k.method, k.path, perm)
				}
			}
		}
		perms := make([]string, 0, len(set))
		for p := range set {
			perms = append(perms, p)
		}
		sort.Strings(perms)
		rows = append(rows, Row{Method: k.method, Path: k.path, Perms: perms})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Path != rows[j].Path {
			return rows[i].Path < rows[j].Path
		}
		return rows[i].Method < rows[j].Method
	})
	sort.Strings(lg.DroppedRead)
	sort.Strings(lg.EmptiedRows)
	sort.Strings(lg.ImpliedReadWrite)
	sort.Strings(lg.OverrideAdded)
	return rows, lg, nil
}

// Render writes the rows as the gofmt'ed Go source of table_gen.go in package
// pkg. Each distinct permission set is written once (permSets) and rows refer
// to it by index, which keeps the file small.
func Render(pkg, source string, rows []Row) ([]byte, error) {
	return RenderScheme(pkg, source, rows, Application)
}

// RenderScheme is Render for a scheme: the DelegatedWork table's variables
// are delegatedPermSets and delegatedTableRows.
func RenderScheme(pkg, source string, rows []Row, scheme string) ([]byte, error) {
	setsVar, rowsVar, what := "permSets", "tableRows", "application permissions"
	if scheme == DelegatedWork {
		setsVar, rowsVar, what = "delegatedPermSets", "delegatedTableRows", "delegated permissions (scopes)"
	}
	setIndex := map[string]int{}
	var sets [][]string
	for _, r := range rows {
		k := strings.Join(r.Perms, " ")
		if _, ok := setIndex[k]; !ok {
			setIndex[k] = -1
			sets = append(sets, r.Perms)
		}
	}
	sort.Slice(sets, func(i, j int) bool {
		return strings.Join(sets[i], " ") < strings.Join(sets[j], " ")
	})
	for i, s := range sets {
		setIndex[strings.Join(s, " ")] = i
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by graphsim/perms/internal/gen from %s; DO NOT EDIT.\n\n", source)
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	fmt.Fprintf(&b, "// %s are the distinct sets of %s in the table,\n", setsVar, what)
	b.WriteString("// each sorted; any one permission of a set grants the call.\n")
	writeSets(&b, setsVar, sets)
	fmt.Fprintf(&b, "// %s maps (method, normalized path) to an index into %s,\n", rowsVar, setsVar)
	b.WriteString("// sorted by path, then method.\n")
	fmt.Fprintf(&b, "var %s = [...]tableRow{\n", rowsVar)
	for _, r := range rows {
		fmt.Fprintf(&b, "{%s, %s, %d},\n", strconv.Quote(r.Method), strconv.Quote(r.Path), setIndex[strings.Join(r.Perms, " ")])
	}
	b.WriteString("}\n")
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("gofmt generated table: %w", err)
	}
	return out, nil
}

// writeSets writes the Go array name of the permission lists sets, one
// indexed element a line.
func writeSets(b *bytes.Buffer, name string, sets [][]string) {
	fmt.Fprintf(b, "var %s = [...][]string{\n", name)
	for i, s := range sets {
		fmt.Fprintf(b, "%d: {", i)
		for j, p := range s {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(p))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")
}

// Generate is Build followed by Render into package perms.
func Generate(r io.Reader, source string) ([]byte, *Log, error) {
	return GenerateScheme(r, source, Application)
}

// GenerateScheme is Generate for one scheme.
func GenerateScheme(r io.Reader, source, scheme string) ([]byte, *Log, error) {
	rows, lg, err := BuildScheme(r, scheme)
	if err != nil {
		return nil, nil, err
	}
	out, err := RenderScheme("perms", source, rows, scheme)
	return out, lg, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// aliasCopy is a row a path of Aliases takes over from its Source.
type aliasCopy struct{ from, to key }

// aliasCopies lists, alias by alias, the rows of table under an alias's
// Source and the row under the alias's Path each is copied to (collected
// first: the caller adds to table).
func aliasCopies[V any](table map[key]V) []aliasCopy {
	var out []aliasCopy
	for _, a := range Aliases {
		for k := range table {
			if k.path == a.Source || strings.HasPrefix(k.path, a.Source+"/") {
				out = append(out, aliasCopy{k, key{k.method, a.Path + k.path[len(a.Source):]}})
			}
		}
	}
	return out
}
