package exporter

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entrasnap/entrasnap/graphsim"
)

// Federated identity credentials and extension properties of applications
// and delegated permission classifications of service principals are not
// tracked by the apps' and service principals' delta rounds (navigation
// properties): an incremental export reads them again each run (the lists'
// $expand, per parent for an app showing 20 credentials, the most $expand
// returns) and equals a full export after they are added, changed and
// removed.
func TestIncrementalExportAppHeldCollections(t *testing.T) {
	// The reads the audit log drives (Options.Scheduled).
	scheduledRuns(t)
	sim := newSim(t, graphsim.Options{Sizes: graphsim.Sizes{Users: 60, Groups: 8, Apps: 10}})
	c := newClient(t, sim, nil, "")
	inc := newRepo(t, false)
	kinds := []string{"applications", "service-principals"}
	whenShortOnly(t, kinds...)
	mustExport(t, c, inc, nil)
	ch := &changer{t: t, c: c, sim: sim}
	compare := func(day string) {
		t.Helper()
		// The changes show once their records are in the audit log
		// (live/apps.go).
		sim.Clock().Advance(graphsim.DefaultAuditLag + time.Minute)
		res := deltaExport(t, c, inc, day, kinds, func(o *Options) { o.AllowShrink = true })
		if res.Modified == 0 {
			t.Errorf("%s: no file changed", day)
		}
		full := newRepo(t, true)
		mustExport(t, c, full, nil)
		sameTree(t, day, tree(t, inc, "HEAD"), tree(t, full, "HEAD"))
	}
	scope := "5f0e2a4c-3b1d-4e6f-9a8b-7c6d5e4f3a21"
	api := ch.do("POST", "/v1.0/applications", map[string]any{"displayName": "held api", "api": map[string]any{"oauth2PermissionScopes": []any{
		map[string]any{"id": scope, "value": "Things.Read", "type": "User", "isEnabled": true, "adminConsentDisplayName": "r", "adminConsentDescription": "r"}}}})
	apiID := api["id"].(string)
	sp := ch.do("POST", "/v1.0/servicePrincipals", map[string]any{"appId": api["appId"]})
	spID := sp["id"].(string)
	full20 := ch.do("POST", "/v1.0/applications", map[string]any{"displayName": "twenty credentials"})["id"].(string)
	mustExport(t, c, inc, func(o *Options) { o.AllowShrink = true })

	// Day 1: a credential with a hostile description, an app with 20 (the
	// $expand shows 20 and the app is read on its own), an extension
	// property, a classification.
	hostile := "deploy \x1b[31m\u202eevil\r\nnext\x00\xff"
	fics := "/v1.0/applications/" + apiID + "/federatedIdentityCredentials"
	first := ch.do("POST", fics, map[string]any{"name": "gh-main", "issuer": "https://token.actions.githubusercontent.com",
		"subject": "repo:o/r:ref:refs/heads/main", "audiences": []any{"api://AzureADTokenExchange"}, "description": hostile})
	for i := 0; i < 20; i++ {
		ch.do("POST", "/v1.0/applications/"+full20+"/federatedIdentityCredentials", map[string]any{"name": fmt.Sprintf("env-%02d", i),
			"issuer": "https://token.actions.githubusercontent.com", "subject": fmt.Sprintf("repo:o/r:environment:e%d", i), "audiences": []any{"api://AzureADTokenExchange"}})
	}
	// 25 extension properties: $expand shows 20, the rest come from the
	// app's own read.
	for i := 0; i < 25; i++ {
		ch.do("POST", "/v1.0/applications/"+full20+"/extensionProperties", map[string]any{"name": fmt.Sprintf("attr%02d", i), "dataType": "String", "targetObjects": []any{"User"}})
	}
	ext := ch.do("POST", "/v1.0/applications/"+apiID+"/extensionProperties", map[string]any{"name": "costCenter", "dataType": "String", "targetObjects": []any{"User"}})
	dpc := ch.do("POST", "/v1.0/servicePrincipals/"+spID+"/delegatedPermissionClassifications", map[string]any{"permissionId": scope, "classification": "low"})
	compare("day 1")
	files := tree(t, inc, "HEAD")
	var appFile, twentyFile, spFile []byte
	for p, data := range files {
		switch {
		case strings.HasPrefix(p, "applications/") && strings.Contains(p, strings.ToLower(apiID)):
			appFile = data
		case strings.HasPrefix(p, "applications/") && strings.Contains(p, strings.ToLower(full20)):
			twentyFile = data
		case strings.HasPrefix(p, "service-principals/") && strings.Contains(p, strings.ToLower(spID)):
			spFile = data
		}
	}
	if !bytes.Contains(appFile, []byte(`\u202eevil\r\nnext\u0000`)) || !bytes.Contains(appFile, []byte("_costCenter")) {
		t.Errorf("application file lacks the credential's hostile description or the extension property:\n%s", appFile)
	}
	if bytes.Contains(appFile, []byte("appDisplayName")) {
		t.Errorf("application file keeps the extension property's appDisplayName (the parent's name):\n%s", appFile)
	}
	if n := bytes.Count(twentyFile, []byte(`name: "env-`)); n != 20 {
		t.Errorf("the app with 20 credentials shows %d in its file", n)
	}
	if n := bytes.Count(twentyFile, []byte(`_attr`)); n != 25 {
		t.Errorf("the app with 25 extension properties shows %d in its file", n)
	}
	if !bytes.Contains(spFile, []byte("Things.Read")) {
		t.Errorf("service principal file lacks the classification:\n%s", spFile)
	}

	// Day 2: changed, removed.
	ch.do("PATCH", fics+"/"+first["id"].(string), map[string]any{"subject": "repo:o/r:environment:prod"})
	ch.do("DELETE", "/v1.0/applications/"+apiID+"/extensionProperties/"+ext["id"].(string), nil)
	ch.do("DELETE", "/v1.0/servicePrincipals/"+spID+"/delegatedPermissionClassifications/"+dpc["id"].(string), nil)
	one, err := c.ListObjects(context.Background(), "/v1.0/applications/"+full20+"/federatedIdentityCredentials")
	if err != nil || len(one) != 20 {
		t.Fatalf("credentials of the full app: %d, %v", len(one), err)
	}
	ch.do("DELETE", "/v1.0/applications/"+full20+"/federatedIdentityCredentials/"+one[7]["id"].(string), nil)
	compare("day 2")
}
