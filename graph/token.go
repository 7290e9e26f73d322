package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// TokenTenantID returns the tid claim of the access token the client sends
// (the static token, or the credential's current token), read from the
// JWT's payload without verifying its signature: Graph verifies it, and
// the answer is only used to tell which tenant a write would go to when
// /organization cannot be read. It returns "" for a token that is not a
// JWT or has no tid claim, and an error only when no token can be had.
// The token itself is never returned or put in an error.
func (c *Client) TokenTenantID(ctx context.Context) (string, error) {
	h, err := c.authorization(ctx)
	if err != nil {
		return "", err
	}
	return tokenClaim(strings.TrimPrefix(h, "Bearer "), "tid"), nil
}

// tokenClaim returns a string claim of a JWT's payload, or "".
func tokenClaim(token, name string) string {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 || len(parts[1]) > 64<<10 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	s, _ := claims[name].(string)
	return s
}
