package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// GraphAppID is Microsoft Graph's application id: its service principal
// defines the appRoles (application permissions) and oauth2PermissionScopes
// (delegated permissions) a grant names.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// GrantedAccess reads from Graph the Microsoft Graph permissions the app
// appID holds, for a token that does not say (not a JWT: an opaque token,
// some credential types), as layout.ManifestAccess with Source "graph".
//
//   - The app's own service principal: GET /servicePrincipals(appId='…')
//     (serviceprincipal-get, alternate key).
//   - Who the token speaks for: GET /me answers for a delegated token only
//     (user-get: "/me" needs a signed-in user); any other 4xx answer is an
//     app-only token.
//   - Application: the service principal's appRoleAssignments
//     (serviceprincipal-list-approleassignments) on Microsoft Graph's
//     service principal, each appRoleId resolved to the value of Graph's
//     appRoles.
//   - Delegated: the oauth2PermissionGrants whose clientId is the service
//     principal and resourceId Graph's (oauth2permissiongrant-list), for
//     all principals (consentType AllPrincipals) or for the signed-in user
//     (Principal): the union of their space-separated scopes.
//
// Every read needs only permissions of the export's read set:
// Application.Read.All (service principals and their appRoleAssignments)
// and Directory.Read.All (oauth2PermissionGrants), or their delegated
// forms and User.Read (/me) for a delegated token. DirectoryRoles stay
// empty: the directory roles of the token are not read.
func GrantedAccess(ctx context.Context, c *graph.Client, appID string) (*layout.ManifestAccess, error) {
	if !guidPattern.MatchString(appID) {
		return nil, fmt.Errorf("the client id %q is not an application id (a GUID): give the app's --client-id (AZURE_CLIENT_ID)", layout.Safe(appID))
	}
	sp, err := servicePrincipalOf(ctx, c, appID, "id")
	if err != nil {
		return nil, fmt.Errorf("reading the service principal of app %s, for the permissions it holds: %w", appID, err)
	}
	graphSP, err := servicePrincipalOf(ctx, c, GraphAppID, "id,appRoles")
	if err != nil {
		return nil, fmt.Errorf("reading Microsoft Graph's service principal, for the names of the permissions app %s holds: %w", appID, err)
	}
	spID, graphID := anyStr(sp["id"]), anyStr(graphSP["id"])
	a := &layout.ManifestAccess{Source: layout.AccessFromGraph, Permissions: []string{}}

	raw, err := c.Get(ctx, "/v1.0/me?$select=id")
	var ge *graph.Error
	switch {
	case err == nil:
		var me struct{ ID string }
		if json.Unmarshal(raw, &me) != nil || me.ID == "" {
			return nil, fmt.Errorf("reading the signed-in user (/me): no id in the answer")
		}
		a.Type = "delegated"
		grants, err := c.ListObjects(ctx, "/v1.0/oauth2PermissionGrants?$filter="+url.QueryEscape("clientId eq '"+spID+"'"))
		if err != nil {
			return nil, fmt.Errorf("reading the delegated permission grants of app %s: %w", appID, err)
		}
		var scopes []string
		for _, g := range grants {
			if !strings.EqualFold(anyStr(g["resourceId"]), graphID) {
				continue
			}
			if ct := anyStr(g["consentType"]); ct == "AllPrincipals" || ct == "Principal" && strings.EqualFold(anyStr(g["principalId"]), me.ID) {
				scopes = append(scopes, strings.Fields(anyStr(g["scope"]))...)
			}
		}
		a.Permissions = layout.AccessNames(scopes)
		return a, nil
	case errors.As(err, &ge) && ge.Status >= 400 && ge.Status < 500 && ge.Status != 429:
		// No signed-in user: an app-only token.
	default:
		return nil, fmt.Errorf("reading the signed-in user (/me), to tell a delegated token from an app-only one: %w", err)
	}
	a.Type = "application"
	values := map[string]string{}
	roles, _ := graphSP["appRoles"].([]any)
	for _, r := range roles {
		if m, ok := r.(map[string]any); ok {
			values[strings.ToLower(anyStr(m["id"]))] = anyStr(m["value"])
		}
	}
	as, err := c.ListObjects(ctx, "/v1.0/servicePrincipals/"+url.PathEscape(spID)+"/appRoleAssignments")
	if err != nil {
		return nil, fmt.Errorf("reading the app role assignments of app %s: %w", appID, err)
	}
	var held []string
	for _, as := range as {
		if !strings.EqualFold(anyStr(as["resourceId"]), graphID) {
			continue
		}
		if v := values[strings.ToLower(anyStr(as["appRoleId"]))]; v != "" {
			held = append(held, v)
		}
	}
	a.Permissions = layout.AccessNames(held)
	return a, nil
}

// servicePrincipalOf reads the service principal of appID (a GUID) with
// the $select given.
func servicePrincipalOf(ctx context.Context, c *graph.Client, appID, sel string) (map[string]any, error) {
	raw, err := c.Get(ctx, "/v1.0/servicePrincipals(appId='"+appID+"')?$select="+sel)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || anyStr(m["id"]) == "" {
		return nil, fmt.Errorf("no service principal in the answer")
	}
	return m, nil
}

func anyStr(v any) string { s, _ := v.(string); return s }
