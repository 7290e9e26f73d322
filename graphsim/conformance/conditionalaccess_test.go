package conformance_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// ipLocation builds an ipNamedLocation. msgraph-sdk-go's constructors of
// derived entity types do not set @odata.type, and Graph needs it to tell an
// IP from a country location, so it is set here as Graph's Go samples do.
func ipLocation(name string, cidrs ...string) models.IpNamedLocationable {
	loc := models.NewIpNamedLocation()
	loc.SetOdataType(ptr("#microsoft.graph.ipNamedLocation"))
	loc.SetDisplayName(ptr(name))
	loc.SetIsTrusted(ptr(true))
	var ranges []models.IpRangeable
	for _, c := range cidrs {
		r := models.NewIPv4CidrRange()
		r.SetCidrAddress(ptr(c))
		ranges = append(ranges, r)
	}
	loc.SetIpRanges(ranges)
	return loc
}

func caPolicy(name string, groups, locations []string) models.ConditionalAccessPolicyable {
	p := models.NewConditionalAccessPolicy()
	p.SetDisplayName(ptr(name))
	p.SetState(ptr(models.ENABLEDFORREPORTINGBUTNOTENFORCED_CONDITIONALACCESSPOLICYSTATE))
	cond := models.NewConditionalAccessConditionSet()
	users := models.NewConditionalAccessUsers()
	users.SetIncludeGroups(groups)
	cond.SetUsers(users)
	apps := models.NewConditionalAccessApplications()
	apps.SetIncludeApplications([]string{"All"})
	cond.SetApplications(apps)
	if len(locations) > 0 {
		locs := models.NewConditionalAccessLocations()
		locs.SetIncludeLocations([]string{"All"})
		locs.SetExcludeLocations(locations)
		cond.SetLocations(locs)
	}
	cond.SetClientAppTypes([]models.ConditionalAccessClientApp{models.ALL_CONDITIONALACCESSCLIENTAPP})
	p.SetConditions(cond)
	gc := models.NewConditionalAccessGrantControls()
	gc.SetOperator(ptr("OR"))
	gc.SetBuiltInControls([]models.ConditionalAccessGrantControl{models.MFA_CONDITIONALACCESSGRANTCONTROL})
	p.SetGrantControls(gc)
	return p
}

// sendRaw sends a request the generated v1.0 SDK has no builder for through
// the SDK's own adapter, parsing the answer into a typed model and errors
// into ODataError.
func sendRaw(e *env, method abstractions.HttpMethod, path string, ctor serialization.ParsableFactory) (serialization.Parsable, error) {
	ri := abstractions.NewRequestInformation()
	ri.Method = method
	ri.UrlTemplate = "{+baseurl}" + path
	ri.PathParameters = map[string]string{"baseurl": e.adapter.GetBaseUrl()}
	if strings.Contains(path, "/conditionalAccess/deletedItems") {
		// The CA recycle bin is documented for beta only (the adapter sets
		// baseurl itself, so the beta root is a parameter of its own).
		ri.UrlTemplate = "{+betaurl}" + path
		ri.PathParameters["betaurl"] = strings.Replace(e.adapter.GetBaseUrl(), "/v1.0", "/beta", 1)
	}
	ri.Headers.TryAdd("Accept", "application/json")
	errs := abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}
	if ctor == nil {
		return nil, e.adapter.SendNoContent(e.ctx, ri, errs)
	}
	return e.adapter.Send(e.ctx, ri, ctor, errs)
}

func TestConditionalAccess(t *testing.T) {
	// A Graph whose CA recycle bin takes app-only tokens (graphsim's are).
	e := newEnvOpts(t, graphsim.Options{Seed: 1, Profile: "empty", CARecycleBinAppOnly: true})
	ca := e.client.Identity().ConditionalAccess()
	gid := deref(e.createGroup("ca-pilot").GetId())

	created, err := ca.NamedLocations().Post(e.ctx, ipLocation("Head office", "203.0.113.0/24", "198.51.100.0/24"), nil)
	must(t, "create ipNamedLocation", err)
	locID := deref(created.GetId())
	if _, ok := created.(models.IpNamedLocationable); !ok || locID == "" {
		t.Fatalf("create answer parsed as %T id %q, want IpNamedLocationable", created, locID)
	}
	country := models.NewCountryNamedLocation()
	country.SetOdataType(ptr("#microsoft.graph.countryNamedLocation"))
	country.SetDisplayName(ptr("Blocked countries"))
	country.SetCountriesAndRegions([]string{"KP", "IR"})
	country.SetIncludeUnknownCountriesAndRegions(ptr(false))
	_, err = ca.NamedLocations().Post(e.ctx, country, nil)
	must(t, "create countryNamedLocation", err)

	t.Run("named location polymorphism", func(t *testing.T) {
		got, err := ca.NamedLocations().ByNamedLocationId(locID).Get(e.ctx, nil)
		must(t, "get named location", err)
		ip, ok := got.(models.IpNamedLocationable)
		if !ok {
			t.Fatalf("named location parsed as %T (@odata.type %q), want IpNamedLocationable", got, deref(got.GetOdataType()))
		}
		if !deref(ip.GetIsTrusted()) || deref(ip.GetDisplayName()) != "Head office" {
			t.Errorf("ip location isTrusted %v displayName %q", deref(ip.GetIsTrusted()), deref(ip.GetDisplayName()))
		}
		var cidrs []string
		for _, r := range ip.GetIpRanges() {
			v4, ok := r.(models.IPv4CidrRangeable)
			if !ok {
				t.Errorf("ip range parsed as %T, want IPv4CidrRangeable", r)
				continue
			}
			cidrs = append(cidrs, deref(v4.GetCidrAddress()))
		}
		if !slices.Equal(cidrs, []string{"203.0.113.0/24", "198.51.100.0/24"}) {
			t.Errorf("ip ranges = %v", cidrs)
		}
		if ip.GetCreatedDateTime() == nil || ip.GetModifiedDateTime() == nil {
			t.Errorf("named location createdDateTime %v modifiedDateTime %v", ip.GetCreatedDateTime(), ip.GetModifiedDateTime())
		}
		all, err := ca.NamedLocations().Get(e.ctx, nil)
		must(t, "list named locations", err)
		var kinds []string
		for _, l := range all.GetValue() {
			switch l.(type) {
			case models.IpNamedLocationable:
				kinds = append(kinds, "ip")
			case models.CountryNamedLocationable:
				kinds = append(kinds, "country")
			default:
				kinds = append(kinds, "base")
			}
		}
		if !slices.Equal(kinds, []string{"ip", "country"}) {
			t.Errorf("named location list parsed as %v, want [ip country]", kinds)
		}
		_, err = ca.NamedLocations().Post(e.ctx, ipLocation("No ranges"), nil)
		requireODataError(t, err, http.StatusBadRequest, "BadRequest")
		untyped := ipLocation("Untyped", "192.0.2.0/24")
		untyped.SetOdataType(nil)
		_, err = ca.NamedLocations().Post(e.ctx, untyped, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")

		patch := models.NewIpNamedLocation()
		patch.SetOdataType(ptr("#microsoft.graph.ipNamedLocation"))
		patch.SetDisplayName(ptr("Head office (HQ)"))
		r := models.NewIPv4CidrRange()
		r.SetCidrAddress(ptr("203.0.113.0/25"))
		patch.SetIpRanges([]models.IpRangeable{r})
		_, err = ca.NamedLocations().ByNamedLocationId(locID).Patch(e.ctx, patch, nil)
		must(t, "patch ipNamedLocation", err)
		got, err = ca.NamedLocations().ByNamedLocationId(locID).Get(e.ctx, nil)
		must(t, "get patched named location", err)
		ip, ok = got.(models.IpNamedLocationable)
		if !ok || deref(ip.GetDisplayName()) != "Head office (HQ)" || len(ip.GetIpRanges()) != 1 || !deref(ip.GetIsTrusted()) {
			t.Errorf("after patch: %T displayName %q, %d ranges, isTrusted kept %v", got, deref(got.GetDisplayName()), len(ip.GetIpRanges()), deref(ip.GetIsTrusted()))
		}
	})

	pol, err := ca.Policies().Post(e.ctx, caPolicy("Require MFA for pilot", []string{gid}, []string{locID}), nil)
	must(t, "create CA policy", err)
	polID := deref(pol.GetId())

	t.Run("policy parsed", func(t *testing.T) {
		if polID == "" || pol.GetCreatedDateTime() == nil {
			t.Fatalf("policy id %q createdDateTime %v", polID, pol.GetCreatedDateTime())
		}
		if *pol.GetState() != models.ENABLEDFORREPORTINGBUTNOTENFORCED_CONDITIONALACCESSPOLICYSTATE {
			t.Errorf("state = %v", pol.GetState().String())
		}
		c := pol.GetConditions()
		if c == nil || c.GetUsers() == nil || !slices.Equal(c.GetUsers().GetIncludeGroups(), []string{gid}) {
			t.Fatalf("conditions.users.includeGroups did not round-trip")
		}
		if !slices.Equal(c.GetLocations().GetExcludeLocations(), []string{locID}) {
			t.Errorf("excludeLocations = %v", c.GetLocations().GetExcludeLocations())
		}
		if got := c.GetClientAppTypes(); len(got) != 1 || got[0] != models.ALL_CONDITIONALACCESSCLIENTAPP {
			t.Errorf("clientAppTypes = %v", got)
		}
		if got := pol.GetGrantControls().GetBuiltInControls(); len(got) != 1 || got[0] != models.MFA_CONDITIONALACCESSGRANTCONTROL {
			t.Errorf("builtInControls = %v", got)
		}
	})

	t.Run("missing references", func(t *testing.T) {
		_, err := ca.Policies().Post(e.ctx, caPolicy("Bad group", []string{"6f1e0d2c-0000-4000-8000-000000000000"}, nil), nil)
		requireODataError(t, err, http.StatusBadRequest, "BadRequest")
		_, err = ca.Policies().Post(e.ctx, caPolicy("Bad location", []string{gid}, []string{"0a1b2c3d-0000-4000-8000-000000000000"}), nil)
		requireODataError(t, err, http.StatusBadRequest, "BadRequest")
		err = ca.NamedLocations().ByNamedLocationId(locID).Delete(e.ctx, nil)
		requireODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	})

	t.Run("list, update, get", func(t *testing.T) {
		list, err := ca.Policies().Get(e.ctx, nil)
		must(t, "list CA policies", err)
		if ids := idsOf(list.GetValue()); !slices.Equal(ids, []string{polID}) {
			t.Errorf("CA policies = %v, want [%s]", ids, polID)
		}
		patch := models.NewConditionalAccessPolicy()
		patch.SetState(ptr(models.DISABLED_CONDITIONALACCESSPOLICYSTATE))
		_, err = ca.Policies().ByConditionalAccessPolicyId(polID).Patch(e.ctx, patch, nil)
		must(t, "patch CA policy", err)
		got, err := ca.Policies().ByConditionalAccessPolicyId(polID).Get(e.ctx, nil)
		must(t, "get CA policy", err)
		if *got.GetState() != models.DISABLED_CONDITIONALACCESSPOLICYSTATE || got.GetModifiedDateTime() == nil {
			t.Errorf("after patch state %s modifiedDateTime %v", got.GetState().String(), got.GetModifiedDateTime())
		}
		if deref(got.GetDisplayName()) != "Require MFA for pilot" || got.GetConditions().GetUsers() == nil {
			t.Errorf("patch of state dropped other properties")
		}
		bad := models.NewConditionalAccessPolicy()
		users := models.NewConditionalAccessUsers()
		users.SetIncludeGroups([]string{"6f1e0d2c-0000-4000-8000-000000000000"})
		cond := models.NewConditionalAccessConditionSet()
		cond.SetUsers(users)
		bad.SetConditions(cond)
		_, err = ca.Policies().ByConditionalAccessPolicyId(polID).Patch(e.ctx, bad, nil)
		requireODataError(t, err, http.StatusBadRequest, "BadRequest")
	})

	t.Run("delete and restore from the CA recycle bin", func(t *testing.T) {
		// msgraph-sdk-go v1.89 generates no builder for
		// /identity/conditionalAccess/deletedItems (the v1.0 CSDL has it; the
		// docs have it in beta only), so these calls go through the SDK's
		// adapter with its typed parsers, under /beta.
		must(t, "delete CA policy", ca.Policies().ByConditionalAccessPolicyId(polID).Delete(e.ctx, nil))
		_, err := ca.Policies().ByConditionalAccessPolicyId(polID).Get(e.ctx, nil)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
		got, err := sendRaw(e, abstractions.GET, "/identity/conditionalAccess/deletedItems/policies", models.CreateConditionalAccessPolicyCollectionResponseFromDiscriminatorValue)
		must(t, "list deleted CA policies", err)
		del := got.(models.ConditionalAccessPolicyCollectionResponseable).GetValue()
		if ids := idsOf(del); !slices.Equal(ids, []string{polID}) {
			t.Fatalf("deleted CA policies = %v, want [%s]", ids, polID)
		}
		restored, err := sendRaw(e, abstractions.POST, "/identity/conditionalAccess/deletedItems/policies/"+polID+"/restore", models.CreateConditionalAccessPolicyFromDiscriminatorValue)
		must(t, "restore CA policy", err)
		rp, ok := restored.(models.ConditionalAccessPolicyable)
		if !ok || deref(rp.GetId()) != polID {
			t.Fatalf("restored policy %T id %s, want %s (restore keeps the id)", restored, deref(restored.(models.Entityable).GetId()), polID)
		}
		if _, err := ca.Policies().ByConditionalAccessPolicyId(polID).Get(e.ctx, nil); err != nil {
			t.Errorf("get restored CA policy: %s", describe(err))
		}
		_, err = sendRaw(e, abstractions.POST, "/identity/conditionalAccess/deletedItems/policies/"+polID+"/restore", models.CreateConditionalAccessPolicyFromDiscriminatorValue)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")

		// A named location can go once no policy names it; it too is restorable.
		must(t, "delete CA policy", ca.Policies().ByConditionalAccessPolicyId(polID).Delete(e.ctx, nil))
		must(t, "delete named location", ca.NamedLocations().ByNamedLocationId(locID).Delete(e.ctx, nil))
		loc, err := sendRaw(e, abstractions.GET, "/identity/conditionalAccess/deletedItems/namedLocations/"+locID, models.CreateNamedLocationFromDiscriminatorValue)
		must(t, "get deleted named location", err)
		if _, ok := loc.(models.IpNamedLocationable); !ok {
			t.Errorf("deleted named location parsed as %T, want IpNamedLocationable", loc)
		}
		_, err = sendRaw(e, abstractions.DELETE, "/identity/conditionalAccess/deletedItems/namedLocations/"+locID, nil)
		must(t, "purge named location", err)
		_, err = sendRaw(e, abstractions.POST, "/identity/conditionalAccess/deletedItems/namedLocations/"+locID+"/restore", models.CreateNamedLocationFromDiscriminatorValue)
		requireODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	})
}
