package layout

import (
	"strings"
	"testing"
)

func TestDecodeConfig(t *testing.T) {
	c, err := DecodeConfig([]byte("users:\n  keepProperties: [department, manager, assignedLicenses]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"department", "manager", "assignedLicenses", "id", "userPrincipalName", "accountEnabled"} {
		if !strings.Contains(","+strings.Join(c.UserProperties, ",")+",", ","+p+",") {
			t.Errorf("%s not kept: %v", p, c.UserProperties)
		}
	}
	if c, err := DecodeConfig([]byte("{}\n")); err != nil || c.UserProperties != nil {
		t.Errorf("no setting: %v %v", c, err)
	}
	for in, want := range map[string]string{
		"groups: {}\n":                                   "unknown setting \"groups\"",
		"users:\n  drop: [x]\n":                          "unknown setting users.drop",
		"users:\n  keepProperties: department\n":         "want a list",
		"users:\n  keepProperties: [passwordProfile]\n":  "\"passwordProfile\" is not a user property",
		"users:\n  keepProperties: [signInActivity]\n":   "\"signInActivity\" is not a user property",
		"users:\n  keepProperties: [\"a\\u202eb\\r\"]\n": `"a\u202eb\r" is not a user property`,
		"users: [\n": ConfigPath,
	} {
		if _, err := DecodeConfig([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
