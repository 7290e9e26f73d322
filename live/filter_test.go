package live

import (
	"net/url"
	"strings"
	"testing"
)

// A $filter value comes back from the query exactly, whatever it holds:
// quotes (doubled, as OData writes them in a literal), '#', '&', '+', '%',
// '=', ';', '?', '/', non-ASCII, bidi marks, newlines, very long.
func TestFilterParamRoundTrips(t *testing.T) {
	for _, v := range []string{
		"userFlowAttributeType eq 'custom'",
		"displayName eq " + ODataString("O'Brien & Sons + Co #1 100% = ok; a/b?c"),
		"displayName eq " + ODataString("Ünïcødé \u202eevil\u202c 😀\r\n\t../../x"),
		"(a eq 'x') and displayName eq " + ODataString(strings.Repeat("+&#%", 300)),
	} {
		q := filterParam(v)
		if strings.ContainsAny(q[len("$filter="):], "&+# \n") {
			t.Errorf("%q: the parameter holds a raw separator: %s", v, q)
		}
		got, err := url.ParseQuery(q)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if len(got) != 1 || got.Get("$filter") != v {
			t.Errorf("%q: parsed back as %v", v, got)
		}
	}
	if filterParam("") != "" {
		t.Errorf("no filter: %q", filterParam(""))
	}
}
