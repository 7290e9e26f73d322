package conformance_test

import (
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	graphig "github.com/microsoftgraph/msgraph-sdk-go/identitygovernance"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// The Graph SDK's typed models read graphsim's catalog resources (with
// $expand=roles,scopes), write a resource request and a resource role
// scope, and parse an access package's role scopes from its GET's
// $expand=resourceRoleScopes($expand=role,scope).
func TestCatalogResourcesTyped(t *testing.T) {
	e := newEnvOpts(t, graphsim.Options{Seed: 1, Profile: "demo"})
	em := e.client.IdentityGovernance().EntitlementManagement()
	cats, err := em.Catalogs().Get(e.ctx, nil)
	must(t, "list catalogs", err)
	var cat, draft string
	for _, c := range cats.GetValue() {
		switch deref(c.GetDisplayName()) {
		case "Finance and partner access":
			cat = deref(c.GetId())
		case "Contractor onboarding":
			draft = deref(c.GetId())
		}
	}
	res, err := em.Catalogs().ByAccessPackageCatalogId(draft).Resources().Get(e.ctx, &graphig.EntitlementManagementCatalogsItemResourcesRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphig.EntitlementManagementCatalogsItemResourcesRequestBuilderGetQueryParameters{Expand: []string{"roles", "scopes"}}})
	must(t, "list resources", err)
	if len(res.GetValue()) != 1 || len(res.GetValue()[0].GetRoles()) != 2 || len(res.GetValue()[0].GetScopes()) != 1 {
		t.Fatalf("draft catalog resources not parsed with roles and scopes: %d", len(res.GetValue()))
	}
	group := deref(res.GetValue()[0].GetOriginId())

	// The Helpdesk group into the Finance catalog, then its Owner role into Finance tools.
	req := models.NewAccessPackageResourceRequest()
	req.SetRequestType(ptr(models.ADMINADD_ACCESSPACKAGEREQUESTTYPE))
	r := models.NewAccessPackageResource()
	r.SetOriginId(ptr(group))
	r.SetOriginSystem(ptr("AadGroup"))
	req.SetResource(r)
	c := models.NewAccessPackageCatalog()
	c.SetId(ptr(cat))
	req.SetCatalog(c)
	got, err := em.ResourceRequests().Post(e.ctx, req, nil)
	must(t, "post resource request", err)
	if got.GetState() == nil || *got.GetState() != models.DELIVERED_ACCESSPACKAGEREQUESTSTATE {
		t.Errorf("resource request state not parsed as delivered")
	}
	filter := "originId eq '" + group + "'"
	in, err := em.Catalogs().ByAccessPackageCatalogId(cat).Resources().Get(e.ctx, &graphig.EntitlementManagementCatalogsItemResourcesRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphig.EntitlementManagementCatalogsItemResourcesRequestBuilderGetQueryParameters{Filter: &filter}})
	must(t, "filter resources", err)
	if len(in.GetValue()) != 1 {
		t.Fatalf("the added resource is not listed")
	}
	pkgs, err := em.AccessPackages().Get(e.ctx, nil)
	must(t, "list packages", err)
	var finance string
	for _, p := range pkgs.GetValue() {
		if deref(p.GetDisplayName()) == "Finance tools" {
			finance = deref(p.GetId())
		}
	}
	rs := models.NewAccessPackageResourceRoleScope()
	role := models.NewAccessPackageResourceRole()
	role.SetOriginId(ptr("Owner_" + group))
	role.SetOriginSystem(ptr("AadGroup"))
	rr := models.NewAccessPackageResource()
	rr.SetId(in.GetValue()[0].GetId())
	role.SetResource(rr)
	rs.SetRole(role)
	sc := models.NewAccessPackageResourceScope()
	sc.SetOriginId(ptr(group))
	sc.SetOriginSystem(ptr("AadGroup"))
	sc.SetIsRootScope(ptr(true))
	rs.SetScope(sc)
	made, err := em.AccessPackages().ByAccessPackageId(finance).ResourceRoleScopes().Post(e.ctx, rs, nil)
	must(t, "post role scope", err)
	if deref(made.GetId()) == "" || made.GetCreatedDateTime() == nil {
		t.Errorf("created role scope not parsed")
	}
	pkg, err := em.AccessPackages().ByAccessPackageId(finance).Get(e.ctx, &graphig.EntitlementManagementAccessPackagesAccessPackageItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphig.EntitlementManagementAccessPackagesAccessPackageItemRequestBuilderGetQueryParameters{Expand: []string{"resourceRoleScopes($expand=role,scope)"}}})
	must(t, "get package with role scopes", err)
	owners := 0
	for _, x := range pkg.GetResourceRoleScopes() {
		if x.GetRole() == nil || x.GetScope() == nil {
			t.Fatalf("role scope %s without role or scope", deref(x.GetId()))
		}
		if deref(x.GetRole().GetOriginId()) == "Owner_"+group && deref(x.GetScope().GetIsRootScope()) {
			owners++
		}
	}
	if len(pkg.GetResourceRoleScopes()) != 3 || owners != 1 {
		t.Errorf("role scopes parsed: %d (Owner of the group: %d)", len(pkg.GetResourceRoleScopes()), owners)
	}
}
