package importer

// Restore of the identity governance kinds (layout/catalog_governance.go),
// beyond the generic rules (create by POST, PATCH of what differs, DELETE
// of what REV does not hold, references remapped to recreated objects,
// creates after what they name and deletes after what names them):
//
//   - a catalog before its access packages, an access package before its
//     assignment policies: an access package names its catalog
//     (catalog {id}) and a policy its access package (accessPackage {id})
//     as references, so a recreated catalog's or package's new id is the
//     one sent;
//   - assignment policies and access review definitions are written whole
//     with PUT (accesspackageassignmentpolicy-update,
//     accessreviewscheduledefinition-update document no PATCH);
//   - set on create only: an access package's catalog (Graph moves a
//     package with moveToCatalog, which restore does not call), a
//     connected organization's identitySources, an access review's scope
//     and instanceEnumerationScope; a difference is a warning;
//   - Graph refuses to delete an access package that has assignments
//     (accesspackage-delete): the plan says so on the delete, and the
//     apply reports Graph's refusal for that object;
//   - a catalog's resources and a package's resource role scopes are
//     written after the catalog and the package (emresources.go), so a
//     recreated catalog or package gets them back; a recreated package
//     has no assignments: the plan says so;
//   - the built-in "General" catalog is never written (layout BuiltIn).

const (
	apCatalogs = "access-package-catalogs"
	apPackages = "access-packages"
	apPolicies = "access-package-assignment-policies"
	apConnOrgs = "connected-organizations"
	arDefs     = "access-review-definitions"
)

func init() {
	putWhole[apPolicies] = true
	putWhole[arDefs] = true
	createOnly[apPackages] = []string{"catalog"}
	createOnly[apConnOrgs] = []string{"identitySources"}
	createOnly[arDefs] = []string{"scope", "instanceEnumerationScope"}
}

// governanceWarnings adds what Graph does to governance writes that the
// plan cannot show as requests.
func (pl *planner) governanceWarnings() {
	for i := range pl.p.Actions {
		a := &pl.p.Actions[i]
		if a.Kind != apPackages || a.Relationship != "" {
			continue
		}
		switch a.Op {
		case OpDelete:
			a.Warnings = append(a.Warnings, "Graph refuses to delete an access package that still has assignments (accesspackage-delete): "+
				"remove them first (Entra admin center > Identity Governance > Access packages > Assignments), then apply again")
		case OpCreate:
			a.Warnings = append(a.Warnings, "recreated with the resource roles it grants, but without its assignments (history, not in a snapshot): "+
				"users must request the package again")
		}
	}
}
