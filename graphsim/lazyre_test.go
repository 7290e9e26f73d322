package graphsim

import "testing"

// TestLazyRegexpsCompile compiles every pattern made with lazyRE, so a bad
// pattern fails here rather than at the first request that needs it.
func TestLazyRegexpsCompile(t *testing.T) {
	if len(lazyRegexps) < 10 {
		t.Fatalf("only %d lazy regexps registered; the package-level patterns moved?", len(lazyRegexps))
	}
	for _, l := range lazyRegexps {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("pattern %q does not compile: %v", l.src, r)
				}
			}()
			if l.get() == nil {
				t.Errorf("pattern %q compiled to nil", l.src)
			}
		}()
	}
	if !attrSetID.MatchString("Engineering") || attrSetID.MatchString("has space") {
		t.Error("attrSetID does not match as before")
	}
}
