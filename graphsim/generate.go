package graphsim

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/entrasnap/entrasnap/graphsim/builtin"
)

// Sizes are the generator's knobs; zero fields take the profile's defaults.
//
// demo: Users is the number of user objects (default 150, at least 12: the
// first admin, two emergency access accounts, guests and employees), Groups
// the number of groups (default 25, at least 7: the groups the Conditional
// Access policies, role assignments and app assignments refer to),
// MembersPerGroup resizes every assigned group that holds users (default: its
// natural membership, e.g. a department), Apps the number of app
// registrations, each with its service principal (default 10), CAPolicies the
// number of Conditional Access policies (default 12).
//
// large: Users (default 100,000, at least 3), Groups (default 20,000, at
// least 1), MembersPerGroup the average member count (default 50), Apps
// (default 2,000) and CAPolicies (default 50).
//
// The empty profile ignores Sizes.
type Sizes struct {
	Users           int `json:"users"`
	Groups          int `json:"groups"`
	MembersPerGroup int `json:"membersPerGroup"`
	Apps            int `json:"apps"`
	CAPolicies      int `json:"caPolicies"`
}

// Minimum sizes of the demo profile: what its cross references need.
const (
	demoMinUsers  = 12
	demoMinGroups = 7
)

// profileSizes fills the zero fields of s with the profile's defaults.
func profileSizes(profile string, s Sizes) (Sizes, error) {
	if s.Users < 0 || s.Groups < 0 || s.MembersPerGroup < 0 || s.Apps < 0 || s.CAPolicies < 0 {
		return s, fmt.Errorf("graphsim: sizes must not be negative: %+v", s)
	}
	var d Sizes
	switch profile {
	case "demo":
		d = Sizes{Users: 150, Groups: 25, Apps: 10, CAPolicies: 12}
	case "large":
		d = Sizes{Users: 100000, Groups: 20000, MembersPerGroup: 50, Apps: 2000, CAPolicies: 50}
	}
	if s.Users > 0 {
		d.Users = s.Users
	}
	if s.Groups > 0 {
		d.Groups = s.Groups
	}
	if s.MembersPerGroup > 0 {
		d.MembersPerGroup = s.MembersPerGroup
	}
	if s.Apps > 0 {
		d.Apps = s.Apps
	}
	if s.CAPolicies > 0 {
		d.CAPolicies = s.CAPolicies
	}
	switch profile {
	case "demo":
		d.Users = max(d.Users, demoMinUsers)
		d.Groups = max(d.Groups, demoMinGroups)
	case "large":
		d.Users = max(d.Users, 3)
		d.Groups = max(d.Groups, 1)
		d.MembersPerGroup = max(d.MembersPerGroup, 1)
	}
	return d, nil
}

// buildTenant creates the tenant for opts.Profile.
//
// Every profile starts from what a new Entra tenant has (see generator.empty).
// Objects are stored with Tenant.Seed after the kind's create hook (hooks.go)
// has run on them, exactly as a POST of the same body would, so they carry the
// same server-set properties and their references are checked; only
// createdDateTime is then moved into the past for a believable history.
// Everything is derived from opts.Seed and the clock: the same seed and frozen
// time give the same tenant, byte for byte.
func bareTenant(opts Options, clock *Clock) *Tenant {
	t := newTenant("", opts.TenantName, "", clock, opts.Seed)
	t.id = strings.ToLower(opts.TenantID)
	if t.id == "" {
		t.id = t.newID()
	}
	t.domain = strings.ToLower(opts.Domain)
	t.logFloor = t.seq
	return t
}

func buildTenant(opts Options, clock *Clock) (*Tenant, error) {
	profile := opts.Profile
	switch profile {
	case "":
		profile = "empty"
	case "empty", "demo", "large", "none":
	default:
		return nil, fmt.Errorf("graphsim: unknown profile %q (want empty, demo or large)", opts.Profile)
	}
	if profile == "none" {
		// No objects at all: the caller fills the tenant (a snapshot loaded
		// for a rehearsal) through Tenant.Seed and SeedLink.
		return bareTenant(opts, clock), nil
	}
	sz, err := profileSizes(profile, opts.Sizes)
	if err != nil {
		return nil, err
	}
	name := opts.TenantName
	if name == "" {
		name = "Contoso"
	}
	t := newTenant("", name, "", clock, opts.Seed)
	id := opts.TenantID
	if id == "" {
		id = t.newID()
	}
	t.id = strings.ToLower(id)
	t.domain = strings.ToLower(opts.Domain)
	if t.domain == "" {
		t.domain = tenantLabel(name) + ".onmicrosoft.com"
	}
	g := newGenerator(t, opts, clock)
	g.empty()
	switch profile {
	case "demo":
		g.demo(sz)
	case "large":
		g.large(sz)
	}
	if g.err != nil {
		return nil, fmt.Errorf("graphsim: building the %s profile: %w", profile, g.err)
	}
	// No delta token is older than the tenant, so nothing will read the log
	// of its construction: drop it (the floor makes forged older tokens 410).
	t.changes, t.logFloor = nil, t.seq
	return t, nil
}

// tenantLabel is the DNS label a tenant name gives: "Contoso Ltd" → "contosoltd".
func tenantLabel(name string) string {
	if l := lowerAlnum(name); l != "" {
		return l
	}
	return "tenant"
}

func lowerAlnum(s string) string {
	var b []byte
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+32)
		}
	}
	return string(b)
}

// generator builds one tenant. It runs before the tenant is shared, on one
// goroutine, so it may touch the tenant's internals without holding t.mu.
type generator struct {
	t   *Tenant
	s   *Server // only to run the create hooks, which take a *Server
	rnd *rand.Rand
	now time.Time
	err error
	// lastCA, when set, is the template of the last CA policy (generate_ca.go).
	lastCA *caTemplate
	// strict checks every link as POST .../$ref would (the demo; the large
	// profile skips it for speed: it builds its links to be valid).
	strict bool

	adminID       string
	graphSP       map[string]any // the stored Microsoft Graph service principal (read only)
	graphSPID     string
	initialDomain map[string]any
	secDefaults   map[string]any
	org           map[string]any
	userNicks     map[string]bool // lower-cased user mailNicknames in use
	groupNicks    map[string]bool // lower-cased group mailNicknames in use
	// pk packs the large profile's users and groups as they are made
	// (compact.go); nil with Options.plainObjects.
	pk *packer
}

func newGenerator(t *Tenant, opts Options, clock *Clock) *generator {
	// Data choices (names, departments, sizes) come from their own stream so
	// that ids, which come from the tenant's rng, stay what the server would
	// give the same sequence of creates.
	seed := opts.Seed
	var pk *packer
	if !opts.plainObjects {
		pk = &packer{}
	}
	return &generator{
		t:          t,
		s:          &Server{opts: opts, tenant: t, clock: clock, stats: newStats()},
		rnd:        rand.New(rand.NewPCG(seed^0x5eed0fda7a, seed+0x632be59bd9b4e019)),
		now:        clock.Now(),
		strict:     true,
		userNicks:  map[string]bool{},
		groupNicks: map[string]bool{},
		pk:         pk,
	}
}

// ---- storing objects ----

func (g *generator) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf(format, args...)
	}
}

// seed stores obj as it is (built-in objects).
func (g *generator) seed(kind string, obj map[string]any) string {
	if g.err != nil {
		return ""
	}
	id, err := g.t.Seed(kind, obj)
	if err != nil {
		g.err = err
	}
	return id
}

// post stores body as POST to kind's collection would: the kind's create
// hook sets the server-side properties and checks references, uniqueness is
// checked, then Seed stores it. parent is the containing object for contained
// kinds (scopedRoleMembership). It returns the stored key, "" after an error.
func (g *generator) post(kind string, body map[string]any, parent *record) string {
	if g.err != nil {
		return ""
	}
	k := kindByName[kind]
	if str(body["@odata.type"]) == k.ODataType {
		delete(body, "@odata.type")
	}
	if h := createHooks[kind]; h != nil {
		req := &request{method: http.MethodPost, version: "v1.0", path: k.Paths0(), header: http.Header{}}
		if aerr := h(g.s, req, body, parent); aerr != nil {
			g.fail("%s %q: %s", kind, describe(body), aerr.Message)
			return ""
		}
	}
	c := g.t.colls[kind]
	for _, u := range k.Unique {
		if v := str(body[u]); v != "" && c.unique[u][strings.ToLower(v)] != nil {
			g.fail("%s %q: another object has %s %q", kind, describe(body), u, v)
			return ""
		}
	}
	return g.seed(kind, body)
}

// postAt is post with the object's creation moved to created: the
// timestamps the hook set to now (createdDateTime, renewedDateTime, and
// modifiedDateTime where the hook sets it) become created. "Now" is any
// time from the generation's start on: the clock follows the real one
// unless frozen, and a large tenant takes tens of seconds to make, so
// objects made after its first second would otherwise keep the time they
// were made (a tenant whose groups all look created minutes ago).
func (g *generator) postAt(kind string, body map[string]any, created time.Time) string {
	id := g.post(kind, body, nil)
	if id == "" || created.IsZero() {
		return id
	}
	ts := graphTime(created)
	start := g.now.UTC().Truncate(time.Second)
	for _, p := range []string{"createdDateTime", "renewedDateTime", "modifiedDateTime"} {
		v, ok := body[p].(string)
		if !ok {
			continue
		}
		if at, err := time.Parse(time.RFC3339, v); err == nil && !at.Before(start) {
			body[p] = ts
		}
	}
	return id
}

func describe(body map[string]any) string {
	for _, p := range []string{"displayName", "userPrincipalName", "id", "tenantId", "principalId"} {
		if v := str(body[p]); v != "" {
			return v
		}
	}
	return "?"
}

// link adds target to rel of kind/id as POST .../{rel}/$ref would (checked
// when g.strict). computed marks memberships Graph maintains itself (dynamic
// and synced groups), which no client may write.
func (g *generator) link(kind, id, rel, target string, computed bool) {
	if g.err != nil || id == "" || target == "" {
		return
	}
	if g.strict && !computed {
		r := g.t.colls[kind].byKey[strings.ToLower(id)]
		if r == nil {
			g.fail("%s %s not found", kind, id)
			return
		}
		if aerr := g.s.checkLinkTarget(r.kind, r.o(), rel, target); aerr != nil {
			g.fail("%s %q %s += %s: %s", kind, describe(r.o()), rel, target, aerr.Message)
			return
		}
		if r.links.list(rel).containsFold(target) {
			g.fail("%s %q %s += %s: already linked", kind, describe(r.o()), rel, target)
			return
		}
	}
	if err := g.t.SeedLink(kind, id, rel, strings.ToLower(target)); err != nil {
		g.err = err
	}
}

// pack packs the object kind/id (compact.go) unless the tenant keeps
// plain objects.
func (g *generator) pack(kind, id string) {
	if g.pk != nil && id != "" {
		g.pk.pack(g.record(kind, id))
	}
}

func (g *generator) record(kind, id string) *record {
	return g.t.colls[kind].byKey[strings.ToLower(id)]
}

// reserve sizes kind's indexes for n more objects (the large profile).
func (g *generator) reserve(kind string, n int) {
	c := g.t.colls[kind]
	if len(c.order) > 0 {
		return
	}
	c.byKey = make(map[string]*record, n)
	c.order = make([]*record, 0, n)
	for u := range c.unique {
		c.unique[u] = make(map[string]*record, n)
	}
	if c.kind.Directory {
		m := make(map[string]*record, len(g.t.dirIndex)+n)
		for k, v := range g.t.dirIndex {
			m[k] = v
		}
		g.t.dirIndex = m
		g.t.dirGen++
	}
}

// trimLog empties the change log when it grows long, keeping its array:
// buildTenant drops the construction log anyway, and nothing reads it before.
func (g *generator) trimLog() {
	if len(g.t.changes) >= 1<<15 {
		clear(g.t.changes)
		g.t.changes = g.t.changes[:0]
	}
}

// ---- small value helpers ----

// strList is a JSON array of the non-empty strings in xs (never nil).
func strList(xs ...string) []any {
	out := make([]any, 0, len(xs))
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// past is a time before now: between minDays and maxDays days ago, at a
// random second.
func (g *generator) past(minDays, maxDays int) time.Time {
	d := minDays
	if maxDays > minDays {
		d += g.rnd.IntN(maxDays - minDays)
	}
	return g.now.Add(-time.Duration(d)*24*time.Hour - time.Duration(g.rnd.IntN(86400))*time.Second)
}

func (g *generator) pick(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[g.rnd.IntN(len(xs))]
}

// weighted picks an index with probability proportional to weights.
func (g *generator) weighted(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.rnd.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// sample picks up to k distinct entries of xs in a random order.
func (g *generator) sample(xs []string, k int) []string {
	if k >= len(xs) {
		out := append([]string(nil), xs...)
		g.rnd.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	seen := make(map[int]bool, k)
	out := make([]string, 0, k)
	for len(out) < k {
		i := g.rnd.IntN(len(xs))
		if !seen[i] {
			seen[i] = true
			out = append(out, xs[i])
		}
	}
	return out
}

// nick makes a unique, mailNickname-safe local part from parts ("Anna",
// "Smith" → "anna.smith", then "anna.smith2", ...).
func nick(used map[string]bool, parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('.')
		}
		for _, c := range strings.ToLower(p) {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
				b.WriteRune(c)
			}
		}
	}
	base := b.String()
	n := base
	for i := 2; used[n]; i++ {
		n = base + strconv.Itoa(i)
	}
	used[n] = true
	return n
}

func (g *generator) guid() string { return g.t.newID() }

// hint is the first three characters of a client secret as Graph shows them.
func (g *generator) hint() string {
	b := make([]byte, 3)
	for i := range b {
		b[i] = secretAlphabet[g.rnd.IntN(len(secretAlphabet))]
	}
	return string(b)
}

// ---- the empty tenant ----

// empty seeds what every new tenant has: its organization and initial
// domain, the built-in role definitions, Microsoft's first-party service
// principals, the policy singletons, the authentication method
// configurations, the built-in authentication strengths, the group setting
// templates, and the first Global Administrator.
func (g *generator) empty() {
	t := g.t
	pol := builtin.PolicyDefaults(t.id, t.name, t.domain)

	g.org = pol[builtin.KeyOrganization]
	g.org["createdDateTime"] = graphTime(g.now)
	g.seed("organization", g.org)
	g.initialDomain = pol[builtin.KeyDomain]
	g.seed("domain", g.initialDomain)

	for _, rd := range builtin.RoleDefinitions() {
		g.seed("unifiedRoleDefinition", rd)
	}
	g.s.activateRole(builtin.GlobalAdministratorRoleID) // every tenant has one
	for _, sp := range builtin.FirstPartyServicePrincipals() {
		id := g.seed("servicePrincipal", sp)
		if str(sp["appId"]) == builtin.MicrosoftGraphAppID {
			g.graphSP, g.graphSPID = sp, id
		}
	}
	if g.graphSP == nil && g.err == nil {
		g.fail("graphsim/builtin has no Microsoft Graph service principal")
	}

	g.seed("authorizationPolicy", pol[builtin.KeyAuthorizationPolicy])
	g.secDefaults = pol[builtin.KeySecurityDefaults]
	g.seed("identitySecurityDefaultsEnforcementPolicy", g.secDefaults)
	g.seed("crossTenantAccessPolicy", pol[builtin.KeyCrossTenantAccessPolicy])
	g.seed("crossTenantAccessPolicyConfigurationDefault", pol[builtin.KeyCrossTenantAccessPolicyDefault])
	// The method configurations are their own kind (their own path, PATCHed
	// one by one); the policy record keeps its structural properties only.
	amp := pol[builtin.KeyAuthenticationMethodsPolicy]
	delete(amp, "authenticationMethodConfigurations")
	amp["lastModifiedDateTime"] = graphTime(g.now)
	g.seed("authenticationMethodsPolicy", amp)
	for _, c := range builtin.AuthenticationMethodConfigurations() {
		g.seed("authenticationMethodConfiguration", c)
	}
	for _, sp := range builtin.AuthenticationStrengthPolicies() {
		g.seed("authenticationStrengthPolicy", sp)
	}
	for _, tm := range builtin.GroupSettingTemplates() {
		g.seed("groupSettingTemplate", tm)
	}
	g.seedPolicyDefaults()     // policies.go
	g.seedGovernanceDefaults() // governance.go
	g.seedLifecycleDefaults()  // lcw.go
	// external.go (beta): every tenant has one.
	g.seedExternalIdentitiesPolicy()

	g.adminID = g.post("user", map[string]any{
		"accountEnabled":    true,
		"displayName":       "MOD Administrator",
		"givenName":         "MOD",
		"surname":           "Administrator",
		"mailNickname":      nick(g.userNicks, "admin"),
		"userPrincipalName": "admin@" + t.domain,
		"passwordProfile":   map[string]any{"password": "unused", "forceChangePasswordNextSignIn": false},
	}, nil)
	g.post("unifiedRoleAssignment", map[string]any{
		"roleDefinitionId": builtin.GlobalAdministratorRoleID,
		"principalId":      g.adminID,
		"directoryScopeId": "/",
	}, nil)
}

// ---- pieces shared by demo and large ----

// Role template ids used by the generated policies and assignments.
const (
	roleUserAdmin          = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	roleHelpdeskAdmin      = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	roleSecurityAdmin      = "194ae4cb-b126-40b2-bd5b-6091b380977d"
	roleSecurityReader     = "5d6b6bb7-de71-4623-b4af-96380a352509"
	roleAppAdmin           = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	roleCloudAppAdmin      = "158c047a-c907-4556-b7ef-446551a6b5f7"
	roleExchangeAdmin      = "29232cdf-9323-42fd-ade2-1d097af3e4de"
	roleSharePointAdmin    = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
	roleCAAdmin            = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
	rolePrivRoleAdmin      = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	roleAuthAdmin          = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
	roleBillingAdmin       = "b0f54661-2d74-4c50-afa3-1ec803f12efe"
	strengthPhishResistant = "00000000-0000-0000-0000-000000000004" // built-in "Phishing-resistant MFA"
	azureManagementAppID   = "797f4846-ba00-4fd7-ba43-dac1f8f63013" // Windows Azure Service Management API
	zeroGUID               = "00000000-0000-0000-0000-000000000000"
)

// caRefs are the objects the generated Conditional Access policies name.
type caRefs struct {
	breakGlass       string // group excluded from every policy
	pilot            string // group of a device-compliance pilot
	finance          string // group restricted to trusted locations
	helpdesk         string // role-assignable helpdesk group
	trusted          string // trusted IP named location
	branches         string // second trusted IP named location
	blockedCountries string // country named location
	customStrength   string // custom authentication strength
}

// support creates what the Conditional Access policies need in every
// profile but empty: security defaults off (they exclude CA), the two
// emergency access accounts and their exclusion group, the named locations
// and a custom authentication strength. It returns the references and the
// emergency account ids.
func (g *generator) support() (caRefs, []string) {
	g.secDefaults["isEnabled"] = false
	var r caRefs
	var emergency []string
	for i := 1; i <= 2; i++ {
		n := nick(g.userNicks, fmt.Sprintf("emergency%02d", i))
		emergency = append(emergency, g.postAt("user", map[string]any{
			"accountEnabled":    true,
			"displayName":       fmt.Sprintf("Emergency Access %02d", i),
			"mailNickname":      n,
			"userPrincipalName": n + "@" + g.t.domain,
			"usageLocation":     "US",
			"passwordProfile":   map[string]any{"password": "unused", "forceChangePasswordNextSignIn": false},
		}, g.now.Add(-time.Duration(900+i)*24*time.Hour)))
	}
	r.breakGlass = g.postAt("group", map[string]any{
		"displayName":     "CA Exclusion - Break Glass Accounts",
		"description":     "Emergency access (break glass) accounts, excluded from every Conditional Access policy.",
		"mailNickname":    nick(g.groupNicks, "ca-exclusion-break-glass"),
		"mailEnabled":     false,
		"securityEnabled": true,
		"groupTypes":      []any{},
	}, g.now.Add(-899*24*time.Hour))
	for _, id := range emergency {
		g.link("group", r.breakGlass, "members", id, false)
	}
	g.link("group", r.breakGlass, "owners", g.adminID, false)

	r.trusted = g.postAt("namedLocation", map[string]any{
		"@odata.type": "#microsoft.graph.ipNamedLocation",
		"displayName": g.t.name + " HQ network",
		"isTrusted":   true,
		"ipRanges": []any{
			map[string]any{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"},
		},
	}, g.past(600, 700))
	r.branches = g.postAt("namedLocation", map[string]any{
		"@odata.type": "#microsoft.graph.ipNamedLocation",
		"displayName": g.t.name + " branch offices",
		"isTrusted":   true,
		"ipRanges": []any{
			map[string]any{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "198.51.100.0/24"},
			map[string]any{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "192.0.2.128/25"},
			map[string]any{"@odata.type": "#microsoft.graph.iPv6CidrRange", "cidrAddress": "2001:db8:1234::/48"},
		},
	}, g.past(400, 600))
	r.blockedCountries = g.postAt("namedLocation", map[string]any{
		"@odata.type":                       "#microsoft.graph.countryNamedLocation",
		"displayName":                       "Sanctioned countries",
		"countriesAndRegions":               strList("KP", "IR", "SY", "CU"),
		"includeUnknownCountriesAndRegions": true,
		"countryLookupMethod":               "clientIpAddress",
	}, g.past(500, 600))
	g.postAt("namedLocation", map[string]any{
		"@odata.type":                       "#microsoft.graph.countryNamedLocation",
		"displayName":                       "Countries with offices",
		"countriesAndRegions":               strList("US", "GB", "DE", "FR", "AU"),
		"includeUnknownCountriesAndRegions": false,
		"countryLookupMethod":               "clientIpAddress",
	}, g.past(300, 500))
	r.customStrength = g.postAt("authenticationStrengthPolicy", map[string]any{
		"displayName":         g.t.name + " passwordless",
		"description":         "FIDO2 security keys, Windows Hello for Business or passwordless phone sign-in.",
		"allowedCombinations": strList("fido2", "windowsHelloForBusiness", "deviceBasedPush"),
	}, g.past(200, 400))
	return r, emergency
}

func caUsers(includeUsers, includeGroups, includeRoles []string, excludeGroups ...string) map[string]any {
	return map[string]any{
		"includeUsers":  strList(includeUsers...),
		"excludeUsers":  []any{},
		"includeGroups": strList(includeGroups...),
		"excludeGroups": strList(excludeGroups...),
		"includeRoles":  strList(includeRoles...),
		"excludeRoles":  []any{},
	}
}

func caApps(include ...string) map[string]any {
	return map[string]any{
		"includeApplications": strList(include...),
		"excludeApplications": []any{},
		"includeUserActions":  []any{},
	}
}

func caConditions(users, apps map[string]any, clientAppTypes ...string) map[string]any {
	if len(clientAppTypes) == 0 {
		clientAppTypes = []string{"all"}
	}
	return map[string]any{
		"users":            users,
		"applications":     apps,
		"clientAppTypes":   strList(clientAppTypes...),
		"platforms":        nil,
		"locations":        nil,
		"signInRiskLevels": []any{},
		"userRiskLevels":   []any{},
	}
}

func caGrant(operator string, controls ...string) map[string]any {
	return map[string]any{
		"operator":                    operator,
		"builtInControls":             strList(controls...),
		"customAuthenticationFactors": []any{},
		"termsOfUse":                  []any{},
	}
}

func caStrength(id string) map[string]any {
	gc := caGrant("OR")
	gc["authenticationStrength"] = map[string]any{"id": id}
	return gc
}

var caAdminRoles = []string{builtin.GlobalAdministratorRoleID, roleSecurityAdmin, roleExchangeAdmin, roleSharePointAdmin,
	roleUserAdmin, roleHelpdeskAdmin, roleAppAdmin, roleCloudAppAdmin, roleCAAdmin, rolePrivRoleAdmin, roleAuthAdmin, roleBillingAdmin}

// caTemplate is one Conditional Access policy shape, after the examples in
// Graph's conditionalAccessPolicy documentation.
type caTemplate struct {
	name  string
	state string
	build func(r caRefs) (conditions, grant, session map[string]any)
}

var caTemplates = []caTemplate{
	{"Require multifactor authentication for admins", "enabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		return caConditions(caUsers(nil, nil, caAdminRoles, r.breakGlass), caApps("All")), caGrant("OR", "mfa"), nil
	}},
	{"Block legacy authentication", "enabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		return caConditions(caUsers([]string{"All"}, nil, nil, r.breakGlass), caApps("All"), "exchangeActiveSync", "other"),
			caGrant("OR", "block"), nil
	}},
	{"Require multifactor authentication for all users", "enabledForReportingButNotEnforced", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		return caConditions(caUsers([]string{"All"}, nil, nil, r.breakGlass), caApps("All")), caGrant("OR", "mfa"), nil
	}},
	{"Require phishing-resistant MFA for Global Administrators", "enabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		return caConditions(caUsers(nil, nil, []string{builtin.GlobalAdministratorRoleID}, r.breakGlass), caApps("All")),
			caStrength(strengthPhishResistant), nil
	}},
	{"Block access from sanctioned countries", "enabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		c := caConditions(caUsers([]string{"All"}, nil, nil, r.breakGlass), caApps("All"))
		c["locations"] = map[string]any{"includeLocations": strList(r.blockedCountries), "excludeLocations": []any{}}
		return c, caGrant("OR", "block"), nil
	}},
	{"Require compliant or hybrid joined device", "disabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		c := caConditions(caUsers(nil, []string{r.pilot}, nil, r.breakGlass), caApps("All"))
		c["platforms"] = map[string]any{"includePlatforms": strList("windows", "macOS"), "excludePlatforms": []any{}}
		return c, caGrant("OR", "compliantDevice", "domainJoinedDevice"), nil
	}},
	{"Require multifactor authentication for guests", "enabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		return caConditions(caUsers([]string{"GuestsOrExternalUsers"}, nil, nil, r.breakGlass), caApps("All")), caGrant("OR", "mfa"), nil
	}},
	{"Sign-in frequency on unmanaged devices", "enabledForReportingButNotEnforced", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		c := caConditions(caUsers([]string{"All"}, nil, nil, r.breakGlass), caApps("All"), "browser", "mobileAppsAndDesktopClients")
		c["devices"] = map[string]any{"deviceFilter": map[string]any{"mode": "exclude",
			"rule": `device.isCompliant -eq True -or device.trustType -eq "ServerAD"`}}
		return c, nil, map[string]any{
			"applicationEnforcedRestrictions": nil,
			"cloudAppSecurity":                nil,
			"disableResilienceDefaults":       nil,
			"persistentBrowser":               map[string]any{"isEnabled": true, "mode": "never"},
			"signInFrequency": map[string]any{"isEnabled": true, "type": "hours", "value": 4,
				"authenticationType": "primaryAndSecondaryAuthentication", "frequencyInterval": "timeBased"},
		}
	}},
	{"Finance: block access outside trusted locations", "enabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		c := caConditions(caUsers(nil, []string{r.finance}, nil, r.breakGlass), caApps("All"))
		c["locations"] = map[string]any{"includeLocations": strList("All"), "excludeLocations": strList("AllTrusted", r.trusted, r.branches)}
		return c, caGrant("OR", "block"), nil
	}},
	{"Require multifactor authentication for Azure management", "enabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		return caConditions(caUsers([]string{"All"}, nil, nil, r.breakGlass), caApps(azureManagementAppID)), caGrant("OR", "mfa"), nil
	}},
	{"Helpdesk admins require passwordless sign-in", "enabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		return caConditions(caUsers(nil, []string{r.helpdesk}, nil, r.breakGlass), caApps("All")), caStrength(r.customStrength), nil
	}},
	{"Require approved client app on mobile devices", "disabled", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		c := caConditions(caUsers([]string{"All"}, nil, nil, r.breakGlass), caApps("Office365"), "browser", "mobileAppsAndDesktopClients")
		c["platforms"] = map[string]any{"includePlatforms": strList("android", "iOS"), "excludePlatforms": []any{}}
		return c, caGrant("OR", "approvedApplication", "compliantApplication"), nil
	}},
	{"Block high sign-in risk", "enabledForReportingButNotEnforced", func(r caRefs) (map[string]any, map[string]any, map[string]any) {
		c := caConditions(caUsers([]string{"All"}, nil, nil, r.breakGlass), caApps("All"))
		c["signInRiskLevels"] = strList("high")
		return c, caGrant("OR", "block"), nil
	}},
}

// caPolicies creates n policies from the templates in order (cycling), named
// "CA001: ...". refsFor gives the references of policy i.
func (g *generator) caPolicies(n int, refsFor func(i int) caRefs) {
	for i := 0; i < n && g.err == nil; i++ {
		tm := caTemplates[i%len(caTemplates)]
		if i == n-1 && g.lastCA != nil {
			tm = *g.lastCA
		}
		cond, grant, session := tm.build(refsFor(i))
		body := map[string]any{
			"displayName":     fmt.Sprintf("CA%03d: %s", i+1, tm.name),
			"state":           tm.state,
			"conditions":      cond,
			"grantControls":   nil,
			"sessionControls": nil,
		}
		if grant != nil {
			body["grantControls"] = grant
		}
		if session != nil {
			body["sessionControls"] = session
		}
		created := g.past(30, 700)
		if g.postAt("conditionalAccessPolicy", body, created) != "" && i%3 == 1 {
			// Some policies were edited after their creation, as PATCH records.
			body["modifiedDateTime"] = graphTime(created.Add(time.Duration(1+g.rnd.IntN(20)) * 24 * time.Hour))
		}
	}
}

// graphScope is the id of a delegated permission of Microsoft Graph.
func (g *generator) graphScope(value string) string {
	for _, s := range asSlice(g.graphSP["oauth2PermissionScopes"]) {
		if m, ok := s.(map[string]any); ok && str(m["value"]) == value {
			return str(m["id"])
		}
	}
	g.fail("Microsoft Graph has no delegated permission %q", value)
	return ""
}

// graphRole is the id of an application permission of Microsoft Graph.
func (g *generator) graphRole(value string) string {
	id, ok := builtin.AppRoleID(value)
	if !ok {
		g.fail("Microsoft Graph has no application permission %q", value)
	}
	return id
}

// graphAccess is a requiredResourceAccess entry on Microsoft Graph:
// delegated scopes and application roles.
func (g *generator) graphAccess(scopes, roles []string) map[string]any {
	var ra []any
	for _, s := range scopes {
		ra = append(ra, map[string]any{"id": g.graphScope(s), "type": "Scope"})
	}
	for _, r := range roles {
		ra = append(ra, map[string]any{"id": g.graphRole(r), "type": "Role"})
	}
	return map[string]any{"resourceAppId": builtin.MicrosoftGraphAppID, "resourceAccess": orEmpty(ra)}
}

// app is a created application and its service principal.
type app struct {
	id, appID, spID, name string
	obj                   map[string]any
}

// newApp creates an application and its service principal (spExtra: extra
// POST properties of the service principal). With apiURI the application
// then gets the identifier URI "api://{appId}", as a PATCH right after the
// creation sets it (the appId is only known then).
func (g *generator) newApp(body map[string]any, created time.Time, spExtra map[string]any, apiURI ...bool) app {
	id := g.postAt("application", body, created)
	if id == "" {
		return app{}
	}
	a := app{id: id, appID: str(body["appId"]), name: str(body["displayName"]), obj: body}
	if len(apiURI) > 0 && apiURI[0] {
		body["identifierUris"] = strList("api://" + a.appID)
	}
	sp := map[string]any{"appId": a.appID, "tags": strList("WindowsAzureActiveDirectoryIntegratedApp")}
	for k, v := range spExtra {
		sp[k] = v
	}
	a.spID = g.post("servicePrincipal", sp, nil)
	return a
}

// passwordCredential is the metadata addPassword leaves on an application
// (credentials.go); the secret text itself never exists here.
func (g *generator) passwordCredential(name string, start, end time.Time) map[string]any {
	return map[string]any{
		"customKeyIdentifier": nil,
		"displayName":         nilIfEmpty(name),
		"endDateTime":         graphTimeFrac(end),
		"hint":                g.hint(),
		"keyId":               g.guid(),
		"secretText":          nil,
		"startDateTime":       graphTimeFrac(start),
	}
}

// assignAppRole creates an appRoleAssignment of resource's role to principal.
func (g *generator) assignAppRole(principalID, resourceSPID, appRoleID string, created time.Time) {
	if principalID == "" || resourceSPID == "" {
		return
	}
	g.postAt("appRoleAssignment", map[string]any{
		"principalId": principalID, "resourceId": resourceSPID, "appRoleId": appRoleID,
	}, created)
}

func (g *generator) grant(clientSPID, resourceSPID, principalID, scope string) {
	if clientSPID == "" || resourceSPID == "" {
		return
	}
	body := map[string]any{"clientId": clientSPID, "resourceId": resourceSPID, "scope": scope, "consentType": "AllPrincipals"}
	if principalID != "" {
		body["consentType"] = "Principal"
		body["principalId"] = principalID
	}
	g.post("oAuth2PermissionGrant", body, nil)
}

func (g *generator) assignRole(roleID, principalID, scope string) {
	if principalID == "" {
		return
	}
	g.post("unifiedRoleAssignment", map[string]any{"roleDefinitionId": roleID, "principalId": principalID, "directoryScopeId": scope}, nil)
}

// ---- demo ----

// person is a generated user of the demo company.
type person struct {
	id, given, surname string
	dept               int // index in departments, -1 for none
	title              string
	head               bool
	office             int
	guest, synced      bool
	disabled           bool
}

// demo builds a believable small company on top of the empty tenant.
func (g *generator) demo(sz Sizes) {
	t := g.t
	label := tenantLabel(t.name)
	custom := label + ".com"
	g.customDomain(custom)
	refs, emergency := g.support()
	people := g.demoUsers(sz.Users-1-len(emergency), custom, label)
	if g.err != nil {
		return
	}
	gr := g.demoGroups(sz, people, refs.breakGlass)
	refs.pilot, refs.finance, refs.helpdesk = gr.pilot, gr.finance, gr.helpdesk
	g.lastCA = g.demoAuthContexts() // generate_ca.go
	g.caPolicies(sz.CAPolicies, func(int) caRefs { return refs })
	apps := g.demoApps(sz.Apps, people, gr, custom)
	g.demoDirectoryRoles(people, gr, apps, emergency)
	g.demoPolicies(people, gr, apps, custom)
	g.demoDevices() // generate_guests.go
	// policies.go
	g.demoPolicyKinds(reviewerOf(people), custom)
	g.demoPolicyAssignments(apps)           // assign.go
	g.demoAppHeld(apps)                     // generate_appheld.go (last: earlier objects keep their ids)
	g.demoCustomSecurity()                  // customsec.go (caller's ids only)
	g.demoIdentityProviders()               // identityproviders.go (given ids only)
	g.demoBranding()                        // branding.go (given ids only)
	g.demoCBA()                             // cba.go
	g.demoMFA()                             // mfa.go (no id drawn)
	g.demoCSAValues(5)                      // user_csa.go (no id drawn)
	g.demoManagers(people, gr)              // generate_users.go (links only)
	g.demoLicences(people, gr)              // generate_users.go (no directory id)
	g.demoPIM(people)                       // pim.go (derived ids only)
	g.demoGovernance(people, gr)            // governance.go
	g.demoCatalogResources(gr, apps)        // emresources.go (derived ids only)
	g.demoExternal()                        // external.go (given or derived ids only)
	g.demoPIMGroups(people, gr)             // pimgroups.go (derived ids only)
	g.demoLifecycleWorkflows(gr)            // lcw.go (derived ids only)
	g.demoRollout(refs.pilot, refs.finance) // rollout.go (given ids only)
	g.demoTermsOfUse()                      // termsofuse.go (given ids only)
	g.demoOnPremSync()                      // onpremsync.go (the tenant's id)
}

// customDomain adds a verified custom domain that becomes the default, as
// POST /domains and the verify action leave it.
func (g *generator) customDomain(name string) {
	body := map[string]any{"id": name}
	if g.post("domain", body, nil) == "" {
		return
	}
	body["isVerified"] = true
	body["isDefault"] = true
	body["supportedServices"] = strList("Email", "OfficeCommunicationsOnline")
	g.initialDomain["isDefault"] = false
	vds := asSlice(g.org["verifiedDomains"])
	for _, vd := range vds {
		if m, ok := vd.(map[string]any); ok {
			m["isDefault"] = false
		}
	}
	g.org["verifiedDomains"] = append(vds, map[string]any{
		"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": true, "isInitial": false, "name": name, "type": "Managed",
	})
	o := offices[0]
	g.org["city"], g.org["state"], g.org["country"], g.org["countryLetterCode"] = o.City, o.State, o.Country, o.Usage
	g.org["postalCode"], g.org["street"] = "98052", "1 "+g.t.name+" Way"
	g.org["businessPhones"] = strList(o.Phone + "100")
	g.org["technicalNotificationMails"] = strList("it-alerts@" + name)
	g.org["securityComplianceNotificationMails"] = strList("security@" + name)
	g.org["marketingNotificationEmails"] = strList("it-alerts@" + name)
}

func (g *generator) userBody(p *person) map[string]any {
	return map[string]any{
		"accountEnabled":  !p.disabled,
		"displayName":     p.given + " " + p.surname,
		"givenName":       p.given,
		"surname":         p.surname,
		"passwordProfile": map[string]any{"password": "unused", "forceChangePasswordNextSignIn": true},
	}
}

// demoUsers creates n users: guests (about one in twenty) and employees of
// every department and office (department heads first), a few disabled and
// a few synced from an on-premises directory. Department heads come first,
// so small sizes still have every role the rest of the demo refers to.
func (g *generator) demoUsers(n int, custom, label string) []*person {
	guests := max(2, n/20)
	employees := n - guests
	var out []*person
	deptW := make([]int, len(departments))
	for i, d := range departments {
		deptW[i] = d.Weight
	}
	offW := make([]int, len(offices))
	for i, o := range offices {
		offW[i] = o.Weight
	}
	// The roles the demo names, in the order small sizes fill them.
	type slot struct{ dept, title string }
	wanted := []slot{{"IT", "Helpdesk Technician"}, {"IT", "Security Analyst"}, {"IT", "Systems Administrator"}}
	syncedLeft := 6
	for i := 0; i < employees; i++ {
		p := &person{office: g.weighted(offW)}
		switch {
		case i < len(departments):
			p.dept, p.head, p.title = i, true, departments[i].Head
		case i-len(departments) < len(wanted):
			w := wanted[i-len(departments)]
			p.dept, p.title = deptIndex(w.dept), w.title
		default:
			p.dept = g.weighted(deptW)
			d := departments[p.dept]
			p.title = d.Titles[g.rnd.IntN(len(d.Titles))]
		}
		if !p.head && i%30 == 29 {
			p.disabled = true
		}
		if offices[p.office].City == "Munich" && syncedLeft > 0 && !p.head {
			p.synced = true
			syncedLeft--
		}
		p.given, p.surname = g.pick(givenNames), g.pick(surnames)
		nk := nick(g.userNicks, p.given, p.surname)
		o := offices[p.office]
		hired := g.past(20, 6*365)
		body := g.userBody(p)
		employeeType := "Employee"
		if !p.head && g.rnd.IntN(10) == 0 {
			employeeType = "Contractor"
		}
		for k, v := range map[string]any{
			"userPrincipalName": nk + "@" + custom,
			"mailNickname":      nk,
			"mail":              nk + "@" + custom,
			"department":        departments[p.dept].Name,
			"jobTitle":          p.title,
			"companyName":       g.t.name,
			"officeLocation":    o.Location,
			"city":              o.City,
			"state":             o.State,
			"country":           o.Country,
			"usageLocation":     o.Usage,
			"preferredLanguage": o.Language,
			"employeeId":        strconv.Itoa(100001 + i),
			"employeeType":      employeeType,
			"employeeHireDate":  graphTime(hired),
			"businessPhones":    strList(fmt.Sprintf("%s%03d", o.Phone, 100+i%900)),
		} {
			body[k] = v
		}
		if g.rnd.IntN(3) == 0 {
			body["mobilePhone"] = fmt.Sprintf("+1 555 01%02d %04d", g.rnd.IntN(100), g.rnd.IntN(10000))
		}
		if p.synced {
			immutable := make([]byte, 16)
			for j := range immutable {
				immutable[j] = byte(g.rnd.IntN(256))
			}
			body["onPremisesImmutableId"] = base64.StdEncoding.EncodeToString(immutable)
		}
		p.id = g.postAt("user", body, hired)
		if p.synced && p.id != "" {
			// Set by Entra Connect, never by a POST.
			body["onPremisesSyncEnabled"] = true
			body["onPremisesSamAccountName"] = sam(nk)
			body["onPremisesDomainName"] = label + ".local"
			body["onPremisesUserPrincipalName"] = nk + "@" + label + ".local"
			body["onPremisesDistinguishedName"] = fmt.Sprintf("CN=%s %s,OU=Users,OU=%s,DC=%s,DC=local", p.given, p.surname, o.City, label)
			body["onPremisesSecurityIdentifier"] = fmt.Sprintf("S-1-5-21-1004336348-1177238915-682003330-%d", 1100+i)
			body["onPremisesLastSyncDateTime"] = graphTime(g.now.Add(-time.Duration(5+g.rnd.IntN(25)) * time.Minute))
		}
		out = append(out, p)
	}
	for i := 0; i < guests; i++ {
		org := partnerOrgs[i%len(partnerOrgs)]
		p := &person{dept: -1, guest: true, given: g.pick(givenNames), surname: g.pick(surnames)}
		local := nick(map[string]bool{}, p.given, p.surname)
		ext := strings.ReplaceAll(local+"_"+org.Domain, "@", "_") + "#EXT#"
		// A pending invitation keeps the first local part free of collisions too.
		for g.userNicks[strings.ToLower(ext)] {
			local += "1"
			ext = local + "_" + org.Domain + "#EXT#"
		}
		g.userNicks[strings.ToLower(ext)] = true
		invited := g.past(10, 2*365)
		state := "Accepted"
		if i%5 == 4 {
			state = "PendingAcceptance"
		}
		accepted := invited.Add(time.Duration(g.rnd.IntN(48)) * time.Hour)
		// Guests arrive through an invitation (guests.go): POST /users
		// refuses them.
		extra := map[string]any{
			"givenName": p.given, "surname": p.surname, "companyName": org.Name,
			"createdDateTime": graphTime(invited), "externalUserState": state,
			"externalUserStateChangeDateTime": graphTime(accepted),
		}
		if state == "Accepted" {
			extra["redeemed"] = true // generate_guests.go: the identity redemption adds
		}
		p.id = g.guest(local+"@"+org.Domain, p.given+" "+p.surname, extra)
		out = append(out, p)
	}
	return out
}

func sam(nick string) string {
	if len(nick) > 20 {
		return nick[:20]
	}
	return nick
}

func deptIndex(name string) int {
	for i, d := range departments {
		if d.Name == name {
			return i
		}
	}
	return 0
}

// demoGroupRefs are the demo groups other objects refer to.
type demoGroupRefs struct {
	allCompany, pilot, finance, helpdesk, secops, hrPortal string
	dept                                                   map[string]string // department name → group id
	all                                                    []string
}

// groupSpec describes one demo group.
type groupSpec struct {
	name, nick, desc string
	typ              string // security, m365, dynamic, roleAssignable, synced
	rule             string
	visibility       string
	members          []string // user or group ids
	owners           []string
	resize           bool // MembersPerGroup applies
	ref              *string
}

func (g *generator) demoGroups(sz Sizes, people []*person, breakGlass string) demoGroupRefs {
	refs := demoGroupRefs{dept: map[string]string{}, all: []string{breakGlass}}
	var employees, enabled, guests, synced []string
	byDept := make([][]string, len(departments))
	byTitle := map[string][]string{}
	head := make([]string, len(departments))
	for _, p := range people {
		switch {
		case p.guest:
			guests = append(guests, p.id)
			continue
		case p.head:
			head[p.dept] = p.id
		}
		employees = append(employees, p.id)
		if !p.disabled {
			enabled = append(enabled, p.id)
		}
		if p.synced {
			synced = append(synced, p.id)
		}
		byDept[p.dept] = append(byDept[p.dept], p.id)
		byTitle[p.title] = append(byTitle[p.title], p.id)
	}
	orAdmin := func(id string) string {
		if id == "" {
			return g.adminID
		}
		return id
	}
	itHead := orAdmin(head[deptIndex("IT")])
	dept := func(name string) groupSpec {
		d := departments[deptIndex(name)]
		var ref *string
		if name == "Finance" {
			ref = &refs.finance
		}
		return groupSpec{name: "Dept - " + d.Name, nick: "dept-" + d.Nick, typ: "security",
			desc:    "Everyone in " + d.Name + ", maintained by HR.",
			members: byDept[deptIndex(name)], owners: []string{orAdmin(head[deptIndex(name)])}, resize: true, ref: ref}
	}
	firstOf := func(xs []string, n int) []string { return xs[:min(n, len(xs))] }
	specs := []groupSpec{
		{name: "All Company", nick: "allcompany", typ: "m365", visibility: "Public",
			desc:    "Company-wide announcements and conversations.",
			members: enabled, owners: []string{orAdmin(head[0]), g.adminID}, ref: &refs.allCompany},
		{name: "Role - Helpdesk Administrators", nick: "role-helpdesk-admins", typ: "roleAssignable",
			desc:    "Holds the Helpdesk Administrator role. Role-assignable.",
			members: firstOf(byTitle["Helpdesk Technician"], 4), owners: []string{itHead}, ref: &refs.helpdesk},
		{name: "Role - Security Operations", nick: "role-secops", typ: "roleAssignable",
			desc:    "Security analysts: Security Reader, eligible for Security Administrator. Role-assignable.",
			members: firstOf(byTitle["Security Analyst"], 4), owners: []string{itHead}, ref: &refs.secops},
		{name: "CA Pilot - Compliant Devices", nick: "ca-pilot-compliant-devices", typ: "security",
			desc:    "Pilot group for the device compliance Conditional Access policy.",
			members: g.sample(enabled, 12), owners: []string{itHead}, resize: true, ref: &refs.pilot},
		{name: "App - HR Portal Users", nick: "app-hr-portal-users", typ: "security",
			desc:    "Users of the HR portal (assigned to its HR.Reader role).",
			members: append(append([]string(nil), byDept[deptIndex("Human Resources")]...), g.sample(byDept[deptIndex("Executive")], 3)...),
			owners:  []string{orAdmin(head[deptIndex("Human Resources")])}, resize: true, ref: &refs.hrPortal},
		dept("Finance"),
	}
	for _, d := range departments {
		if d.Name != "Finance" {
			specs = append(specs, dept(d.Name))
		}
	}
	var sales []string
	for _, p := range people {
		if !p.guest && departments[p.dept].Name == "Sales" {
			sales = append(sales, p.id)
		}
	}
	specs = append(specs,
		groupSpec{name: "Dynamic - Sales", nick: "dynamic-sales", typ: "dynamic", rule: `(user.department -eq "Sales")`,
			desc: "Everyone whose department is Sales.", members: sales},
		groupSpec{name: "Dynamic - Guests", nick: "dynamic-guests", typ: "dynamic", rule: `(user.userType -eq "Guest")`,
			desc: "Every guest user.", members: guests},
		groupSpec{name: "Project Falcon", nick: "project-falcon", typ: "m365", visibility: "Private",
			desc:    "Falcon product launch team, with partner guests.",
			members: append(g.sample(enabled, 8), firstOf(guests, 2)...), owners: g.sample(enabled, 2), resize: true},
		groupSpec{name: "Marketing Team", nick: "marketing-team", typ: "m365", visibility: "Public",
			desc:    "Marketing plans, campaigns and assets.",
			members: byDept[deptIndex("Marketing")], owners: []string{orAdmin(head[deptIndex("Marketing")])}, resize: true},
		groupSpec{name: "Engineering - All", nick: "engineering-all", typ: "security",
			desc:   "Engineering and Research (nested department groups).",
			owners: []string{orAdmin(head[deptIndex("Engineering")])}},
		groupSpec{name: "Corporate Functions", nick: "corporate-functions", typ: "security",
			desc:   "Finance, Human Resources and Legal (nested department groups).",
			owners: []string{orAdmin(head[deptIndex("Finance")])}},
		groupSpec{name: "License - Microsoft 365 E5", nick: "license-m365-e5", typ: "security",
			desc:    "Group-based licensing: Microsoft 365 E5.",
			members: g.sample(enabled, 40), owners: []string{itHead}, resize: true},
		groupSpec{name: "SYNC - Munich File Share", nick: "sync-munich-fileshare", typ: "synced",
			desc: "Synchronized from the on-premises directory.", members: synced},
	)
	// Nested groups refer to department groups by id once those exist.
	nested := map[string][]string{
		"Engineering - All":   {"Engineering", "Research"},
		"Corporate Functions": {"Finance", "Human Resources", "Legal"},
	}
	target := sz.Groups - 1 // the emergency access exclusion group exists
	for i := 0; i < target; i++ {
		var sp groupSpec
		if i < len(specs) {
			sp = specs[i]
		} else {
			w := teamWords[(i-len(specs))%len(teamWords)]
			n := (i-len(specs))/len(teamWords) + 1
			sp = groupSpec{name: fmt.Sprintf("Team - %s %d", w, n), nick: fmt.Sprintf("team-%s-%d", strings.ToLower(w), n),
				typ: "security", desc: "Project team.", members: g.sample(enabled, 8), owners: g.sample(enabled, 1), resize: true}
		}
		if deps, ok := nested[sp.name]; ok {
			for _, d := range deps {
				sp.members = append(sp.members, refs.dept[d])
			}
		}
		if sp.resize && sz.MembersPerGroup > 0 {
			sp.members = g.resize(sp.members, enabled, sz.MembersPerGroup)
		}
		id := g.demoGroup(sp)
		refs.all = append(refs.all, id)
		if sp.ref != nil {
			*sp.ref = id
		}
		if d, ok := strings.CutPrefix(sp.name, "Dept - "); ok {
			refs.dept[d] = id
		}
	}
	return refs
}

// resize makes members exactly n long: cut, or filled from pool in order.
func (g *generator) resize(members, pool []string, n int) []string {
	if len(members) >= n {
		return members[:n]
	}
	out := append([]string(nil), members...)
	have := map[string]bool{}
	for _, m := range out {
		have[m] = true
	}
	for _, p := range pool {
		if len(out) == n {
			break
		}
		if !have[p] {
			have[p] = true
			out = append(out, p)
		}
	}
	return out
}

func (g *generator) demoGroup(sp groupSpec) string {
	body := map[string]any{
		"displayName":     sp.name,
		"description":     sp.desc,
		"mailNickname":    nick(g.groupNicks, sp.nick),
		"mailEnabled":     false,
		"securityEnabled": true,
		"groupTypes":      []any{},
	}
	switch sp.typ {
	case "m365":
		body["mailEnabled"], body["securityEnabled"] = true, false
		body["groupTypes"] = strList("Unified")
		body["visibility"] = sp.visibility
	case "dynamic":
		body["groupTypes"] = strList("DynamicMembership")
		body["membershipRule"] = sp.rule
	case "roleAssignable":
		body["isAssignableToRole"] = true
	}
	id := g.postAt("group", body, g.past(60, 4*365))
	if id == "" {
		return ""
	}
	if sp.typ == "synced" {
		// Set by Entra Connect, never by a POST.
		body["onPremisesSyncEnabled"] = true
		body["onPremisesSamAccountName"] = sam(str(body["mailNickname"]))
		body["onPremisesDomainName"] = tenantLabel(g.t.name) + ".local"
		body["onPremisesNetBiosName"] = strings.ToUpper(sam(tenantLabel(g.t.name)))
		body["onPremisesSecurityIdentifier"] = "S-1-5-21-1004336348-1177238915-682003330-5120"
		body["onPremisesLastSyncDateTime"] = graphTime(g.now.Add(-12 * time.Minute))
	}
	computed := sp.typ == "dynamic" || sp.typ == "synced"
	seen := map[string]bool{}
	for _, m := range sp.members {
		if m != "" && !seen[m] {
			seen[m] = true
			g.link("group", id, "members", m, computed)
		}
	}
	seen = map[string]bool{}
	for _, o := range sp.owners {
		if o != "" && !seen[o] {
			seen[o] = true
			g.link("group", id, "owners", o, false)
		}
	}
	return id
}

// demoApps creates n app registrations with their service principals, the
// consents (oauth2PermissionGrants) and app role assignments around them.
func (g *generator) demoApps(n int, people []*person, gr demoGroupRefs, custom string) []app {
	var emp, guests []string
	byTitle := map[string]string{}
	for _, p := range people {
		if p.guest {
			guests = append(guests, p.id)
			continue
		}
		if !p.disabled {
			emp = append(emp, p.id)
		}
		if byTitle[p.title] == "" {
			byTitle[p.title] = p.id
		}
	}
	who := func(title string) string {
		if id := byTitle[title]; id != "" {
			return id
		}
		return g.adminID
	}
	host := func(sub string) string { return "https://" + sub + "." + custom }
	appRole := func(value, name, desc string, types ...string) map[string]any {
		return map[string]any{"allowedMemberTypes": strList(types...), "description": desc, "displayName": name,
			"id": g.guid(), "isEnabled": true, "value": value}
	}
	var out []app
	var api app // the Inventory API, once created
	type appSpec func(i int) app
	specs := []appSpec{
		func(int) app { // a web app with its own app roles for users and groups
			body := map[string]any{
				"displayName": g.t.name + " HR Portal", "description": "Employee self-service for leave, benefits and payroll.",
				"signInAudience": "AzureADMyOrg",
				"web": map[string]any{"redirectUris": strList(host("hr") + "/signin-oidc"), "homePageUrl": host("hr"),
					"logoutUrl":             host("hr") + "/signout-oidc",
					"implicitGrantSettings": map[string]any{"enableIdTokenIssuance": true, "enableAccessTokenIssuance": false}},
				"requiredResourceAccess": []any{g.graphAccess([]string{"openid", "profile", "User.Read"}, nil)},
				"appRoles": []any{
					appRole("HR.Admin", "HR administrator", "Manage HR records of every employee.", "User"),
					appRole("HR.Reader", "HR reader", "Read own HR records.", "User"),
				},
				"groupMembershipClaims": "SecurityGroup",
			}
			a := g.newApp(body, g.past(400, 1000), map[string]any{"appRoleAssignmentRequired": true})
			g.link("application", a.id, "owners", who("HR Director"), false)
			g.grant(a.spID, g.graphSPID, "", "openid profile User.Read")
			roles := asSlice(body["appRoles"])
			if len(roles) == 2 {
				adminRole, readerRole := str(roles[0].(map[string]any)["id"]), str(roles[1].(map[string]any)["id"])
				g.assignAppRole(who("HR Director"), a.spID, adminRole, g.past(100, 400))
				g.assignAppRole(gr.hrPortal, a.spID, readerRole, g.past(100, 400))
			}
			return a
		},
		func(int) app { // a single-page app
			body := map[string]any{
				"displayName": g.t.name + " Expenses", "signInAudience": "AzureADMyOrg",
				"spa":                    map[string]any{"redirectUris": strList(host("expenses"), "http://localhost:3000")},
				"requiredResourceAccess": []any{g.graphAccess([]string{"User.Read", "offline_access"}, nil)},
			}
			a := g.newApp(body, g.past(300, 900), nil)
			g.link("application", a.id, "owners", who("Finance Director"), false)
			g.link("application", a.id, "owners", who("Software Engineer"), false)
			if len(emp) > 0 {
				g.grant(a.spID, g.graphSPID, emp[len(emp)/2], "User.Read offline_access")
			}
			return a
		},
		func(int) app { // a mobile (public client) app
			body := map[string]any{
				"displayName": g.t.name + " Field Service Mobile", "signInAudience": "AzureADMyOrg",
				"isFallbackPublicClient": true,
				"publicClient": map[string]any{"redirectUris": strList("msauth.com."+tenantLabel(g.t.name)+".fieldservice://auth",
					"https://login.microsoftonline.com/common/oauth2/nativeclient")},
				"requiredResourceAccess": []any{g.graphAccess([]string{"User.Read", "offline_access"}, nil)},
			}
			a := g.newApp(body, g.past(200, 800), nil)
			g.link("application", a.id, "owners", who("Operations Director"), false)
			g.grant(a.spID, g.graphSPID, "", "User.Read offline_access")
			return a
		},
		func(int) app { // an API with scopes and an application role
			body := map[string]any{
				"displayName": g.t.name + " Inventory API", "signInAudience": "AzureADMyOrg",
				"api": map[string]any{
					"requestedAccessTokenVersion": 2,
					"acceptMappedClaims":          nil,
					"knownClientApplications":     []any{},
					"preAuthorizedApplications":   []any{},
					"oauth2PermissionScopes": []any{
						map[string]any{"id": g.guid(), "value": "Inventory.Read", "type": "User", "isEnabled": true,
							"adminConsentDisplayName": "Read inventory", "adminConsentDescription": "Allows the app to read inventory on behalf of the signed-in user.",
							"userConsentDisplayName": "Read inventory", "userConsentDescription": "Allows the app to read inventory on your behalf."},
						map[string]any{"id": g.guid(), "value": "Inventory.ReadWrite", "type": "Admin", "isEnabled": true,
							"adminConsentDisplayName": "Read and write inventory", "adminConsentDescription": "Allows the app to change inventory on behalf of the signed-in user.",
							"userConsentDisplayName": nil, "userConsentDescription": nil},
					},
				},
				"appRoles": []any{appRole("Inventory.ReadWrite.All", "Read and write all inventory",
					"Allows a daemon to read and write all inventory without a signed-in user.", "Application")},
			}
			a := g.newApp(body, g.past(300, 900), nil, true)
			g.link("application", a.id, "owners", who("VP of Engineering"), false)
			api = a
			return a
		},
		func(int) app { // a web app calling the custom API
			ra := []any{g.graphAccess([]string{"User.Read"}, nil)}
			if api.appID != "" {
				scopes := asSlice(lookupPath(api.obj, "api/oauth2PermissionScopes"))
				if len(scopes) > 0 {
					ra = append(ra, map[string]any{"resourceAppId": api.appID, "resourceAccess": []any{
						map[string]any{"id": str(scopes[0].(map[string]any)["id"]), "type": "Scope"}}})
				}
			}
			body := map[string]any{
				"displayName": g.t.name + " Inventory Web", "signInAudience": "AzureADMyOrg",
				"web": map[string]any{"redirectUris": strList(host("inventory")+"/signin-oidc", "https://localhost:5001/signin-oidc"),
					"implicitGrantSettings": map[string]any{"enableIdTokenIssuance": false, "enableAccessTokenIssuance": false}},
				"requiredResourceAccess": ra,
			}
			a := g.newApp(body, g.past(200, 800), nil)
			g.link("application", a.id, "owners", who("VP of Engineering"), false)
			g.grant(a.spID, api.spID, "", "Inventory.Read")
			g.grant(a.spID, g.graphSPID, "", "User.Read")
			return a
		},
		func(int) app { // a daemon with Graph application permissions and a secret
			body := map[string]any{
				"displayName": g.t.name + " Nightly Sync", "signInAudience": "AzureADMyOrg",
				"notes":                  "Daemon: syncs users and groups to the HR system every night.",
				"requiredResourceAccess": []any{g.graphAccess(nil, []string{"User.Read.All", "Group.Read.All"})},
			}
			created := g.past(200, 700)
			a := g.newApp(body, created, nil)
			body["passwordCredentials"] = []any{g.passwordCredential("nightly-sync", created, created.AddDate(2, 0, 0))}
			g.link("application", a.id, "owners", who("Systems Administrator"), false)
			g.assignAppRole(a.spID, g.graphSPID, g.graphRole("User.Read.All"), created)
			g.assignAppRole(a.spID, g.graphSPID, g.graphRole("Group.Read.All"), created)
			if api.spID != "" {
				g.assignAppRole(a.spID, api.spID, str(asSlice(api.obj["appRoles"])[0].(map[string]any)["id"]), created)
			}
			return a
		},
		func(int) app { // the backup tool itself, read-only on the directory
			perms := []string{"Directory.Read.All", "Policy.Read.All", "Application.Read.All", "RoleManagement.Read.Directory",
				"Group.Read.All", "User.Read.All"}
			body := map[string]any{
				"displayName": "entrasnap backup", "signInAudience": "AzureADMyOrg",
				"notes":                  "Daily Entra ID configuration backup (read only).",
				"requiredResourceAccess": []any{g.graphAccess(nil, perms)},
			}
			created := g.past(30, 90)
			a := g.newApp(body, created, nil)
			body["passwordCredentials"] = []any{g.passwordCredential("ci", created, created.AddDate(0, 6, 0))}
			g.link("application", a.id, "owners", who("IT Manager"), false)
			for _, p := range perms {
				g.assignAppRole(a.spID, g.graphSPID, g.graphRole(p), created)
			}
			return a
		},
		func(int) app { // a multi-tenant app used by partners
			body := map[string]any{
				"displayName": g.t.name + " Partner Portal", "signInAudience": "AzureADMultipleOrgs",
				"web": map[string]any{"redirectUris": strList(host("partners") + "/auth/callback"), "homePageUrl": host("partners")},
				"info": map[string]any{"marketingUrl": nil, "privacyStatementUrl": host("www") + "/privacy",
					"supportUrl": host("partners") + "/support", "termsOfServiceUrl": host("www") + "/terms"},
				"requiredResourceAccess": []any{g.graphAccess([]string{"User.Read"}, nil)},
			}
			a := g.newApp(body, g.past(300, 900), nil)
			g.link("application", a.id, "owners", who("Sales Director"), false)
			if len(guests) > 0 {
				g.grant(a.spID, g.graphSPID, guests[0], "User.Read")
			}
			return a
		},
		func(int) app { // an old connector: an expired secret and a certificate
			created := g.past(1200, 1500)
			body := map[string]any{
				"displayName": g.t.name + " Legacy CRM Connector", "signInAudience": "AzureADMyOrg",
				"requiredResourceAccess": []any{g.graphAccess(nil, []string{"User.Read.All"})},
				"keyCredentials": []any{map[string]any{
					"customKeyIdentifier": fmt.Sprintf("%016X%016X%08X", g.rnd.Uint64(), g.rnd.Uint64(), g.rnd.Uint32()),
					"displayName":         "CN=crm-connector." + custom,
					"endDateTime":         graphTime(created.AddDate(3, 0, 0)),
					"key":                 nil,
					"keyId":               g.guid(),
					"startDateTime":       graphTime(created),
					"type":                "AsymmetricX509Cert",
					"usage":               "Verify",
				}},
			}
			a := g.newApp(body, created, nil)
			body["passwordCredentials"] = []any{g.passwordCredential("crm-2022", created, created.AddDate(1, 0, 0))}
			g.link("application", a.id, "owners", who("Sales Operations Analyst"), false)
			g.assignAppRole(a.spID, g.graphSPID, g.graphRole("User.Read.All"), created)
			return a
		},
		func(int) app { // an intranet everyone may use (default access)
			body := map[string]any{
				"displayName": g.t.name + " Intranet", "signInAudience": "AzureADMyOrg",
				"web":                    map[string]any{"redirectUris": strList(host("intranet") + "/.auth/login/aad/callback"), "homePageUrl": host("intranet")},
				"requiredResourceAccess": []any{g.graphAccess([]string{"openid", "profile", "email"}, nil)},
			}
			a := g.newApp(body, g.past(500, 1100), map[string]any{"appRoleAssignmentRequired": true})
			g.link("application", a.id, "owners", who("IT Manager"), false)
			g.assignAppRole(gr.allCompany, a.spID, zeroGUID, g.past(100, 500))
			return a
		},
	}
	for i := 0; i < n && g.err == nil; i++ {
		if i < len(specs) {
			out = append(out, specs[i](i))
			continue
		}
		out = append(out, g.lobApp(i-len(specs), custom, g.pick(emp)))
	}
	return out
}

// lobApp is a generated line-of-business web app (beyond the curated ones).
func (g *generator) lobApp(i int, domain, owner string) app {
	w1, w2 := teamWords[i%len(teamWords)], appWords[(i/len(teamWords))%len(appWords)]
	n := i / (len(teamWords) * len(appWords))
	name := fmt.Sprintf("%s %s %s", g.t.name, w1, w2)
	slug := strings.ToLower(w1 + "-" + w2)
	if n > 0 {
		name += " " + strconv.Itoa(n+1)
		slug += strconv.Itoa(n + 1)
	}
	body := map[string]any{
		"displayName":            name,
		"signInAudience":         "AzureADMyOrg",
		"web":                    map[string]any{"redirectUris": strList("https://" + slug + "." + domain + "/signin-oidc")},
		"requiredResourceAccess": []any{g.graphAccess([]string{"User.Read"}, nil)},
	}
	a := g.newApp(body, g.past(10, 1500), nil)
	g.link("application", a.id, "owners", owner, false)
	return a
}

// demoDirectoryRoles creates administrative units, custom roles, role
// assignments and PIM eligibilities.
func (g *generator) demoDirectoryRoles(people []*person, gr demoGroupRefs, apps []app, emergency []string) {
	byTitle := map[string]string{}
	var redmond, europe []string
	for _, p := range people {
		if p.guest {
			continue
		}
		if byTitle[p.title] == "" {
			byTitle[p.title] = p.id
		}
		switch offices[p.office].Country {
		case "United States":
			if offices[p.office].City == "Redmond" {
				redmond = append(redmond, p.id)
			}
		case "United Kingdom", "Germany", "France":
			europe = append(europe, p.id)
		}
	}
	who := func(title string) string {
		if id := byTitle[title]; id != "" {
			return id
		}
		return g.adminID
	}
	// Administrative units.
	auRedmond := g.post("administrativeUnit", map[string]any{
		"displayName": "Redmond Office", "description": "Users working at the Redmond headquarters.",
	}, nil)
	auEurope := g.post("administrativeUnit", map[string]any{
		"displayName": "Europe", "description": "Users and groups of the London, Munich and Paris offices.",
	}, nil)
	for _, id := range redmond[:min(15, len(redmond))] {
		g.link("administrativeUnit", auRedmond, "members", id, false)
	}
	for _, id := range europe[:min(15, len(europe))] {
		g.link("administrativeUnit", auEurope, "members", id, false)
	}
	g.link("administrativeUnit", auEurope, "members", gr.dept["Legal"], false)
	if au := g.record("administrativeUnit", auRedmond); au != nil {
		g.post("scopedRoleMembership", map[string]any{
			"roleId": g.s.activateRole(roleHelpdeskAdmin), "roleMemberInfo": map[string]any{"id": who("Helpdesk Technician")},
		}, au)
	}

	// Custom role definitions.
	appMgr := g.post("unifiedRoleDefinition", map[string]any{
		"displayName": g.t.name + " Application Registration Manager",
		"description": "Creates app registrations and manages their credentials and owners.",
		"isEnabled":   true,
		"rolePermissions": []any{map[string]any{"allowedResourceActions": strList(
			"microsoft.directory/applications/create",
			"microsoft.directory/applications/basic/update",
			"microsoft.directory/applications/credentials/update",
			"microsoft.directory/applications/owners/update",
			"microsoft.directory/applications/standard/read",
		)}},
	}, nil)
	tier1 := g.post("unifiedRoleDefinition", map[string]any{
		"displayName": g.t.name + " Helpdesk Tier 1",
		"description": "Resets passwords and revokes sessions of non-administrators.",
		"isEnabled":   true,
		"rolePermissions": []any{map[string]any{"allowedResourceActions": strList(
			"microsoft.directory/users/password/update",
			"microsoft.directory/users/invalidateAllRefreshTokens",
			"microsoft.directory/users/basic/update",
			"microsoft.directory/users/standard/read",
		)}},
	}, nil)

	// Role assignments (the first admin's Global Administrator exists).
	for _, id := range emergency {
		g.assignRole(builtin.GlobalAdministratorRoleID, id, "/")
	}
	g.assignRole(roleHelpdeskAdmin, gr.helpdesk, "/")
	g.assignRole(roleSecurityReader, gr.secops, "/")
	g.assignRole(roleUserAdmin, who("IT Manager"), "/")
	g.assignRole(roleAppAdmin, who("Systems Administrator"), "/")
	g.assignRole(roleCAAdmin, who("Security Analyst"), "/")
	g.assignRole(appMgr, who("VP of Engineering"), "/")
	g.assignRole(tier1, who("Helpdesk Technician"), "/")
	for _, a := range apps {
		if a.name == g.t.name+" Nightly Sync" {
			g.assignRole(builtin.DirectoryReadersRoleID, a.spID, "/")
		}
	}
	if auEurope != "" && len(europe) > 0 {
		g.assignRole(roleUserAdmin, europe[0], "/administrativeUnits/"+auEurope)
	}

	// PIM: eligible assignments, made through schedule requests.
	eligible := []struct {
		role, principal, justification string
		expires                        int // days; 0 = never
	}{
		{builtin.GlobalAdministratorRoleID, who("IT Manager"), "Break-fix access for the IT manager.", 0},
		{roleSecurityAdmin, gr.secops, "Security operations on call.", 0},
		{roleExchangeAdmin, who("Systems Administrator"), "Mailbox migration project.", 180},
	}
	for _, e := range eligible {
		if e.principal == "" {
			continue
		}
		start := g.past(10, 60)
		exp := map[string]any{"type": "noExpiration", "endDateTime": nil, "duration": nil}
		if e.expires > 0 {
			exp = map[string]any{"type": "afterDateTime", "endDateTime": graphTime(start.AddDate(0, 0, e.expires)), "duration": nil}
		}
		req := map[string]any{
			"action":           "adminAssign",
			"justification":    e.justification,
			"principalId":      e.principal,
			"roleDefinitionId": e.role,
			"directoryScopeId": "/",
			"scheduleInfo":     map[string]any{"startDateTime": graphTime(start), "expiration": exp},
		}
		if g.post("unifiedRoleEligibilityScheduleRequest", req, nil) == "" {
			continue
		}
		// Made when the eligibility starts: the request and the schedule
		// the hook created with it.
		req["createdDateTime"], req["completedDateTime"] = graphTime(start), graphTime(start)
		if sched := g.record("unifiedRoleEligibilitySchedule", str(req["targetScheduleId"])); sched != nil {
			sched.o()["createdDateTime"] = graphTime(start)
		}
	}
}

// demoPolicies creates the cross-tenant partners, token lifetime and claims
// mapping policies and the Group.Unified settings.
func (g *generator) demoPolicies(people []*person, gr demoGroupRefs, apps []app, custom string) {
	allUsers := map[string]any{"accessType": "allowed", "targets": []any{map[string]any{"target": "AllUsers", "targetType": "user"}}}
	allApps := map[string]any{"accessType": "allowed", "targets": []any{map[string]any{"target": "AllApplications", "targetType": "application"}}}
	g.post("crossTenantAccessPolicyConfigurationPartner", map[string]any{
		"tenantId": g.guid(),
		"inboundTrust": map[string]any{"isMfaAccepted": true, "isCompliantDeviceAccepted": true,
			"isHybridAzureADJoinedDeviceAccepted": false},
		"b2bCollaborationInbound":      map[string]any{"usersAndGroups": allUsers, "applications": allApps},
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": true, "outboundAllowed": false},
	}, nil)
	g.post("crossTenantAccessPolicyConfigurationPartner", map[string]any{
		"tenantId": g.guid(),
		"inboundTrust": map[string]any{"isMfaAccepted": true, "isCompliantDeviceAccepted": false,
			"isHybridAzureADJoinedDeviceAccepted": false},
		"b2bDirectConnectOutbound":     map[string]any{"usersAndGroups": allUsers, "applications": allApps},
		"b2bDirectConnectInbound":      map[string]any{"usersAndGroups": allUsers, "applications": allApps},
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": false, "outboundAllowed": false},
	}, nil)
	g.post("tokenLifetimePolicy", map[string]any{
		"displayName":           g.t.name + " 8-hour access tokens",
		"definition":            strList(`{"TokenLifetimePolicy":{"Version":1,"AccessTokenLifetime":"08:00:00"}}`),
		"isOrganizationDefault": false,
	}, nil)
	g.post("claimsMappingPolicy", map[string]any{
		"displayName": g.t.name + " HR Portal employee id claim",
		"definition": strList(`{"ClaimsMappingPolicy":{"Version":1,"IncludeBasicClaimSet":"true","ClaimsSchema":[` +
			`{"Source":"user","ID":"employeeid","SamlClaimType":"http://schemas.` + custom + `/claims/employeeid","JwtClaimType":"employeeid"}]}}`),
		"isOrganizationDefault": false,
	}, nil)
	g.post("groupSetting", map[string]any{
		"templateId": builtin.GroupUnifiedSettingsTmplID,
		"values": []any{
			map[string]any{"name": "EnableGroupCreation", "value": "false"},
			map[string]any{"name": "GroupCreationAllowedGroupId", "value": gr.dept["IT"]},
			map[string]any{"name": "UsageGuidelinesUrl", "value": "https://intranet." + custom + "/groups-policy"},
			map[string]any{"name": "ClassificationList", "value": "Public,Internal,Confidential"},
			map[string]any{"name": "DefaultClassification", "value": "Internal"},
			map[string]any{"name": "AllowGuestsToAccessGroups", "value": "true"},
		},
	}, nil)
}

// ---- large ----

// large generates a tenant at scale for benchmarks: users spread over
// departments and offices, security and Microsoft 365 groups with random
// members (some nested, a few dynamic), line-of-business apps with service
// principals and Graph permissions, and Conditional Access policies.
func (g *generator) large(sz Sizes) {
	g.strict = false
	t := g.t
	refs, emergency := g.support()
	nUsers := sz.Users - 1 - len(emergency)
	g.reserve("user", nUsers)
	g.reserve("group", sz.Groups)

	deptW := make([]int, len(departments))
	for i, d := range departments {
		deptW[i] = d.Weight
	}
	offW := make([]int, len(offices))
	for i, o := range offices {
		offW[i] = o.Weight
	}
	users := make([]string, 0, nUsers)
	// byDeptOffice[d][o]: users of department d at office o, for dynamic groups.
	byDeptOffice := make([][][]string, len(departments))
	for d := range byDeptOffice {
		byDeptOffice[d] = make([][]string, len(offices))
	}
	// Users and security groups are packed directly (generate_fast.go):
	// the values below, in fastUser's and fastGroup's key order.
	fastUser := g.newFastMaker("user", "createdDateTime", "displayName", "givenName", "surname", "userPrincipalName",
		"mailNickname", "mail", "department", "jobTitle", "officeLocation", "city", "country", "usageLocation", "employeeId")
	uvals := make([]string, len(fastDrawn)+14)
	for i := 0; i < nUsers && g.err == nil; i++ {
		d, o := g.weighted(deptW), g.weighted(offW)
		dep, off := departments[d], offices[o]
		given, surname := g.pick(givenNames), g.pick(surnames)
		nk := strings.ToLower(given+"."+surname) + strconv.Itoa(i+1)
		hired := g.past(1, 8*365)
		enabled := g.rnd.IntN(50) != 0
		upn := nk + "@" + t.domain
		uvals = append(uvals[:len(fastDrawn)], graphTime(hired), given+" "+surname, given, surname, upn,
			nk, upn, dep.Name, dep.Titles[g.rnd.IntN(len(dep.Titles))], off.Location, off.City, off.Country, off.Usage, strconv.Itoa(1000001+i))
		variant := 0
		if enabled {
			variant = 1
		}
		id := fastUser.make(variant, uvals, func() string {
			v := uvals[len(fastDrawn):]
			id := g.postAt("user", map[string]any{
				"accountEnabled":    enabled,
				"displayName":       v[1],
				"givenName":         v[2],
				"surname":           v[3],
				"userPrincipalName": v[4],
				"mailNickname":      v[5],
				"mail":              v[6],
				"department":        v[7],
				"jobTitle":          v[8],
				"officeLocation":    v[9],
				"city":              v[10],
				"country":           v[11],
				"usageLocation":     v[12],
				"employeeId":        v[13],
				"passwordProfile":   map[string]any{"password": "unused"},
			}, hired)
			g.pack("user", id)
			return id
		})
		users = append(users, id)
		byDeptOffice[d][o] = append(byDeptOffice[d][o], id)
		g.trimLog()
	}

	var security []string // non-Microsoft 365 groups so far, for nesting
	mpg := sz.MembersPerGroup
	fastGroup := g.newFastMaker("group", "createdDateTime", "renewedDateTime", "displayName", "mailNickname")
	gvals := make([]string, len(fastDrawn)+4)
	for i := 0; i < sz.Groups-1 && g.err == nil; i++ {
		w := teamWords[i%len(teamWords)]
		d := departments[(i/len(teamWords))%len(departments)]
		name := d.Name + " " + w + " " + strconv.Itoa(i+1)
		nick := "grp-" + d.Nick + "-" + strings.ToLower(w) + "-" + strconv.Itoa(i+1)
		body := func() map[string]any {
			return map[string]any{
				"displayName":     name,
				"mailNickname":    nick,
				"mailEnabled":     false,
				"securityEnabled": true,
				"groupTypes":      []any{},
			}
		}
		var id string
		var dynOffice = -1
		switch {
		case i%200 == 7:
			dynOffice = g.rnd.IntN(len(offices))
			b := body()
			b["groupTypes"] = strList("DynamicMembership")
			b["membershipRule"] = fmt.Sprintf(`(user.department -eq "%s") -and (user.city -eq "%s")`, d.Name, offices[dynOffice].City)
			id = g.postAt("group", b, g.past(1, 5*365))
		case i%7 == 3:
			b := body()
			b["mailEnabled"], b["securityEnabled"] = true, false
			b["groupTypes"] = strList("Unified")
			b["visibility"] = "Private"
			id = g.postAt("group", b, g.past(1, 5*365))
		default: // a security group: packed directly
			created := g.past(1, 5*365)
			ts := graphTime(created)
			gvals = append(gvals[:len(fastDrawn)], ts, ts, name, nick)
			id = fastGroup.make(0, gvals, func() string {
				id := g.postAt("group", body(), created)
				g.pack("group", id)
				return id
			})
		}
		if id == "" {
			break
		}
		g.pack("group", id)
		unified := i%7 == 3 && dynOffice < 0
		if dynOffice >= 0 {
			for _, m := range byDeptOffice[(i/len(teamWords))%len(departments)][dynOffice] {
				g.link("group", id, "members", m, true)
			}
			continue
		}
		k := 1 + g.rnd.IntN(2*mpg-1)
		members := g.sample(users, k)
		for _, m := range members {
			g.link("group", id, "members", m, false)
		}
		if !unified && len(security) > 10 && g.rnd.IntN(10) == 0 {
			for _, sub := range g.sample(security, 1+g.rnd.IntN(3)) {
				g.link("group", id, "members", sub, false)
			}
		}
		if unified || g.rnd.IntN(3) == 0 {
			if len(members) > 0 {
				g.link("group", id, "owners", members[0], false)
			}
		}
		if !unified {
			security = append(security, id)
		}
		g.trimLog()
	}

	g.reserve("application", sz.Apps)
	g.reserve("servicePrincipal", sz.Apps)
	var lob []app
	for i := 0; i < sz.Apps && g.err == nil; i++ {
		a := g.lobApp(i, t.domain, g.pick(users))
		if i%10 == 0 {
			g.assignAppRole(a.spID, g.graphSPID, g.graphRole("User.Read.All"), g.past(1, 365))
		}
		lob = append(lob, a)
	}
	g.largePolicyAssignments(lob) // assign.go
	if len(security) == 0 {
		security = []string{refs.breakGlass}
	}
	base := refs
	g.caPolicies(sz.CAPolicies, func(i int) caRefs {
		r := base
		r.pilot, r.finance, r.helpdesk = g.pick(security), g.pick(security), g.pick(security)
		return r
	})
	g.largeAppHeld()                   // generate_appheld.go (last: earlier objects keep their ids)
	g.largeCoverage(users, security)   // generate_large13.go (derived ids: earlier objects keep theirs)
	g.largeCoverage14(users, security) // generate_large14.go (derived ids: earlier objects keep theirs)
	g.largeExternal(users, security)   // generate_large_ext.go (derived ids: earlier objects keep theirs)
	if g.err == nil {
		g.demoCustomSecurity() // customsec.go (caller's ids only)
		g.demoCSAValues(40)    // user_csa.go: one member in 40 (no id drawn)
	}
	// Pack again the users and groups the steps after their creation
	// changed (per-user MFA states, attribute values: those stay maps).
	if g.pk != nil {
		for _, kind := range []string{"user", "group"} {
			for _, r := range t.colls[kind].order {
				if !r.gone {
					g.pk.pack(r)
				}
			}
		}
	}
}
