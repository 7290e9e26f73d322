package exporter

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
	"github.com/entrasnap/entrasnap/layout"
)

// tokenAccess reads what the export's access token says it may do, for the
// manifest (layout.ManifestAccess): an app-only token's roles claim, or a
// delegated token's scp scopes, and the directory roles (wids) of either.
// The claims are read without verifying the token (Graph verified it); nil
// for a token that is not a JWT or holds neither claim (Run then reads the
// app's grants from Graph when it knows the app: Options.ClientID). Nothing of the
// token but these names is kept.
func tokenAccess(ctx context.Context, c *graph.Client) *layout.ManifestAccess {
	return accessOf(c.BearerToken(ctx))
}

func accessOf(token string) *layout.ManifestAccess {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 || len(parts[1]) > 64<<10 {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var claims struct {
		Roles []string `json:"roles"`
		Scp   string   `json:"scp"`
		Wids  []string `json:"wids"`
		AppID string   `json:"appid"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return nil
	}
	a := &layout.ManifestAccess{DirectoryRoles: layout.AccessNames(claims.Wids), Source: layout.AccessFromToken}
	switch {
	case claims.Scp != "":
		a.Type, a.Permissions = "delegated", layout.AccessNames(strings.Fields(claims.Scp))
	case claims.Roles != nil || claims.AppID != "":
		// An app-only token without roles holds no permission at all.
		a.Type, a.Permissions = "application", layout.AccessNames(claims.Roles)
	default:
		return nil
	}
	return a
}
