package importer

import (
	"fmt"
	"strings"

	"github.com/entrasnap/entrasnap/layout"
)

// credentials lists the secrets and certificates that must be re-issued.
func (pl *planner) credentials(s *objState) {
	if s.k.Name != "applications" && s.k.Name != "service-principals" {
		return
	}
	var current *Object
	switch s.mode {
	case modeLive:
		current = s.live
	case modeBin:
		current = s.bin
	case modeCreate:
	default:
		return
	}
	have := map[string]bool{}
	if current != nil {
		for _, p := range []string{"passwordCredentials", "keyCredentials"} {
			for _, c := range asSlice(current.Data[p]) {
				if m, ok := c.(map[string]any); ok {
					have[strings.ToLower(str(m["keyId"]))] = true
				}
			}
		}
	}
	for _, p := range []string{"passwordCredentials", "keyCredentials"} {
		typ := "client secret"
		if p == "keyCredentials" {
			typ = "certificate"
		}
		for _, c := range asSlice(s.d.Data[p]) {
			m, ok := c.(map[string]any)
			if !ok || have[strings.ToLower(str(m["keyId"]))] {
				continue
			}
			pl.p.Credentials = append(pl.p.Credentials, Credential{Kind: s.k.Name, Key: s.d.Key, Name: displayName(s.d), Type: typ,
				KeyID: str(m["keyId"]), DisplayName: str(m["displayName"]), Expires: str(m["endDateTime"])})
		}
	}
}

// snapshotWarnings says when the selected objects of a kind are not as at
// REV (the kind was carried forward) and when the live tenant is unknown.
func (pl *planner) snapshotWarnings() {
	counts := map[string]int{}
	for _, s := range pl.states {
		if _, ok := pl.in.Incomplete[s.k.Name]; ok {
			counts[s.k.Name]++
		}
	}
	for _, k := range layout.Kinds() {
		if n := counts[k.Name]; n > 0 {
			pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf("%s: the selected objects (%d) may be older than %s: the snapshot holds this kind incomplete (%s)",
				k.Title, n, pl.in.Rev, pl.in.Incomplete[k.Name]))
		}
	}
	if pl.in.TenantID == "" {
		pl.p.Warnings = append(pl.p.Warnings, "the tenant Graph answers for is unknown (/organization cannot be read and the token has no tid claim): this plan cannot be applied")
	}
}
