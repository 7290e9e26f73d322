package live

import (
	"context"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// ODataString is s as an OData string literal: in single quotes, each
// single quote doubled (OData URL conventions, "Literal data values":
// a string is quoted with ', and ' inside it is written ”).
func ODataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Named lists the objects of kind k whose name property (k.NameFilter,
// displayName) equals name, by Graph's $filter instead of reading the
// whole kind: one request where a list would take many pages (restore
// looks so for the object an interrupted create made: importer/indoubt.go).
// Graph compares case-insensitively, so callers compare the names they
// get. The objects are as Graph returns them (its default
// representation), not normalized; a kind without NameFilter, or a
// singleton, is an error: list it instead.
func Named(ctx context.Context, c *graph.Client, k *layout.Kind, name string) ([]map[string]any, error) {
	if k.NameFilter == "" || k.Singleton || strings.Contains(k.ListPath, layout.OrganizationPlaceholder) {
		return nil, fmt.Errorf("%s: Graph's list of them takes no $filter on their name", k.Title)
	}
	f := k.NameFilter + " eq " + ODataString(name)
	if k.Filter != "" {
		f = "(" + k.Filter + ") and " + f
	}
	q := filterParam(f)
	var out []map[string]any
	if err := c.List(ctx, "/"+k.APIVersion+k.ListPath+"?"+q, appendDecoded(&out)); err != nil {
		return nil, err
	}
	return out, nil
}
