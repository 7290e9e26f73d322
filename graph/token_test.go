package graph

import (
	"context"
	"encoding/base64"
	"testing"
)

func TestTokenTenantID(t *testing.T) {
	jwt := func(payload string) string {
		return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
	}
	for _, tc := range []struct{ token, want string }{
		{jwt(`{"tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","roles":["x"]}`), "72f988bf-86f1-41af-91ab-2d7cd011db47"},
		{jwt(`{"roles":["x"]}`), ""},
		{jwt(`{"tid":42}`), ""},
		{jwt(`not json`), ""},
		{"opaque-token", ""},
		{"a.!!!.c", ""},
	} {
		c, err := New(Config{BaseURL: "http://127.0.0.1:1", AccessToken: tc.token})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.TokenTenantID(context.Background())
		if err != nil || got != tc.want {
			t.Errorf("TokenTenantID(%q) = %q, %v; want %q", tc.token, got, err, tc.want)
		}
	}
}
