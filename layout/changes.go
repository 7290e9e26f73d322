package layout

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Who changed it: the directory audit records an export keeps with each
// snapshot, .entrasnap/changes/<snapshot time>.yaml, so that attribution
// outlives Graph's retention (7 or 30 days). The exporter writes them, the
// history commands read them; this is the one format both use.

// ChangesDir is the folder of the audit records kept with snapshots.
const ChangesDir = ".entrasnap/changes"

// ChangesFormat is the version of the changes files this entrasnap writes.
const ChangesFormat = 1

// Bounds of a changes file: one odd record never makes it huge.
const (
	MaxChangeRecords    = 5000
	MaxChangeTargets    = 20
	MaxChangeProperties = 100
	MaxChangeValue      = 2048 // bytes of one string
)

// ChangesPath is the changes file of the snapshot taken at t.
func ChangesPath(t time.Time) string {
	return ChangesDir + "/" + t.UTC().Format("20060102T150405Z") + ".yaml"
}

// ChangesTime is the snapshot time a changes file's name carries.
func ChangesTime(p string) (time.Time, bool) {
	if path.Dir(p) != ChangesDir {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405Z", strings.TrimSuffix(path.Base(p), ".yaml"))
	return t, err == nil
}

// ChangeRecord is one directory audit record: who changed what, when.
type ChangeRecord struct {
	ID       string    // Graph's directoryAudit id (records are deduplicated by it)
	Time     time.Time // activityDateTime
	Activity string    // activityDisplayName: "Update conditional access policy"
	Service  string    // loggedByService
	Actor    ChangeActor
	Targets  []ChangeTarget
}

// ChangeActor is who made the change: a user (UserPrincipalName, with
// App the application they used when Graph names it) or an application.
type ChangeActor struct {
	Type              string // "user" or "app"
	ID                string // the user's object id, or the app's service principal id
	Name              string // display name
	UserPrincipalName string
	AppID             string
	App               string // the application a user acted through, when known
}

// ChangeTarget is one object a record names. Kind is the entrasnap kind
// when the object is one the repository backs up ("" otherwise).
type ChangeTarget struct {
	ID         string
	Kind       string
	Type       string // Graph's targetResource type: User, Group, Policy, ...
	Name       string
	Properties []ChangeProperty
}

// ChangeProperty is one modified property, its values as Graph encodes
// them (JSON text).
type ChangeProperty struct {
	Name string
	Old  string
	New  string
}

// Names reports whether the record names the object id as a target.
func (c ChangeRecord) Names(id string) bool {
	for _, t := range c.Targets {
		if sameKey(t.ID, id) {
			return true
		}
	}
	return false
}

func sameKey(a, b string) bool {
	if IsGUID(a) && IsGUID(b) {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// Describe is the record for a person, one line, every string from Graph
// made safe for a terminal (Safe): "changed by alice@contoso.com,
// 2026-12-06 14:02 UTC, Update conditional access policy" (with "(app)"
// after the user when the record names an app next to the user, which
// Graph's documented records of a user's change do not: "app": null).
func (c ChangeRecord) Describe() string {
	return fmt.Sprintf("changed by %s, %s, %s", Safe(c.Actor.Describe()), c.Time.UTC().Format("2006-01-02 15:04 UTC"), Safe(c.Activity))
}

// Describe names the actor: a user by user principal name (and the app
// they used), an app by display name and appId.
func (a ChangeActor) Describe() string {
	switch a.Type {
	case "user":
		who := a.UserPrincipalName
		if who == "" {
			who = a.Name
		}
		if who == "" {
			who = "user " + a.ID
		}
		if a.App != "" {
			who += " (" + a.App + ")"
		}
		return who
	default:
		name := a.Name
		if name == "" {
			name = "an application"
		}
		if a.AppID != "" {
			return fmt.Sprintf("app %s (appId %s)", name, a.AppID)
		}
		return "app " + name
	}
}

// bound makes a string from Graph fit a file: valid UTF-8, at most
// MaxChangeValue bytes (cut at a character boundary, marked).
func bound(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxChangeValue {
		return s
	}
	cut := MaxChangeValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(cut)"
}

// SortChanges orders records by time, then id.
func SortChanges(recs []ChangeRecord) {
	sort.SliceStable(recs, func(i, j int) bool {
		if !recs[i].Time.Equal(recs[j].Time) {
			return recs[i].Time.Before(recs[j].Time)
		}
		return recs[i].ID < recs[j].ID
	})
}

// EncodeChanges writes records as canonical YAML: sorted by time and id,
// strings bounded, at most MaxChangeRecords records (the newest are kept;
// "dropped" counts the others).
func EncodeChanges(recs []ChangeRecord) []byte {
	recs = append([]ChangeRecord(nil), recs...)
	SortChanges(recs)
	dropped := 0
	if len(recs) > MaxChangeRecords {
		dropped = len(recs) - MaxChangeRecords
		recs = recs[dropped:]
	}
	list := make([]any, 0, len(recs))
	for _, r := range recs {
		actor := map[string]any{"type": bound(r.Actor.Type)}
		for k, v := range map[string]string{"id": r.Actor.ID, "name": r.Actor.Name, "userPrincipalName": r.Actor.UserPrincipalName,
			"appId": r.Actor.AppID, "app": r.Actor.App} {
			if v != "" {
				actor[k] = bound(v)
			}
		}
		targets := []any{}
		for i, t := range r.Targets {
			if i == MaxChangeTargets {
				break
			}
			tm := map[string]any{"id": bound(t.ID)}
			for k, v := range map[string]string{"kind": t.Kind, "type": t.Type, "name": t.Name} {
				if v != "" {
					tm[k] = bound(v)
				}
			}
			var props []any
			for j, p := range t.Properties {
				if j == MaxChangeProperties {
					break
				}
				props = append(props, map[string]any{"name": bound(p.Name), "old": bound(p.Old), "new": bound(p.New)})
			}
			if len(props) > 0 {
				tm["properties"] = props
			}
			targets = append(targets, tm)
		}
		rec := map[string]any{"id": bound(r.ID), "time": r.Time.UTC().Format(time.RFC3339), "activity": bound(r.Activity),
			"actor": actor, "targets": targets}
		if r.Service != "" {
			rec["service"] = bound(r.Service)
		}
		list = append(list, rec)
	}
	doc := map[string]any{"format": json.Number(strconv.Itoa(ChangesFormat)), "records": list}
	if dropped > 0 {
		doc["dropped"] = json.Number(strconv.Itoa(dropped))
	}
	return Encode(doc)
}

// DecodeChanges reads a changes file written by EncodeChanges.
func DecodeChanges(data []byte) ([]ChangeRecord, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, err
	}
	f, err := intOf(v["format"])
	if err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	if f > ChangesFormat {
		return nil, fmt.Errorf("format %d is newer than this entrasnap understands (%d): upgrade entrasnap", f, ChangesFormat)
	}
	s := func(m map[string]any, k string) string { x, _ := m[k].(string); return x }
	raw, _ := v["records"].([]any)
	out := make([]ChangeRecord, 0, len(raw))
	for i, x := range raw {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("records[%d]: not a mapping", i)
		}
		tm, err := time.Parse(time.RFC3339, s(m, "time"))
		if err != nil {
			return nil, fmt.Errorf("records[%d].time: %v", i, err)
		}
		r := ChangeRecord{ID: s(m, "id"), Time: tm, Activity: s(m, "activity"), Service: s(m, "service")}
		if a, ok := m["actor"].(map[string]any); ok {
			r.Actor = ChangeActor{Type: s(a, "type"), ID: s(a, "id"), Name: s(a, "name"), UserPrincipalName: s(a, "userPrincipalName"),
				AppID: s(a, "appId"), App: s(a, "app")}
		}
		ts, _ := m["targets"].([]any)
		for _, y := range ts {
			tmap, ok := y.(map[string]any)
			if !ok {
				continue
			}
			t := ChangeTarget{ID: s(tmap, "id"), Kind: s(tmap, "kind"), Type: s(tmap, "type"), Name: s(tmap, "name")}
			ps, _ := tmap["properties"].([]any)
			for _, z := range ps {
				if pm, ok := z.(map[string]any); ok {
					t.Properties = append(t.Properties, ChangeProperty{Name: s(pm, "name"), Old: s(pm, "old"), New: s(pm, "new")})
				}
			}
			r.Targets = append(r.Targets, t)
		}
		out = append(out, r)
	}
	return out, nil
}

// SnapshotTime is when the snapshot that made a commit was taken: the time
// in the name of its first snapshot tag ("snapshot/20260320T101500Z"; later
// tags are runs that found no change), else the commit's time.
func SnapshotTime(tags []string, commitTime time.Time) time.Time {
	for _, t := range tags {
		name, ok := strings.CutPrefix(t, "snapshot/")
		if !ok {
			continue
		}
		name, _, _ = strings.Cut(name, "-")
		if tm, err := time.Parse("20060102T150405Z", name); err == nil {
			return tm.UTC()
		}
	}
	return commitTime.UTC()
}
