package importer

// Restore of per-user MFA state (layout kind per-user-mfa, beta): a PATCH
// of the user's authentication/requirements with perUserMfaState
// (authentication-update-requirements). Every user has the state, so there
// is nothing to create or delete: a user gone from the tenant is restored
// with the users kind first, and its state by a second restore of this
// kind (the plan says so).

const mfaKind = "per-user-mfa"

func init() {
	noCreate[mfaKind] = "the user is not in the tenant: restore the user first (users), then restore its per-user MFA state again"
	noDelete[mfaKind] = true
}
