package importer

import (
	"strings"
	"testing"
)

// A recreated Conditional Access policy that requires a terms of use
// agreement says that no snapshot holds agreements; the id (hostile here)
// is sent as it was and shown escaped.
func TestRecreatedPolicyRequiringTermsOfUseIsWarnedAbout(t *testing.T) {
	pol := policy(t, pA, "Require ToU", "enabled", strs(), strs())
	pol.Data["grantControls"].(map[string]any)["termsOfUse"] = strs("0ec9f6a6-159d-4dd8-a563-1f0b5935e80b\u202e\r")
	plain := policy(t, pB, "No ToU", "enabled", strs(), strs())
	in := input([]*Object{pol, plain}, nil, func(in *Input) { in.Options.CAState = CAStateAsIs })
	p := compute(t, in)
	if opList(p) != "create,create" {
		t.Fatalf("plan:\n%s", render(p))
	}
	var warned, other string
	for _, a := range p.Actions {
		if a.Key == pA {
			warned = strings.Join(a.Warnings, "\n")
			if tou := asSlice(dig(bodyOf(t, a), "grantControls", "termsOfUse")); len(tou) != 1 || !strings.HasPrefix(str(tou[0]), "0ec9f6a6-") {
				t.Errorf("termsOfUse not sent as it was: %v", tou)
			}
		} else {
			other = strings.Join(a.Warnings, "\n")
		}
	}
	if !strings.Contains(warned, "terms of use agreement 0ec9f6a6-159d-4dd8-a563-1f0b5935e80b") || !strings.Contains(warned, "no snapshot holds") {
		t.Errorf("no warning about the agreement: %q", warned)
	}
	if strings.ContainsAny(warned, "\u202e\r") {
		t.Errorf("the id is not escaped in the warning: %q", warned)
	}
	if strings.Contains(other, "terms of use") {
		t.Errorf("a policy without terms of use is warned about: %q", other)
	}
}
