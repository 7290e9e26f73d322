package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"go/format"
	"io"
	"sort"
	"strconv"
	"strings"
)

// graphNS is the namespace whose type names are emitted unqualified.
const graphNS = "microsoft.graph"

// DefaultRoots are the types graphsim serves. Every complex, entity and enum
// type reachable from their structural properties is emitted too.
var DefaultRoots = []string{
	"user", "group", "directoryRole", "unifiedRoleAssignmentScheduleInstance", "unifiedRoleAssignmentScheduleRequest", "application", "servicePrincipal", "appRoleAssignment",
	"oAuth2PermissionGrant", "conditionalAccessPolicy", "namedLocation",
	"ipNamedLocation", "countryNamedLocation", "authenticationStrengthPolicy",
	"authenticationMethodsPolicy", "authenticationMethodConfiguration",
	"fido2AuthenticationMethodConfiguration",
	"microsoftAuthenticatorAuthenticationMethodConfiguration",
	"smsAuthenticationMethodConfiguration",
	"temporaryAccessPassAuthenticationMethodConfiguration",
	"softwareOathAuthenticationMethodConfiguration",
	"voiceAuthenticationMethodConfiguration",
	"emailAuthenticationMethodConfiguration",
	"x509CertificateAuthenticationMethodConfiguration",
	"administrativeUnit", "scopedRoleMembership", "unifiedRoleDefinition",
	"unifiedRoleAssignment", "unifiedRoleEligibilitySchedule",
	"unifiedRoleEligibilityScheduleRequest", "authorizationPolicy",
	"identitySecurityDefaultsEnforcementPolicy", "crossTenantAccessPolicy",
	"crossTenantAccessPolicyConfigurationDefault",
	"crossTenantAccessPolicyConfigurationPartner", "tokenLifetimePolicy",
	"claimsMappingPolicy", "groupSetting", "groupSettingTemplate",
	"organization", "domain", "directoryObject",
	"device", "orgContact", "invitation", // guests.go
	"authenticationContextClassReference",                                           // authcontext.go
	"tokenIssuancePolicy", "homeRealmDiscoveryPolicy", "activityBasedTimeoutPolicy", // policies.go
	"permissionGrantPolicy", "permissionGrantConditionSet", "adminConsentRequestPolicy",
	"appManagementPolicy", "tenantAppManagementPolicy", "authenticationFlowsPolicy",
	"deviceRegistrationPolicy", "groupLifecyclePolicy",
	"attributeSet", "customSecurityAttributeDefinition", "allowedValue", // customsec.go
	"identityProviderBase",                                                                                    // identityproviders.go (and its derived types)
	"subscribedSku",                                                                                           // licences.go
	"unifiedRoleManagementPolicy", "unifiedRoleManagementPolicyAssignment", "unifiedRoleManagementPolicyRule", // pim.go
	"unifiedRoleAssignmentSchedule", // pim.go
	// governance.go
	"accessPackageCatalog", "accessPackage", "accessPackageAssignmentPolicy",
	"connectedOrganization", "entitlementManagementSettings", "accessReviewScheduleDefinition",
	"identityUserFlowAttribute", "identityApiConnector", "customAuthenticationExtension", // external.go
	"b2xIdentityUserFlow", "identityUserFlowAttributeAssignment",
	"organizationalBrandingLocalization",                                                  // branding.go
	"certificateBasedAuthConfiguration",                                                   // cba.go
	"privilegedAccessGroupEligibilitySchedule", "privilegedAccessGroupAssignmentSchedule", // pimgroups.go
	"privilegedAccessGroupEligibilityScheduleRequest", "privilegedAccessGroupAssignmentScheduleRequest",
	"organizationalBrandingLocalization",     // branding.go
	"agreement", "agreementFileLocalization", // termsofuse.go
	"certificateBasedAuthConfiguration", // cba.go
	// lcw.go: lifecycle workflows
	"microsoft.graph.identityGovernance.workflow", "microsoft.graph.identityGovernance.task",
	"microsoft.graph.identityGovernance.customTaskExtension", "microsoft.graph.identityGovernance.lifecycleManagementSettings",
	"featureRolloutPolicy",               // rollout.go
	"onPremisesDirectorySynchronization", // onpremsync.go
}

// NoDerived are roots whose derived entity types are NOT pulled in
// (directoryObject has hundreds). For every other root, all entity types
// derived from it (transitively) become roots too, so POSTs naming a derived
// @odata.type (e.g. another authenticationMethodConfiguration) can be checked.
var NoDerived = []string{"directoryObject"}

// Options configure Generate.
type Options struct {
	Package    string   // Go package name of the output
	SourceName string   // file name recorded in the header comment
	Roots      []string // root type names, unqualified (microsoft.graph) or qualified
	NoDerived  []string // roots whose derived entity types are not included
}

// ---- CSDL XML model ----

type edmxDoc struct {
	DataServices struct {
		Schemas []xmlSchema `xml:"Schema"`
	} `xml:"DataServices"`
}

type xmlSchema struct {
	Namespace    string          `xml:"Namespace,attr"`
	Alias        string          `xml:"Alias,attr"`
	EntityTypes  []xmlStructured `xml:"EntityType"`
	ComplexTypes []xmlStructured `xml:"ComplexType"`
	EnumTypes    []xmlEnum       `xml:"EnumType"`
}

type xmlStructured struct {
	Name     string    `xml:"Name,attr"`
	BaseType string    `xml:"BaseType,attr"`
	Abstract string    `xml:"Abstract,attr"`
	OpenType string    `xml:"OpenType,attr"`
	Props    []xmlProp `xml:"Property"`
	Navs     []xmlNav  `xml:"NavigationProperty"`
}

type xmlProp struct {
	Name     string `xml:"Name,attr"`
	Type     string `xml:"Type,attr"`
	Nullable string `xml:"Nullable,attr"`
}

type xmlNav struct {
	Name           string `xml:"Name,attr"`
	Type           string `xml:"Type,attr"`
	ContainsTarget string `xml:"ContainsTarget,attr"`
}

type xmlEnum struct {
	Name    string `xml:"Name,attr"`
	IsFlags string `xml:"IsFlags,attr"`
	Members []struct {
		Name string `xml:"Name,attr"`
	} `xml:"Member"`
}

// ---- resolved model ----

type prop struct {
	Name, Type string // Type fully qualified: "Edm.String", "Collection(microsoft.graph.ipRange)"
	Nullable   bool
}

type nav struct {
	Name, Type     string
	ContainsTarget bool
}

type typeDef struct {
	QName    string // "microsoft.graph.user"
	Kind     string // entity, complex, enum
	Base     string // qualified, "" for none
	Abstract bool
	Open     bool
	IsFlags  bool
	Members  []string
	Props    []prop
	Navs     []nav
}

// Model is a parsed CSDL document.
type Model struct {
	Types   map[string]*typeDef // by qualified name
	derived map[string][]string // qualified base -> direct derived, sorted
}

func parseBool(s string, def bool) bool {
	if s == "" {
		return def
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return def
	}
	return b
}

// Parse reads a CSDL document and resolves aliases.
func Parse(r io.Reader) (*Model, error) {
	var doc edmxDoc
	dec := xml.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse CSDL: %w", err)
	}
	if len(doc.DataServices.Schemas) == 0 {
		return nil, fmt.Errorf("parse CSDL: no Schema elements")
	}
	aliases := map[string]string{}
	for _, s := range doc.DataServices.Schemas {
		if s.Alias != "" {
			aliases[s.Alias] = s.Namespace
		}
	}
	// qualify turns "graph.user" into "microsoft.graph.user"; it keeps
	// Collection(...) wrappers and Edm names.
	qualify := func(t string) string {
		if strings.HasPrefix(t, "Collection(") && strings.HasSuffix(t, ")") {
			return "Collection(" + qualifyOne(aliases, t[len("Collection("):len(t)-1]) + ")"
		}
		return qualifyOne(aliases, t)
	}
	m := &Model{Types: map[string]*typeDef{}, derived: map[string][]string{}}
	add := func(t *typeDef) error {
		if _, dup := m.Types[t.QName]; dup {
			return fmt.Errorf("parse CSDL: duplicate type %s", t.QName)
		}
		m.Types[t.QName] = t
		return nil
	}
	for _, s := range doc.DataServices.Schemas {
		for _, group := range []struct {
			kind string
			list []xmlStructured
		}{{"entity", s.EntityTypes}, {"complex", s.ComplexTypes}} {
			kind := group.kind
			for _, x := range group.list {
				t := &typeDef{
					QName:    s.Namespace + "." + x.Name,
					Kind:     kind,
					Abstract: parseBool(x.Abstract, false),
					Open:     parseBool(x.OpenType, false),
				}
				if x.BaseType != "" {
					t.Base = qualify(x.BaseType)
				}
				for _, p := range x.Props {
					t.Props = append(t.Props, prop{Name: p.Name, Type: qualify(p.Type), Nullable: parseBool(p.Nullable, true)})
				}
				for _, n := range x.Navs {
					t.Navs = append(t.Navs, nav{Name: n.Name, Type: qualify(n.Type), ContainsTarget: parseBool(n.ContainsTarget, false)})
				}
				if err := add(t); err != nil {
					return nil, err
				}
			}
		}
		for _, x := range s.EnumTypes {
			t := &typeDef{QName: s.Namespace + "." + x.Name, Kind: "enum", IsFlags: parseBool(x.IsFlags, false)}
			for _, mb := range x.Members {
				t.Members = append(t.Members, mb.Name)
			}
			if err := add(t); err != nil {
				return nil, err
			}
		}
	}
	for _, t := range m.Types {
		if t.Base != "" {
			m.derived[t.Base] = append(m.derived[t.Base], t.QName)
		}
	}
	for k := range m.derived {
		sort.Strings(m.derived[k])
	}
	return m, nil
}

func qualifyOne(aliases map[string]string, t string) string {
	if strings.HasPrefix(t, "Edm.") {
		return t
	}
	if i := strings.LastIndexByte(t, '.'); i > 0 {
		if ns, ok := aliases[t[:i]]; ok {
			return ns + "." + t[i+1:]
		}
	}
	return t
}

func qualifyName(n string) string {
	n = strings.TrimPrefix(n, "#")
	if strings.Contains(n, ".") {
		return n
	}
	return graphNS + "." + n
}

func shortName(q string) string {
	if rest, ok := strings.CutPrefix(q, graphNS+"."); ok && !strings.Contains(rest, ".") {
		return rest
	}
	return q
}

func elemType(t string) string {
	if strings.HasPrefix(t, "Collection(") && strings.HasSuffix(t, ")") {
		return t[len("Collection(") : len(t)-1]
	}
	return t
}

// Closure computes the emitted type set: the roots (plus derived entity types
// of roots not in noDerived), their base chains, and every type reachable from
// structural properties, with all derived types of referenced complex types.
// It returns the qualified names found, sorted, and the roots not found.
func (m *Model) Closure(roots, noDerived []string) (types []string, missing []string) {
	skipDerived := map[string]bool{}
	for _, r := range noDerived {
		skipDerived[qualifyName(r)] = true
	}
	included := map[string]bool{}
	expanded := map[string]bool{} // derived types already pulled in
	var queue []string
	include := func(q string) {
		if _, ok := m.Types[q]; ok && !included[q] {
			included[q] = true
			queue = append(queue, q)
		}
	}
	// expand includes q and all types derived from it, transitively.
	var expand func(q string)
	expand = func(q string) {
		if expanded[q] {
			return
		}
		expanded[q] = true
		include(q)
		for _, d := range m.derived[q] {
			expand(d)
		}
	}
	for _, r := range roots {
		q := qualifyName(r)
		if _, ok := m.Types[q]; !ok {
			missing = append(missing, r)
			continue
		}
		if skipDerived[q] {
			include(q)
		} else {
			expand(q)
		}
	}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		t := m.Types[q]
		if t.Base != "" {
			include(t.Base) // base chain only; its siblings are not needed
		}
		for _, p := range t.Props {
			et := elemType(p.Type)
			if strings.HasPrefix(et, "Edm.") {
				continue
			}
			if rt, ok := m.Types[et]; ok && rt.Kind == "complex" {
				expand(et) // polymorphic values: any derived complex type may appear
			} else {
				include(et)
			}
		}
	}
	for q := range included {
		types = append(types, q)
	}
	sort.Strings(types)
	return types, missing
}

// Generate parses a CSDL document and returns the gofmt'ed Go source of the
// generated type table, and the requested roots absent from the CSDL.
func Generate(csdl []byte, opt Options) (src []byte, missing []string, err error) {
	m, err := Parse(bytes.NewReader(csdl))
	if err != nil {
		return nil, nil, err
	}
	if opt.Package == "" {
		opt.Package = "csdl"
	}
	types, missing := m.Closure(opt.Roots, opt.NoDerived)

	var found []string
	for _, r := range opt.Roots {
		if _, ok := m.Types[qualifyName(r)]; ok {
			found = append(found, shortName(qualifyName(r)))
		}
	}
	sum := sha256.Sum256(csdl)

	var b bytes.Buffer
	srcName := opt.SourceName
	if srcName == "" {
		srcName = "CSDL"
	}
	fmt.Fprintf(&b, "// Code generated by graphsim/csdl/internal/gen from %s (sha256 %s); DO NOT EDIT.\n\n", srcName, hex.EncodeToString(sum[:8]))
	fmt.Fprintf(&b, "package %s\n\n", opt.Package)
	fmt.Fprintf(&b, "// genSource identifies the CSDL the table was generated from.\nconst genSource = %q\n\n", srcName+" sha256:"+hex.EncodeToString(sum[:]))
	fmt.Fprintf(&b, "// genRoots are the requested root types found in the CSDL.\nvar genRoots = %s\n\n", strList(found))
	fmt.Fprintf(&b, "// genMissing are the requested root types absent from the CSDL.\nvar genMissing = %s\n\n", strList(missing))
	b.WriteString("// genTypes is every emitted type, sorted by qualified name.\nvar genTypes = []*Type{\n")
	for _, q := range types {
		t := m.Types[q]
		fmt.Fprintf(&b, "{Name: %q, Kind: %q", shortName(t.QName), t.Kind)
		if t.Base != "" {
			fmt.Fprintf(&b, ", BaseType: %q", shortName(t.Base))
		}
		if t.Abstract {
			b.WriteString(", Abstract: true")
		}
		if t.Open {
			b.WriteString(", Open: true")
		}
		if t.IsFlags {
			b.WriteString(", IsFlags: true")
		}
		if len(t.Members) > 0 {
			fmt.Fprintf(&b, ", Members: %s", strList(t.Members))
		}
		if len(t.Props) > 0 {
			b.WriteString(", props: []Property{\n")
			for _, p := range t.Props {
				fmt.Fprintf(&b, "{%q, %q, %t, %t},\n", p.Name, p.Type, p.Nullable, strings.HasPrefix(p.Type, "Collection("))
			}
			b.WriteString("}")
		}
		if len(t.Navs) > 0 {
			b.WriteString(", navs: []Navigation{\n")
			for _, n := range t.Navs {
				fmt.Fprintf(&b, "{%q, %q, %t, %t},\n", n.Name, n.Type, n.ContainsTarget, strings.HasPrefix(n.Type, "Collection("))
			}
			b.WriteString("}")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("gofmt generated source: %w", err)
	}
	return out, missing, nil
}

func strList(s []string) string {
	if len(s) == 0 {
		return "[]string(nil)"
	}
	var b strings.Builder
	b.WriteString("[]string{")
	for i, v := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(v))
	}
	b.WriteString("}")
	return b.String()
}
