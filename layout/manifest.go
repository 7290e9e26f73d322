package layout

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// ManifestPath is the manifest's path in the repository.
const ManifestPath = ".entrasnap/snapshot.yaml"

// FormatVersion is the repository format entrasnap writes.
const FormatVersion = 1

// Manifest is .entrasnap/snapshot.yaml: what a snapshot holds. It carries no
// time, so the same tenant state gives the same bytes and no change makes no
// commit.
type Manifest struct {
	Format   int
	TenantID string
	Kinds    map[string]ManifestKind // by kind name
	// Access is what the export's access token said it may do (nil: not
	// recorded, e.g. a token that is not a JWT, or an older entrasnap).
	Access *ManifestAccess
}

// ManifestAccess records the access an export ran with, read from its
// access token's claims (not verified: Graph verified them): the evidence
// report compares it with the read permissions `entrasnap kinds` lists.
// It changes only when the app's grants change, so it makes no commit of
// its own otherwise.
type ManifestAccess struct {
	// Type is "application" (an app-only token: Permissions are its roles
	// claim) or "delegated" (a user's token: Permissions are its scp
	// scopes).
	Type        string
	Permissions []string // sorted
	// DirectoryRoles are the directory role template ids the token holds
	// (its wids claim), sorted; empty when it names none.
	DirectoryRoles []string
	// Source says where Permissions were read: AccessFromToken (the
	// token's claims; "" in manifests written before Source) or
	// AccessFromGraph (the token is not a JWT: the app's grants as Graph
	// lists them, live.GrantedAccess).
	Source string
}

// AccessNames returns the distinct names of l (permissions, directory
// role ids) for ManifestAccess, sorted and never nil: names from outside
// (a token's claims, the app's grants as Graph lists them), with the
// empty ones and those longer than 256 bytes left out. (nil and empty
// encode the same in the manifest; never nil keeps an in-memory access
// equal to itself whatever read it.)
func AccessNames(l []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, s := range l {
		if s == "" || len(s) > 256 || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Where ManifestAccess.Permissions come from.
const (
	AccessFromToken = "token"
	AccessFromGraph = "graph"
)

// From is Source, with AccessFromToken for a manifest that does not say.
func (a *ManifestAccess) From() string {
	if a.Source == "" {
		return AccessFromToken
	}
	return a.Source
}

// ManifestKind is one kind in the manifest.
type ManifestKind struct {
	Folder   string
	Objects  int
	Complete bool
	// Reason says why an incomplete kind could not be read (its files are
	// those of an earlier snapshot).
	Reason string
	// NotLicensed names the licence the tenant lacks for the kind: Graph
	// refused the read for it. Complete is false and the files are those
	// of an earlier snapshot, but the snapshot is not incomplete for it.
	NotLicensed string
	// Skipped says why the kind was not read by design (a delegated-only
	// kind and an app-only token): Complete is false and the files are
	// those of an earlier snapshot, but the snapshot is not incomplete
	// for it.
	Skipped string
	// Partial says that Graph answered part of a kind read completely
	// only, and the rest was kept as the previous snapshot held it: which
	// attribute sets a role scoped to them read, which were kept (custom
	// security attributes, live/csavalues.go and csadefs.go). Complete is
	// true; check, history and restore treat the kept files as possibly
	// older than the snapshot (StatePartial).
	Partial string
}

// KindState is how a snapshot holds a kind: the one classification of a
// manifest kind that history, evidence, check and restore share. Its
// values are the stable words the evidence report prints.
type KindState string

const (
	// StateComplete: read completely in this snapshot.
	StateComplete KindState = "complete"
	// StateNotLicensed: Graph refused the read for a licence the tenant
	// lacks; the files, if any, are carried from an earlier snapshot.
	StateNotLicensed KindState = "not-licensed"
	// StateSkipped: not read by design (a delegated-only kind and an
	// app-only token); the files are carried from an earlier snapshot.
	StateSkipped KindState = "skipped"
	// StateIncomplete: the read failed; the files are carried from an
	// earlier snapshot.
	StateIncomplete KindState = "incomplete"
	// StatePartial: read, but Graph answered part of it only (a role
	// scoped to some attribute sets); the rest of its files or values are
	// kept from an earlier snapshot, as the reason says.
	StatePartial KindState = "partial"
)

// State classifies the kind, with the reason that goes with the state:
// the licence the tenant lacks (not-licensed), why it was skipped
// (skipped), why the read failed, "" when none was recorded (incomplete),
// and "" when complete. A licence refusal or a skip wins over the
// Complete flag, as the exporter records them with Complete false; a
// kind read in part (partial, with what was kept) is complete otherwise.
func (k ManifestKind) State() (KindState, string) {
	switch {
	case k.NotLicensed != "":
		return StateNotLicensed, k.NotLicensed
	case k.Skipped != "":
		return StateSkipped, k.Skipped
	case !k.Complete:
		return StateIncomplete, k.Reason
	case k.Partial != "":
		return StatePartial, k.Partial
	}
	return StateComplete, ""
}

// Incomplete reports whether the kind could not be read for a reason
// other than a licence the tenant does not have or a skip by design.
func (k ManifestKind) Incomplete() bool {
	s, _ := k.State()
	return s == StateIncomplete
}

// Encode writes the manifest as canonical YAML.
func (m *Manifest) Encode() []byte {
	kinds := map[string]any{}
	for name, k := range m.Kinds {
		e := map[string]any{
			"folder":   k.Folder,
			"objects":  json.Number(strconv.Itoa(k.Objects)),
			"complete": k.Complete,
		}
		if k.Reason != "" {
			e["reason"] = k.Reason
		}
		if k.NotLicensed != "" {
			e["notLicensed"] = k.NotLicensed
		}
		if k.Skipped != "" {
			e["skipped"] = k.Skipped
		}
		if k.Partial != "" {
			e["partial"] = k.Partial
		}
		kinds[name] = e
	}
	top := map[string]any{
		"format":   json.Number(strconv.Itoa(m.Format)),
		"tenantId": m.TenantID,
		"kinds":    kinds,
	}
	if a := m.Access; a != nil {
		e := map[string]any{"type": a.Type, "permissions": stringList(a.Permissions)}
		if len(a.DirectoryRoles) > 0 {
			e["directoryRoles"] = stringList(a.DirectoryRoles)
		}
		if a.Source != "" && a.Source != AccessFromToken {
			// Written only when not the token's: a manifest from the
			// token's claims keeps the bytes it had before Source.
			e["source"] = a.Source
		}
		top["access"] = e
	}
	return Encode(top)
}

func stringList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func stringsOf(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// DecodeManifest reads a manifest written by Encode.
func DecodeManifest(data []byte) (*Manifest, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Kinds: map[string]ManifestKind{}}
	f, err := intOf(v["format"])
	if err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	if f > FormatVersion {
		return nil, fmt.Errorf("format %d is newer than this entrasnap understands (%d): upgrade entrasnap", f, FormatVersion)
	}
	m.Format = f
	m.TenantID, _ = v["tenantId"].(string)
	kinds, _ := v["kinds"].(map[string]any)
	for name, raw := range kinds {
		e, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("kinds.%s: not a mapping", name)
		}
		n, err := intOf(e["objects"])
		if err != nil {
			return nil, fmt.Errorf("kinds.%s.objects: %w", name, err)
		}
		mk := ManifestKind{Objects: n}
		mk.Folder, _ = e["folder"].(string)
		mk.Complete, _ = e["complete"].(bool)
		mk.Reason, _ = e["reason"].(string)
		mk.NotLicensed, _ = e["notLicensed"].(string)
		mk.Skipped, _ = e["skipped"].(string)
		mk.Partial, _ = e["partial"].(string)
		m.Kinds[name] = mk
	}
	if a, ok := v["access"].(map[string]any); ok {
		m.Access = &ManifestAccess{Permissions: stringsOf(a["permissions"]), DirectoryRoles: stringsOf(a["directoryRoles"])}
		m.Access.Type, _ = a["type"].(string)
		m.Access.Source, _ = a["source"].(string)
	}
	return m, nil
}

func intOf(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("want a number, got %v", v)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return 0, fmt.Errorf("want a whole number, got %s", n)
	}
	return i, nil
}

// Names returns the manifest's kind names in catalog order, unknown ones last.
func (m *Manifest) Names() []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range Kinds() {
		if _, ok := m.Kinds[k.Name]; ok {
			out = append(out, k.Name)
			seen[k.Name] = true
		}
	}
	var rest []string
	for n := range m.Kinds {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
