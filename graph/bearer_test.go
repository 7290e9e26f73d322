package graph

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type failingCred struct{}

func (failingCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, errors.New("no login")
}

func TestBearerToken(t *testing.T) {
	ctx := context.Background()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	c, _, _ := newTestClient(t, h, func(cfg *Config) { cfg.AccessToken = "static-tok" })
	mustEqual(t, "static", c.BearerToken(ctx), "static-tok")
	cred := &fakeCred{}
	c, _, _ = newTestClient(t, h, func(cfg *Config) { cfg.AccessToken = ""; cfg.Credential = cred })
	mustEqual(t, "credential", c.BearerToken(ctx), "cred-secret-1")
	if len(cred.scopes) != 1 || cred.scopes[0] == "" {
		t.Errorf("scopes asked = %v, want the Graph root's .default", cred.scopes)
	}
	c, _, _ = newTestClient(t, h, func(cfg *Config) { cfg.AccessToken = ""; cfg.Credential = failingCred{} })
	mustEqual(t, "no token", c.BearerToken(ctx), "")
}
