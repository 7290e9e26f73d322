package layout

import (
	"fmt"
	"sort"
	"strings"
)

// ConfigPath is the repository's own settings file, which the
// administrator writes and commits; export reads it from the snapshot it
// starts from (and keeps it in every snapshot, as it keeps any file that is
// no object's).
//
//	users:
//	  keepProperties: [accountEnabled, department, usageLocation, assignedLicenses, manager]
//
// users.keepProperties is the allow-list of user properties a snapshot
// holds (issue 13, "Opt-in and opt-out": some organisations must not keep
// personal data in git); every other property is read but never written.
// A few properties are always kept (UserPropertiesAlwaysKept): without them
// a user cannot be named, matched or created.
const ConfigPath = ".entrasnap/config.yaml"

// UserPropertiesAlwaysKept are kept whatever the allow-list says: the id and
// what restore needs to create a user (user-post-users: accountEnabled,
// displayName, mailNickname, userPrincipalName) and to tell a synced one.
var UserPropertiesAlwaysKept = []string{"id", "userPrincipalName", "displayName", "mailNickname", "accountEnabled", "userType", "onPremisesSyncEnabled"}

// Config is ConfigPath's content.
type Config struct {
	// UserProperties is users.keepProperties (nil: keep every property),
	// sorted, with UserPropertiesAlwaysKept.
	UserProperties []string
}

// DecodeConfig reads ConfigPath strictly: an unknown setting or a user
// property entrasnap does not store is an error naming it.
func DecodeConfig(data []byte) (*Config, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigPath, err)
	}
	c := &Config{}
	for key, val := range v {
		if key != "users" {
			return nil, fmt.Errorf("%s: unknown setting %s (entrasnap knows users.keepProperties)", ConfigPath, quote(Safe(key)))
		}
		u, ok := val.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: users: want a mapping with keepProperties", ConfigPath)
		}
		for ukey, uval := range u {
			if ukey != "keepProperties" {
				return nil, fmt.Errorf("%s: unknown setting users.%s (entrasnap knows users.keepProperties)", ConfigPath, Safe(ukey))
			}
			list, ok := uval.([]any)
			if !ok {
				return nil, fmt.Errorf("%s: users.keepProperties: want a list of user property names", ConfigPath)
			}
			known := userPropertyNames()
			keep := map[string]bool{}
			for _, p := range UserPropertiesAlwaysKept {
				keep[p] = true
			}
			for _, e := range list {
				s, _ := e.(string)
				if !known[s] {
					names := make([]string, 0, len(known))
					for n := range known {
						names = append(names, n)
					}
					sort.Strings(names)
					return nil, fmt.Errorf("%s: users.keepProperties: %s is not a user property entrasnap stores; use some of: %s", ConfigPath, quote(Safe(fmt.Sprint(e))), strings.Join(names, ", "))
				}
				keep[s] = true
			}
			c.UserProperties = make([]string, 0, len(keep))
			for p := range keep {
				c.UserProperties = append(c.UserProperties, p)
			}
			sort.Strings(c.UserProperties)
		}
	}
	return c, nil
}

// userPropertyNames are the user properties a snapshot can hold: the
// users kind's $select less what is never written, and its children.
func userPropertyNames() map[string]bool {
	k, _ := Lookup("users")
	out := map[string]bool{}
	for _, p := range k.Select {
		out[p] = true
	}
	for _, p := range append(append([]string(nil), k.Volatile...), k.Secret...) {
		delete(out, p)
	}
	for _, ch := range k.Children {
		out[ch.Name] = true
	}
	return out
}
