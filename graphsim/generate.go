package graphsim

import "fmt"

// Sizes are the generator's knobs; zero fields take the profile's defaults.
type Sizes struct {
	Users           int `json:"users"`
	Groups          int `json:"groups"`
	MembersPerGroup int `json:"membersPerGroup"`
	Apps            int `json:"apps"`
	CAPolicies      int `json:"caPolicies"`
}

// buildTenant creates the tenant for opts.Profile.
func buildTenant(opts Options, clock *Clock) (*Tenant, error) {
	switch opts.Profile {
	case "empty", "demo", "large":
	default:
		return nil, fmt.Errorf("graphsim: unknown profile %q (want empty, demo or large)", opts.Profile)
	}
	id := opts.TenantID
	t := newTenant("", opts.TenantName, "", clock, opts.Seed)
	if id == "" {
		id = t.newID()
	}
	t.id = id
	t.domain = opts.Domain
	if t.domain == "" {
		t.domain = fmt.Sprintf("%s.onmicrosoft.com", lowerAlnum(opts.TenantName))
	}
	return t, nil
}

func lowerAlnum(s string) string {
	var b []byte
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+32)
		}
	}
	return string(b)
}
