package main

import (
	"strings"
	"testing"
)

// --version and the version command print the same: the version
// (internal/buildinfo's, TestVersionAndWrite) and what the build recorded.
func TestVersionFlagAndCommand(t *testing.T) {
	c1, v1, _ := runCLI(t, "--version")
	c2, v2, _ := runCLI(t, "version")
	if c1 != exitOK || c2 != exitOK || v1 != v2 || !strings.HasPrefix(v1, "entrasnap version "+version+"\n") {
		t.Errorf("--version (%d):\n%s\nversion (%d):\n%s", c1, v1, c2, v2)
	}
}
