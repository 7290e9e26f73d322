package graph

import (
	"context"
	"strings"
)

// BearerToken is the access token the client sends (the static token, or
// the credential's current one, with the scopes of its requests), for a
// caller that reads its claims before writing (the restore's permission
// check); "" when none can be had. Never print it or put it in an error.
func (c *Client) BearerToken(ctx context.Context) string {
	h, err := c.authorization(ctx)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(h, "Bearer ")
}
