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
	return TokenClaim(h, "tid"), nil
}

// TokenClaim returns a string claim of a JWT's payload (with or without
// "Bearer "), read without verifying it, or "".
func TokenClaim(token, name string) string {
	parts := strings.Split(strings.TrimSpace(strings.TrimPrefix(token, "Bearer ")), ".")
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

// TokenClaimStrings returns a string-array claim of a JWT's payload (with
// or without "Bearer "), read without verifying it; ok is false when the
// token is not a JWT or has no such claim (an empty array is present).
func TokenClaimStrings(token, name string) (list []string, ok bool) {
	parts := strings.Split(strings.TrimSpace(strings.TrimPrefix(token, "Bearer ")), ".")
	if len(parts) != 3 || len(parts[1]) > 64<<10 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return nil, false
	}
	raw, ok := claims[name].([]any)
	if !ok {
		return nil, false
	}
	list = []string{}
	for _, v := range raw {
		if s, ok := v.(string); ok {
			list = append(list, s)
		}
	}
	return list, true
}

// TokenRoles returns the roles claim (the application permissions) of the
// access token the client sends, read from the JWT's payload without
// verifying it; ok is false when the token is not a JWT or carries no
// roles claim (a delegated or opaque token), when callers cannot tell.
// The token itself is never returned or put in an error.
func (c *Client) TokenRoles(ctx context.Context) (roles []string, ok bool, err error) {
	h, err := c.authorization(ctx)
	if err != nil {
		return nil, false, err
	}
	parts := strings.Split(strings.TrimSpace(strings.TrimPrefix(h, "Bearer ")), ".")
	if len(parts) != 3 || len(parts[1]) > 64<<10 {
		return nil, false, nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false, nil
	}
	var claims struct {
		Roles *[]string `json:"roles"`
		Scp   string    `json:"scp"`
		AppID string    `json:"appid"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Scp != "" {
		return nil, false, nil
	}
	if claims.Roles == nil {
		// An app-only token without roles holds no permission at all.
		return nil, claims.AppID != "", nil
	}
	return *claims.Roles, true, nil
}

// TokenScopes returns the scp claim (the delegated permissions) of the
// access token the client sends, read without verifying it: "" for an
// app-only or opaque token. The token itself is never returned or put in
// an error.
func (c *Client) TokenScopes(ctx context.Context) (string, error) {
	h, err := c.authorization(ctx)
	if err != nil {
		return "", err
	}
	return TokenClaim(h, "scp"), nil
}
