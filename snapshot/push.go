package snapshot

// Publishing snapshots: starting a review branch from another revision,
// and pushing branches and tags to a remote with credentials from the
// environment.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// StartBranch creates branch ("B" or "refs/heads/B") at the commit rev
// resolves to, unless the branch exists already; created says whether it was
// made. A snapshot written to a new branch then has that commit as its
// parent (a review branch forks from the default branch) instead of being
// the first commit of an unrelated history. The ref is created by
// compare-and-swap: if another process creates it meanwhile, the error wraps
// ErrBranchMoved.
func (r *Repo) StartBranch(ctx context.Context, branch, rev string) (created bool, err error) {
	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	bref := branchRef(branch)
	if err := validRefName(bref); err != nil || !strings.HasPrefix(bref, "refs/heads/") {
		return false, fmt.Errorf("branch %q: not a valid branch name", branch)
	}
	if _, ok, err := r.readRef(bref); err != nil {
		return false, err
	} else if ok {
		return false, nil
	}
	c, err := r.resolveCommit(ctx, rev)
	if err != nil {
		return false, err
	}
	if err := r.updateRef(bref, plumbing.ZeroHash, c.Hash); err != nil {
		return false, err
	}
	return true, nil
}

// ValidBranchName checks a branch name ("B" or "refs/heads/B") as
// `git check-ref-format --branch` does, so that a bad name is refused before
// any work: no "..", "@{", "//", control characters, spaces or any of
// ~^:?*[\, no component starting with "." or ending with ".lock", no
// leading "-", and not "HEAD".
func ValidBranchName(branch string) error {
	short := strings.TrimPrefix(branch, "refs/heads/")
	if strings.HasPrefix(branch, "refs/") && !strings.HasPrefix(branch, "refs/heads/") {
		return fmt.Errorf("%q is not a branch: a branch is a name under refs/heads/", branch)
	}
	if strings.HasPrefix(short, "-") {
		return fmt.Errorf("invalid branch name %q: starts with -", branch)
	}
	if short == "HEAD" {
		return fmt.Errorf("invalid branch name %q: HEAD is reserved", branch)
	}
	return validRefName("refs/heads/" + short)
}

// DeleteBranch removes branch if it still points at commit at (compare and
// swap; otherwise the error wraps ErrBranchMoved). It is for undoing
// StartBranch when nothing was committed: it removes only a loose ref, and
// refuses a branch that packed-refs also holds.
func (r *Repo) DeleteBranch(branch string, at plumbing.Hash) (err error) {
	r.mu.Lock()
	defer r.unlock()
	bref := branchRef(branch)
	if err := validRefName(bref); err != nil || !strings.HasPrefix(bref, "refs/heads/") {
		return fmt.Errorf("branch %q: not a valid branch name", branch)
	}
	if hb, err := r.headBranch(); err == nil && hb == bref {
		return fmt.Errorf("delete %s: HEAD names it", bref)
	}
	p := filepath.Join(r.commonDir, filepath.FromSlash(bref))
	lock := p + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("delete %s: %s exists: another git process is updating it (if none is running, remove that file)", bref, lock)
		}
		return fmt.Errorf("delete %s: %w", bref, err)
	}
	unlock := func() {
		f.Close()
		os.Remove(lock)
	}
	defer func() {
		if f != nil {
			unlock()
		}
	}()
	b, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("delete %s: %w", bref, err)
	}
	if cur, ok := parseHash(strings.TrimSpace(string(b))); !ok || cur != at {
		return fmt.Errorf("%w: %s is at %s, not %s; left alone", ErrBranchMoved, bref, strings.TrimSpace(string(b)), at)
	}
	if packed, err := os.ReadFile(filepath.Join(r.commonDir, "packed-refs")); err == nil && strings.Contains(string(packed), " "+bref+"\n") {
		return fmt.Errorf("delete %s: packed-refs holds it too; use `git branch -D`", bref)
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("delete %s: %w", bref, err)
	}
	unlock()
	f = nil
	// Remove folders the branch name left empty (refs/heads/entrasnap/).
	heads := filepath.Join(r.commonDir, "refs", "heads")
	d := filepath.Dir(p)
	for d != heads && strings.HasPrefix(d, heads) && os.Remove(d) == nil {
		d = filepath.Dir(d)
	}
	return syncDir(d)
}

// RemoteURL returns the (first) URL of the remote named remote in the
// repository's configuration; a remote that is not a configured name is
// taken as a URL or path itself.
func (r *Repo) RemoteURL(remote string) (string, error) {
	r.mu.Lock()
	defer r.unlock()
	return r.remoteURL(remote)
}

func (r *Repo) remoteURL(remote string) (string, error) {
	if rm, err := r.repo.Remote(remote); err == nil {
		if urls := rm.Config().URLs; len(urls) > 0 {
			return urls[0], nil
		}
		return "", fmt.Errorf("remote %q has no URL", RedactURL(remote))
	} else if !errors.Is(err, git.ErrRemoteNotFound) {
		return "", fmt.Errorf("remote %q: %s", RedactURL(remote), scrub(err.Error(), nil))
	}
	if !looksLikeURL(remote) {
		return "", fmt.Errorf("no remote %q in %s: give a configured remote name (git remote -v lists them) or a URL", RedactURL(remote), r.path)
	}
	return remote, nil
}

func looksLikeURL(s string) bool {
	if strings.Contains(s, "://") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return true
	}
	if _, ok := scpLike(s); ok {
		return true
	}
	_, err := os.Stat(s)
	return err == nil
}

// scpLike recognises git's user@host:path form and returns the user.
func scpLike(s string) (user string, ok bool) {
	if strings.Contains(s, "://") {
		return "", false
	}
	i := strings.Index(s, ":")
	if i <= 0 || strings.Contains(s[:i], "/") {
		return "", false
	}
	if u, _, found := strings.Cut(s[:i], "@"); found {
		return u, true
	}
	return "", true
}

// Push sends refs to remote (a configured remote name such as "origin", or
// a URL or path). Each ref is a branch name ("main"), a full ref name
// ("refs/tags/snapshot/20260323T020000Z"), or a refspec "src:dst"; a
// leading "+" forces that one update. Updates are fast-forward only unless
// forced, so a branch that moved on the remote is refused with an error
// that says so; nothing new to send is not an error. auth may be nil (a
// local path, or credentials in an SSH agent); AuthFromEnv builds one from
// the environment. Error messages never hold a password or token: URLs are
// shown without their user information and the auth's secret is masked.
func (r *Repo) Push(ctx context.Context, remote string, refs []string, auth transport.AuthMethod) error {
	if len(refs) == 0 {
		return nil
	}
	specs := make([]config.RefSpec, 0, len(refs))
	for _, ref := range refs {
		spec, err := pushSpec(ref)
		if err != nil {
			return err
		}
		specs = append(specs, spec)
	}

	r.mu.Lock()
	defer r.unlock()
	r.refresh()
	u, err := r.remoteURL(remote)
	if err != nil {
		return err
	}
	opts := &git.PushOptions{RefSpecs: specs, Auth: auth}
	var rm *git.Remote
	if named, err := r.repo.Remote(remote); err == nil {
		rm = named
		opts.RemoteName = remote
	} else {
		rm = git.NewRemote(r.repo.Storer, &config.RemoteConfig{Name: "entrasnap-push", URLs: []string{u}})
		opts.RemoteName = "entrasnap-push"
	}
	err = rm.PushContext(ctx, opts)
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	if err != nil {
		msg := scrub(err.Error(), auth)
		hint := ""
		switch {
		case strings.Contains(msg, "non-fast-forward"):
			hint = "; the remote branch has commits this repository lacks: fetch it first (git fetch), or push to a new branch"
		case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
			hint = "; give credentials in the environment: GIT_TOKEN (or GITHUB_TOKEN) for HTTPS, GIT_SSH_KEY_FILE or an SSH agent for SSH"
		}
		where := RedactURL(remote)
		if ru := RedactURL(u); ru != where {
			where += " (" + ru + ")"
		}
		return fmt.Errorf("push %s to %s: %s%s", strings.Join(refs, ", "), where, msg, hint)
	}
	return nil
}

// pushSpec turns a branch name, ref name or refspec into a push refspec.
func pushSpec(ref string) (config.RefSpec, error) {
	force := strings.HasPrefix(ref, "+")
	s := strings.TrimPrefix(ref, "+")
	src, dst, hasDst := strings.Cut(s, ":")
	full := func(n string) string {
		if strings.HasPrefix(n, "refs/") {
			return n
		}
		return "refs/heads/" + n
	}
	if !hasDst {
		dst = src
	}
	src, dst = full(src), full(dst)
	if err := validRefName(src); err != nil {
		return "", fmt.Errorf("push %q: %w", ref, err)
	}
	if err := validRefName(dst); err != nil {
		return "", fmt.Errorf("push %q: %w", ref, err)
	}
	spec := src + ":" + dst
	if force {
		spec = "+" + spec
	}
	rs := config.RefSpec(spec)
	if err := rs.Validate(); err != nil {
		return "", fmt.Errorf("push %q: %w", ref, err)
	}
	return rs, nil
}

// AuthFromEnv chooses push credentials for remoteURL from the environment:
//
//   - HTTP(S): the token in GIT_TOKEN, else GITHUB_TOKEN, as HTTP basic
//     auth with user GIT_USERNAME (default "x-access-token", as GitHub
//     expects; Azure Repos and GitLab accept any user name with a token).
//     Without a token, nil: credentials in the URL, if any, are used.
//   - SSH (ssh:// or user@host:path): the private key file GIT_SSH_KEY_FILE
//     (passphrase in GIT_SSH_KEY_PASSPHRASE), else the agent at
//     SSH_AUTH_SOCK; the user is the URL's, or "git". Host keys are checked
//     against known_hosts (SSH_KNOWN_HOSTS or ~/.ssh/known_hosts).
//   - a local path or file://: nil.
//
// The token never appears in the returned value's String form nor in
// errors from Push.
func AuthFromEnv(remoteURL string) (transport.AuthMethod, error) {
	if user, ok := scpLike(remoteURL); ok {
		return sshAuth(user)
	}
	u, err := url.Parse(remoteURL)
	if err != nil || u.Scheme == "" {
		return nil, nil // a local path
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		token := os.Getenv("GIT_TOKEN")
		if token == "" {
			token = os.Getenv("GITHUB_TOKEN")
		}
		if token == "" {
			return nil, nil
		}
		user := os.Getenv("GIT_USERNAME")
		if user == "" {
			user = "x-access-token"
		}
		return &githttp.BasicAuth{Username: user, Password: token}, nil
	case "ssh", "git+ssh", "ssh+git":
		return sshAuth(u.User.Username())
	}
	return nil, nil
}

func sshAuth(user string) (transport.AuthMethod, error) {
	if user == "" {
		user = "git"
	}
	if key := os.Getenv("GIT_SSH_KEY_FILE"); key != "" {
		a, err := gitssh.NewPublicKeysFromFile(user, key, os.Getenv("GIT_SSH_KEY_PASSPHRASE"))
		if err != nil {
			return nil, fmt.Errorf("GIT_SSH_KEY_FILE %s: %w", key, err)
		}
		return a, nil
	}
	if os.Getenv("SSH_AUTH_SOCK") != "" {
		a, err := gitssh.NewSSHAgentAuth(user)
		if err != nil {
			return nil, fmt.Errorf("SSH agent (SSH_AUTH_SOCK): %w", err)
		}
		return a, nil
	}
	return nil, nil
}

// RedactURL returns s, a remote URL or path, fit to print: the user
// information of a URL ("https://user:token@host/...", where GitHub also
// accepts the token as the user name) is replaced by "***", and the value
// of any query parameter whose name looks like it holds a credential
// (token, key, secret, password, sig, auth, code) by "xxxxx". Everything
// else is kept, so the message still names the remote.
func RedactURL(s string) string {
	return urlPattern.ReplaceAllStringFunc(s, redactOne)
}

// urlPattern finds URLs in free text (as go-git's errors quote them).
var urlPattern = regexp.MustCompile(`(?i)[a-z][a-z0-9+.-]*://[^\s"'<>` + "`" + `]*`)

// secretParam matches query parameter names whose value may be a credential.
var secretParam = regexp.MustCompile(`(?i)(token|key|secret|passw|pwd|sig|auth|code|credential)`)

func redactOne(u string) string {
	i := strings.Index(u, "://") + 3
	rest := u[i:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = "***" + rest[at:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		query, frag, hasFrag := strings.Cut(rest[q+1:], "#")
		params := strings.Split(query, "&")
		for j, kv := range params {
			if k, _, ok := strings.Cut(kv, "="); ok && secretParam.MatchString(k) {
				params[j] = k + "=xxxxx"
			}
		}
		rest = rest[:q+1] + strings.Join(params, "&")
		if hasFrag {
			rest += "#" + frag
		}
	}
	return u[:i] + rest
}

// redactURL is RedactURL (kept for the callers in this package).
func redactURL(s string) string { return RedactURL(s) }

// secretEnv names the environment variables whose values are never shown.
var secretEnv = []string{"GIT_TOKEN", "GITHUB_TOKEN", "GIT_SSH_KEY_PASSPHRASE"}

// Scrub makes a message fit to print: it masks the values of GIT_TOKEN,
// GITHUB_TOKEN and GIT_SSH_KEY_PASSPHRASE, and the credentials of every URL
// in it (see RedactURL).
func Scrub(msg string) string { return scrub(msg, nil) }

// ScrubWriter masks credentials (Scrub) in what is written to W.
type ScrubWriter struct{ W io.Writer }

func (s ScrubWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.W, Scrub(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// scrub masks the secret of auth, the secrets of the environment and the
// credentials of URLs in a message.
func scrub(msg string, auth transport.AuthMethod) string {
	var secrets []string
	switch a := auth.(type) {
	case *githttp.BasicAuth:
		secrets = append(secrets, a.Password)
	case *githttp.TokenAuth:
		secrets = append(secrets, a.Token)
	}
	for _, v := range secretEnv {
		secrets = append(secrets, os.Getenv(v))
	}
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
			if e := url.QueryEscape(s); e != s {
				msg = strings.ReplaceAll(msg, e, "xxxxx")
			}
			if e := url.PathEscape(s); e != s {
				msg = strings.ReplaceAll(msg, e, "xxxxx")
			}
		}
	}
	return RedactURL(msg)
}
