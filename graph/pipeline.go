package graph

import (
	"net/http"
	"sort"

	khttp "github.com/microsoft/kiota-http-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// middlewares returns msgraph-sdk-go-core's default middleware without the
// handlers this package replaces:
//
//   - kiota's RetryHandler: it would retry 429/503/504 itself (with real
//     sleeps and up to 3 times), hiding throttling from Stats and multiplying
//     our own retries;
//   - kiota's CompressionHandler: it gzips request bodies, which Graph
//     accepts but emulators and proxies need not; our bodies are small;
//   - kiota's RedirectHandler: it follows a redirect to any host (only
//     dropping Authorization) and hands back the other host's answer as if
//     it were Graph's. net/http follows redirects instead, under
//     checkRedirect, which refuses any that leave the Graph root's origin.
//
// The remaining handlers are ordered deterministically (kiota builds them
// from a map).
func middlewares() []khttp.Middleware {
	var kept []khttp.Middleware
	for _, m := range msgraphgocore.GetDefaultMiddlewaresWithOptions(&msgraphgocore.GraphClientOptions{}) {
		switch m.(type) {
		case *khttp.RetryHandler, khttp.RetryHandler, *khttp.CompressionHandler,
			*khttp.RedirectHandler, khttp.RedirectHandler:
			continue
		}
		kept = append(kept, m)
	}
	sort.SliceStable(kept, func(i, j int) bool { return middlewareRank(kept[i]) < middlewareRank(kept[j]) })
	return kept
}

func middlewareRank(m khttp.Middleware) int {
	switch m.(type) {
	case *msgraphgocore.GraphTelemetryHandler:
		return 0
	case *khttp.UrlReplaceHandler:
		return 1
	case *khttp.RedirectHandler:
		return 2
	case *khttp.ParametersNameDecodingHandler:
		return 3
	case *khttp.UserAgentHandler:
		return 4
	case *khttp.HeadersInspectionHandler:
		return 5
	}
	return 6
}

// newHTTPClient builds the *http.Client that carries every request: the
// middleware pipeline on top of base's transport (or kiota's default one).
// Redirects are followed by net/http under checkRedirect: within the Graph
// root's scheme, host and port only.
func newHTTPClient(base *http.Client, concurrency int) *http.Client {
	var parent http.RoundTripper
	timeout := defaultTimeout
	if base != nil {
		parent = base.Transport
		if base.Timeout > 0 {
			timeout = base.Timeout
		}
	}
	if parent == nil {
		parent = khttp.GetDefaultTransport()
		if t, ok := parent.(*http.Transport); ok && t.MaxIdleConnsPerHost < concurrency {
			t.MaxIdleConnsPerHost = concurrency
		}
	}
	return &http.Client{
		Transport:     khttp.NewCustomTransportWithParentTransport(parent, middlewares()...),
		CheckRedirect: checkRedirect,
		Timeout:       timeout,
	}
}
