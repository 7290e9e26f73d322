package layout

// OwnerKind is the kind whose objects hold the objects of k when these are
// not objects of their own in Graph but state of another kind's object, ""
// for any other kind. Three shapes exist in the catalog, and this names the
// owner of each, so a reader of files (the rehearsal loader, check's
// "owner missing") follows one rule instead of a case per kind:
//
//   - k.PerObject set: the file is the one entity below its owner object
//     (per-user-mfa: a user's authentication/requirements, written by PATCH
//     of that path): the owner is the kind listed at the same ListPath.
//   - custom security attribute values (AttributeValueOwner): the file's
//     properties other than its id are properties of the owner object
//     itself (customSecurityAttributes on the user or service principal,
//     written by PATCH of the object).
//   - user-flow-connections: the file's properties other than its id are
//     the user flow's navigations (userFlowIdentityProviders and
//     apiConnectorConfiguration, read and written through their own paths
//     below the flow), kept apart from the flow's file because Graph reads
//     them only with a write permission.
//
// In the last two, the file's key is a reference (Ref on the key) to the
// one kind listed at the same ListPath, which is the owner; in all three,
// the file's key is the owner object's id. A reader merging such a file
// into its owner's object leaves out the file's own @odata.type (the
// file's kind, not the owner's).
func OwnerKind(k *Kind) string {
	if k == nil {
		return ""
	}
	if o := AttributeValueOwner(k); o != "" {
		return o
	}
	if k.PerObject == "" {
		for _, r := range k.Refs {
			if r.Path != k.KeyProp() || len(r.Kinds) != 1 {
				continue
			}
			if o, ok := Lookup(r.Kinds[0]); ok && o != k && o.ListPath == k.ListPath && o.PerObject == "" && !o.Singleton {
				return o.Name
			}
		}
		return ""
	}
	for _, o := range kinds {
		if o != k && o.ListPath == k.ListPath && o.PerObject == "" && AttributeValueOwner(o) == "" && !o.Singleton {
			return o.Name
		}
	}
	return ""
}
