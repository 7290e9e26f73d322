package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entrasnap/entrasnap/graphsim"
	"github.com/entrasnap/entrasnap/internal/simtest"
	"github.com/entrasnap/entrasnap/layout"
)

// A user flow's identity providers and step connectors
// (user-flow-connections) are read as items of $batch envelopes, never
// one request per flow, under realistic throttling: each flow's file
// holds its providers and the id of each step's connector, null for a
// step without one. When Graph refuses the connector reads (an inner
// answer of 403), the kind is incomplete and no file says "no connector".
func TestUserFlowConnectionsReadThroughBatchAndFailClosed(t *testing.T) {
	sim := simtest.New(t, graphsim.Options{Profile: "demo", Throttle: "realistic"})
	var direct, envelopes atomic.Int64
	var refuse atomic.Bool
	srv := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/$batch"):
			envelopes.Add(1)
			if refuse.Load() {
				refuseConnectorReads(t, sim, w, r)
				return
			}
		case strings.Contains(r.URL.Path, "/apiConnectorConfiguration") || strings.Contains(r.URL.Path, "/userFlowIdentityProviders"):
			direct.Add(1)
		}
		sim.ServeHTTP(w, r)
	}))
	c := simtest.Client(t, sim, srv, "")
	ctx := context.Background()
	const coll = "/v1.0/identity/b2xUserFlows"
	conns, err := c.ListObjects(ctx, "/v1.0/identity/apiConnectors")
	if err != nil || len(conns) == 0 {
		t.Fatalf("connectors: %v %v", conns, err)
	}
	conn, _ := conns[0]["id"].(string)
	n := 24
	if testing.Short() {
		n = 6
	}
	for i := range n {
		id := fmt.Sprintf("Flow%02d", i)
		if _, err := c.Do(ctx, "POST", coll, map[string]any{"id": id, "userFlowType": "signUpOrSignIn", "userFlowTypeVersion": 1}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := c.Do(ctx, "PUT", coll+"/B2X_1_"+id+"/apiConnectorConfiguration/postFederationSignup/$ref",
				map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/identity/apiConnectors/" + conn}); err != nil {
				t.Fatal(err)
			}
		}
	}
	direct.Store(0)
	envelopes.Store(0)
	k, _ := layout.Lookup(layout.UserFlowConnections)
	lv, err := Read(ctx, ReadOptions{Client: c, Kinds: []*layout.Kind{k}})
	if err != nil {
		t.Fatal(err)
	}
	if r := lv.Kinds[0]; !r.Complete || r.Objects != n+1 {
		t.Fatalf("user-flow-connections: %+v, want %d objects, complete", r, n+1)
	}
	if d := direct.Load(); d != 0 {
		t.Errorf("%d reads outside $batch", d)
	}
	// (n+1) flows × 2 reads: at least that many envelopes of 20.
	if e, min := envelopes.Load(), int64((2*(n+1)+19)/20); e < min {
		t.Errorf("%d $batch envelopes, want at least %d", e, min)
	}
	files := 0
	for p, b := range lv.Files {
		if !strings.HasPrefix(p, k.Folder+"/") {
			continue
		}
		files++
		obj, err := layout.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		id, _ := obj["id"].(string)
		conf, _ := obj["apiConnectorConfiguration"].(map[string]any)
		pfs, pac := fmt.Sprint(conf["postFederationSignup"]), fmt.Sprint(conf["postAttributeCollection"])
		_, hasPFS := conf["postFederationSignup"]
		_, hasPAC := conf["postAttributeCollection"]
		switch {
		case !hasPFS || !hasPAC:
			t.Errorf("%s: a step is missing (want null for none): %v", p, conf)
		case id == "B2X_1_PartnerSignUp":
			if pac != "map[id:"+conn+"]" || pfs != "<nil>" || !strings.Contains(fmt.Sprint(obj["userFlowIdentityProviders"]), "Google-OAUTH") {
				t.Errorf("%s: %v", p, obj)
			}
		default:
			var i int
			fmt.Sscanf(strings.TrimPrefix(id, "B2X_1_Flow"), "%d", &i)
			want := "<nil>"
			if i%2 == 0 {
				want = "map[id:" + conn + "]"
			}
			// A new flow holds Graph's default provider, Microsoft Entra ID sign-up.
			if idps, _ := obj["userFlowIdentityProviders"].([]any); pfs != want || pac != "<nil>" || len(idps) != 1 || !strings.Contains(fmt.Sprint(idps), "id:AADSignup-OAUTH") {
				t.Errorf("%s: postFederationSignup %s, want %s: %v", p, pfs, want, obj)
			}
		}
	}
	if files != n+1 {
		t.Errorf("%d files, want %d", files, n+1)
	}

	refuse.Store(true)
	lv, err = Read(ctx, ReadOptions{Client: c, Kinds: []*layout.Kind{k}})
	if err != nil {
		t.Fatal(err)
	}
	if r := lv.Kinds[0]; r.Complete || !strings.Contains(strings.Join(r.Permissions, ","), "IdentityUserFlow.ReadWrite.All") {
		t.Errorf("refused connector reads: %+v, want incomplete naming IdentityUserFlow.ReadWrite.All", r)
	}
	for p := range lv.Files {
		if strings.HasPrefix(p, k.Folder+"/") {
			t.Errorf("a refused read made %s", p)
		}
	}
}

// refuseConnectorReads serves a $batch envelope with every item reading an
// apiConnectorConfiguration answered 403, as Graph answers a caller without
// IdentityUserFlow.ReadWrite.All.
func refuseConnectorReads(t *testing.T, sim http.Handler, w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Requests []struct {
			ID  string `json:"id"`
			URL string `json:"url"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Error(err)
	}
	refused := map[string]bool{}
	for _, q := range req.Requests {
		refused[q.ID] = strings.Contains(q.URL, "/apiConnectorConfiguration")
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, r2)
	var resp struct {
		Responses []map[string]any `json:"responses"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &resp) != nil {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	for _, item := range resp.Responses {
		if id, _ := item["id"].(string); refused[id] {
			item["status"] = 403
			item["headers"] = map[string]any{"Content-Type": "application/json"}
			item["body"] = map[string]any{"error": map[string]any{"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
