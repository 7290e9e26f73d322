package graphsim

import (
	"crypto/sha1"
	"fmt"
	"strings"
)

// Demo and large-profile items of the collections held below applications
// and service principals (hooks_appheld.go).

// heldItem adds item to rel of the object kind/id as a create would.
func (g *generator) heldItem(kind, id, rel string, item map[string]any) {
	r := g.record(kind, id)
	if r == nil {
		g.fail("no %s %s for %s", kind, id, rel)
		return
	}
	spec := held[kind][rel]
	list := heldList(r, rel)
	if aerr := spec.check(r, list, nil, item); aerr != nil {
		g.fail("%s of %s: %v", rel, id, aerr)
		return
	}
	// An id derived from the parent and the item, not drawn from the
	// tenant's sequence: the objects created after generation keep the ids
	// they had before these items existed.
	if !spec.callerID {
		sum := sha1.Sum([]byte(id + "/" + rel + "/" + fmt.Sprint(item["name"], item["permissionId"])))
		sum[6], sum[8] = sum[6]&0x0f|0x50, sum[8]&0x3f|0x80
		item["id"] = fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	}
	if spec.fill != nil {
		spec.fill(r, item)
	}
	r.o()[heldPrefix+rel] = append(list, item)
}

func githubCredential(name, repo, ref string) map[string]any {
	return map[string]any{"name": name, "issuer": "https://token.actions.githubusercontent.com",
		"subject": "repo:" + repo + ":" + ref, "audiences": []any{"api://AzureADTokenExchange"},
		"description": "GitHub Actions deployments of " + repo}
}

// demoAppHeld gives the demo's curated apps what real ones have: the
// nightly sync deploys from GitHub Actions and keeps HR attributes as
// directory extensions; the inventory API runs on Kubernetes and classifies
// its read scope as low risk; Microsoft Graph's basic sign-in scopes are
// classified low (what the "low impact" consent setting relies on).
func (g *generator) demoAppHeld(apps []app) {
	for _, a := range apps {
		switch {
		case strings.HasSuffix(a.name, " Nightly Sync"):
			repo := strings.ToLower(strings.ReplaceAll(g.t.name, " ", "")) + "/hr-sync"
			g.heldItem("application", a.id, "federatedIdentityCredentials", githubCredential("github-main", repo, "ref:refs/heads/main"))
			g.heldItem("application", a.id, "federatedIdentityCredentials", githubCredential("github-production", repo, "environment:production"))
			g.heldItem("application", a.id, "extensionProperties", map[string]any{"name": "costCenter", "dataType": "String", "targetObjects": []any{"User"}})
			g.heldItem("application", a.id, "extensionProperties", map[string]any{"name": "badgeIds", "dataType": "String", "targetObjects": []any{"User"}, "isMultiValued": true})
		case strings.HasSuffix(a.name, " Inventory API"):
			g.heldItem("application", a.id, "federatedIdentityCredentials", map[string]any{"name": "aks-inventory",
				"issuer": "https://westeurope.oic.prod-aks.azure.com/" + g.t.id + "/", "subject": "system:serviceaccount:inventory:inventory-api",
				"audiences": []any{"api://AzureADTokenExchange"}})
			for _, s := range asSlice(lookupPath(a.obj, "api/oauth2PermissionScopes")) {
				if m, _ := s.(map[string]any); m != nil && m["value"] == "Inventory.Read" {
					g.heldItem("servicePrincipal", a.spID, "delegatedPermissionClassifications", map[string]any{"permissionId": m["id"], "classification": "low"})
				}
			}
		}
	}
	if g.graphSP != nil {
		for _, s := range asSlice(g.graphSP["oauth2PermissionScopes"]) {
			if m, _ := s.(map[string]any); m != nil && (m["value"] == "User.Read" || m["value"] == "openid" || m["value"] == "profile") {
				g.heldItem("servicePrincipal", g.graphSPID, "delegatedPermissionClassifications", map[string]any{"permissionId": m["id"], "classification": "low"})
			}
		}
	}
}

// largeAppHeld: one application in 20 deploys from GitHub Actions.
func (g *generator) largeAppHeld() {
	for i, r := range g.t.colls["application"].live() {
		if i%20 == 0 && !r.gone {
			g.heldItem("application", r.key(), "federatedIdentityCredentials", githubCredential("github-main", fmt.Sprintf("lob/app-%d", i), "ref:refs/heads/main"))
		}
	}
}
