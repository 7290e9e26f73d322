// Package graph is entrasnap's Microsoft Graph client.
//
// It owns everything between the product and Graph's HTTP surface:
//
//   - credentials: azidentity credentials chosen from the environment
//     (CredentialFromEnv), per national cloud (LookupCloud), or a static
//     bearer token for graphsim and prepared tokens;
//   - the HTTP pipeline: msgraph-sdk-go-core's default middleware (telemetry,
//     client-request-id, user agent, query-name decoding) on a kiota-http-go
//     transport, minus kiota's retry and request-compression handlers,
//     because this package retries on its own so it can count, and minus its
//     redirect handler, which follows redirects to any host: redirects are
//     followed only within the Graph root's scheme, host and port;
//   - transport safety and limits: plain http only to a loopback host, a
//     bounded response body (Config.MaxResponseBytes), a bounded number of
//     pages per list (Config.MaxPages), $batch answers matched to their
//     requests; errors for limits wrap ErrLimit and are not retried;
//   - raw JSON in and out (json.RawMessage): payloads are never decoded into
//     generated SDK models, so every property survives a round trip. The
//     generated SDK (msgraph-sdk-go) must not be imported here;
//   - paging (@odata.nextLink, custom headers resent on every page), delta
//     rounds (@odata.deltaLink, 410 Gone → ErrResyncRequired) and JSON $batch
//     (chunks of 20, dependsOn, per-item retry of throttled items; a
//     call's envelopes go from at most Config.Concurrency goroutines;
//     Conditional Access items one an envelope, a second apart);
//   - the throttling budget (pace.go): the client paces itself instead of
//     letting Graph refuse it. Directory requests draw their documented
//     cost (requestCost) on a resource-unit bucket per app and tenant
//     (3,500 / 5,000 / 8,000 units per 10 s by tenant size: from
//     Config.TenantUsers or Client.SizeBudget's user count, and learned
//     upward from the smallest when an answer without
//     x-ms-throttle-limit-percentage proves the quota larger),
//     corrected from each answer's x-ms-resource-unit, raised to Graph's
//     x-ms-throttle-limit-percentage and reset from a 429's Retry-After;
//     writes also draw on 3,000 per 2 min 30 s; Conditional Access paths
//     (/identity/conditionalAccess/…) go one at a time, one a second; the
//     audit log (/auditLogs/…, an identity and access report) draws on a
//     bucket of its own, 5 requests per 10 s (ReportQuota). The
//     requests in flight are bounded by an AIMD limit: halved on a 429,
//     +1 after a run of clean answers, at most Config.Concurrency. A 429
//     is retried after Retry-After (or exponential backoff with jitter when
//     Graph sends none, as Conditional Access does not) for as long as the
//     context and Config.Timeout leave time (then ErrTimeLimit); other
//     retryable failures at most Config.MaxRetries times. Waits of a
//     second or more are reported as Events with Paced set;
//   - typed errors (*Error, parsed from Graph's error JSON) whose text names
//     method, path, status, Graph code, message and request-id, and never a
//     token or an Authorization header;
//   - run statistics (Stats): requests, retries, 429s, resource units from
//     x-ms-resource-unit, per endpoint template.
//
// Paths passed to the client are relative to the Graph root and include the
// version, e.g. "/v1.0/users?$select=id"; absolute URLs (nextLink, deltaLink)
// are accepted when they point at the configured Graph root, and refused
// otherwise so a credential is never sent to another host.
//
// The package knows nothing of git, snapshots or object kinds, and imports
// no other package of this module.
package graph
