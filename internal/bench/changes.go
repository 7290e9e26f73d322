package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/graph"
)

// script is a set of scripted changes made through Graph, as an admin would.
type script struct {
	edits, creates, deletes, adds, removes int
	edited                                 string // a user edited: the object `log` follows
}

func (sc script) String() string {
	return fmt.Sprintf("%d user edits, %d user creates, %d user deletes, %d members added, %d removed",
		sc.edits, sc.creates, sc.deletes, sc.adds, sc.removes)
}

// ids lists the keys of kind's live objects in creation order.
func ids(s *sim, kind string) []string {
	var out []string
	for _, o := range s.Tenant().List(kind) {
		if id, _ := o["id"].(string); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// assignedGroups lists the groups whose members can be changed (not
// dynamic-membership groups).
func assignedGroups(s *sim) []string {
	var out []string
	for _, o := range s.Tenant().List("group") {
		id, _ := o["id"].(string)
		dynamic := false
		if types, ok := o["groupTypes"].([]any); ok {
			for _, t := range types {
				dynamic = dynamic || t == "DynamicMembership"
			}
		}
		if id != "" && !dynamic {
			out = append(out, id)
		}
	}
	return out
}

// changeTenant makes n changes through client, about a quarter each of
// user edits, user creates, user deletes and group membership changes
// (half added, half removed). Users are taken from the end of the list
// (away from those restore deletes, taken from the start), each at most once.
func changeTenant(ctx context.Context, client *graph.Client, s *sim, n int) (script, error) {
	var sc script
	users, groups := ids(s, "user"), assignedGroups(s)
	quarter := max(n/4, 1)
	if len(users) < 3*quarter+1 || len(groups) == 0 {
		return sc, fmt.Errorf("the tenant is too small for %d changes: %d users, %d groups", n, len(users), len(groups))
	}
	next := len(users) - 1
	take := func() string { id := users[next]; next--; return id }
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return sc, err
	}
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		return sc, err
	}
	for done := 0; done < n; done++ {
		var err error
		switch done % 4 {
		case 0:
			id := take()
			_, err = client.Patch(ctx, "/v1.0/users/"+id, map[string]any{"jobTitle": fmt.Sprintf("Bench edit %d", done)})
			if sc.edited == "" {
				sc.edited = id
			}
			sc.edits++
		case 1:
			nick := fmt.Sprintf("bench%s%d", hex.EncodeToString(suffix), done)
			_, err = client.Post(ctx, "/v1.0/users", map[string]any{
				"accountEnabled": true, "displayName": "Bench user " + nick, "mailNickname": nick,
				"userPrincipalName": nick + "@" + s.Tenant().Domain(),
				// A random password for an emulated user; never printed.
				"passwordProfile": map[string]any{"password": "Aa1!" + hex.EncodeToString(pw), "forceChangePasswordNextSignIn": true},
			}, graph.RetryNonIdempotent())
			sc.creates++
		case 2:
			_, err = client.Delete(ctx, "/v1.0/users/"+take())
			sc.deletes++
		case 3:
			g := groups[(done/4)%len(groups)]
			if (done/4)%2 == 0 {
				in := map[string]bool{}
				for _, m := range s.Tenant().Links("group", g, "members") {
					in[strings.ToLower(m)] = true
				}
				u := take()
				for in[strings.ToLower(u)] && next > len(users)/2 {
					u = take()
				}
				_, err = client.Post(ctx, "/v1.0/groups/"+g+"/members/$ref",
					map[string]any{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + u})
				sc.adds++
			} else {
				members := s.Tenant().Links("group", g, "members")
				if len(members) == 0 {
					_, err = client.Patch(ctx, "/v1.0/groups/"+g, map[string]any{"description": fmt.Sprintf("Bench edit %d", done)})
				} else {
					_, err = client.Delete(ctx, "/v1.0/groups/"+g+"/members/"+members[0]+"/$ref")
				}
				sc.removes++
			}
		}
		if err != nil {
			return sc, fmt.Errorf("scripted change %d of %d: %w", done+1, n, err)
		}
	}
	return sc, nil
}
