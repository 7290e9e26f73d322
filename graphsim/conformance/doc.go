// Package conformance checks graphsim against Microsoft's official typed Go
// SDK (github.com/microsoftgraph/msgraph-sdk-go with msgraph-sdk-go-core and
// kiota): every answer graphsim gives to the calls entrasnap depends on —
// users, groups and membership, applications and service principals, grants
// and app role assignments, Conditional Access, authentication policies,
// administrative units, role management, policy singletons, directory
// settings, organization and domains, soft delete and restore, $batch, delta
// and throttling — must be parsed by the SDK into typed models with the
// expected values, and every error must parse as *odataerrors.ODataError with
// Graph's code and message.
//
// The package holds tests only; the SDK is imported from _test.go files and
// never from graphsim or any product package.
package conformance
