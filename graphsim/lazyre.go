package graphsim

import (
	"regexp"
	"sync"
)

// lazyRegexp is a regular expression compiled on first use. Every entrasnap
// process links graphsim (for `entrasnap graphsim` and rehearsals), so a
// package-level regexp.MustCompile is paid by `entrasnap --version` too: the
// Unicode classes of attrSetID alone cost 1.2 MB at start-up. The patterns
// are constants; TestLazyRegexpsCompile compiles every one of them, so a bad
// pattern still fails a test rather than a request.
type lazyRegexp struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
}

// lazyRegexps lists every lazyRegexp made, for TestLazyRegexpsCompile.
var lazyRegexps []*lazyRegexp

func lazyRE(src string) *lazyRegexp {
	l := &lazyRegexp{src: src}
	lazyRegexps = append(lazyRegexps, l)
	return l
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.src) })
	return l.re
}

func (l *lazyRegexp) MatchString(s string) bool { return l.get().MatchString(s) }

func (l *lazyRegexp) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }

func (l *lazyRegexp) FindAllString(s string, n int) []string { return l.get().FindAllString(s, n) }

func (l *lazyRegexp) Split(s string, n int) []string { return l.get().Split(s, n) }
