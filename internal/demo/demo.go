// Package demo is the scenario of `entrasnap demo`: the incidents it
// makes in its emulated tenant, through Microsoft Graph.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
)

// Incidents says what Break broke.
type Incidents struct {
	Lines       []string // one per incident
	Policy, App string   // names of the deleted CA policy and the changed app
	IDs         []string // the objects broken, for the restore
}

// Break breaks the tenant in the four classic ways, through Graph as an
// admin (or attacker) would: a Conditional Access policy deleted, a
// group's membership wiped, an app's redirect URIs changed, a named
// location no remaining policy uses deleted.
func Break(ctx context.Context, c *graph.Client) (*Incidents, error) {
	var out []string
	done := &Incidents{}
	list := func(path string) ([]map[string]any, error) { return c.ListObjects(ctx, path) }
	str := func(v any) string { s, _ := v.(string); return s }

	// A Conditional Access policy deleted.
	policies, err := list("/v1.0/identity/conditionalAccess/policies")
	if err != nil {
		return nil, err
	}
	var victim map[string]any
	for _, p := range policies {
		if p["state"] == "enabled" {
			victim = p
			break
		}
	}
	if victim == nil {
		return nil, errors.New("no enabled Conditional Access policy in the demo tenant")
	}
	if _, err := c.Delete(ctx, "/v1.0/identity/conditionalAccess/policies/"+str(victim["id"])); err != nil {
		return nil, err
	}
	done.Policy = str(victim["displayName"])
	done.IDs = append(done.IDs, str(victim["id"]))
	out = append(out, fmt.Sprintf("Conditional Access policy %q deleted", done.Policy))

	// A group's membership wiped.
	groups, err := list("/v1.0/groups?$select=id,displayName,groupTypes,onPremisesSyncEnabled,membershipRule")
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if len(g["groupTypes"].([]any)) != 0 || g["onPremisesSyncEnabled"] == true {
			continue
		}
		members, err := list("/v1.0/groups/" + str(g["id"]) + "/members?$select=id")
		if err != nil {
			return nil, err
		}
		if len(members) < 3 {
			continue
		}
		for _, m := range members {
			if _, err := c.Delete(ctx, "/v1.0/groups/"+str(g["id"])+"/members/"+str(m["id"])+"/$ref"); err != nil {
				return nil, err
			}
		}
		out = append(out, fmt.Sprintf("group %q lost all %d members", str(g["displayName"]), len(members)))
		done.IDs = append(done.IDs, str(g["id"]))
		break
	}

	// An app's redirect URIs changed.
	apps, err := list("/v1.0/applications?$select=id,displayName,web")
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		web, _ := a["web"].(map[string]any)
		if web == nil || len(web["redirectUris"].([]any)) == 0 {
			continue
		}
		web["redirectUris"] = []string{"https://login.contoso-support.example/callback"}
		if _, err := c.Patch(ctx, "/v1.0/applications/"+str(a["id"]), map[string]any{"web": web}); err != nil {
			return nil, err
		}
		done.App = str(a["displayName"])
		done.IDs = append(done.IDs, str(a["id"]))
		out = append(out, fmt.Sprintf("app %q now redirects sign-ins to https://login.contoso-support.example/callback", done.App))
		break
	}

	// A named location deleted (one no remaining policy uses: Graph refuses the others).
	locations, err := list("/v1.0/identity/conditionalAccess/namedLocations")
	if err != nil {
		return nil, err
	}
	remaining, err := list("/v1.0/identity/conditionalAccess/policies")
	if err != nil {
		return nil, err
	}
	for _, l := range locations {
		id := str(l["id"])
		used := false
		for _, p := range remaining {
			b, _ := json.Marshal(p["conditions"])
			used = used || strings.Contains(string(b), id)
		}
		if used {
			continue
		}
		if _, err := c.Delete(ctx, "/v1.0/identity/conditionalAccess/namedLocations/"+id); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("named location %q deleted", str(l["displayName"])))
		done.IDs = append(done.IDs, id)
		break
	}
	done.Lines = out
	return done, nil
}
