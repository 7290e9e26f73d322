package graphsim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// The saved tenant format. Save writes one JSON object whose members come
// in this order (load requires "format" and "version" first, so that a file
// of another version is refused before anything else is read):
//
//	format       "graphsim-tenant"
//	version      stateVersion; load refuses any other
//	tenant       {"id", "name", "domain"}, and "rehearsal" (the instance of a
//	             rehearsal's tenant, Options.Rehearsal: loaded, the tenant
//	             still marks its answers, as the same instance)
//	now          the clock's time when saved (RFC 3339)
//	seq          the tenant's sequence counter (creation order, change log)
//	rng          the id generator's state (base64), so a loaded tenant goes on
//	             making the ids the saved one would have made
//	collections  [{"kind", "records": [...]}] in catalog order (KindNames);
//	             records in creation order, each {"seq", "obj", "links",
//	             "visibleAt"}: obj is the stored Graph JSON, links the
//	             members/owners ids, visibleAt set while a just-created
//	             object is still hidden (eventual consistency)
//	recycleBin   soft-deleted records, by seq, each with "kind" and "deletedAt"
//	changesFrom  the log holds the changes after this sequence number
//	changes      the change log that delta queries read
//	clients      the token endpoint's credentials (Tenant.clients): secret
//	             hashes, key ids and certificates, never secret text
//	reservedIDs  (only when there are some) ids no object holds that newID
//	             must not hand out (Tenant.ReserveIDs, ids.go), sorted
//
// The change log is saved whole while it has at most maxSavedChanges
// entries; beyond that only its newest maxSavedChanges entries are kept and
// changesFrom says where they start. Delta tokens issued before a save keep
// working after a load when the changes they need were saved; older ones get
// Graph's 410 resyncRequired, as expired tokens do. Numbers in objects keep
// their exact text (load decodes them as json.Number). Tokens, throttling
// state and statistics belong to the server, not the tenant, and are not saved.
const (
	stateFormat  = "graphsim-tenant"
	stateVersion = 1
)

// maxSavedChanges bounds the saved change log (a variable for tests).
var maxSavedChanges = 200_000

type savedTenant struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Domain    string `json:"domain"`
	Rehearsal string `json:"rehearsal,omitempty"`
}

type savedCollection struct {
	Kind    string        `json:"kind"`
	Records []savedRecord `json:"records"`
}

type savedRecord struct {
	Kind      string              `json:"kind,omitempty"` // recycle bin only
	Seq       uint64              `json:"seq"`
	Obj       map[string]any      `json:"obj"`
	Links     map[string][]string `json:"links,omitempty"`
	VisibleAt *time.Time          `json:"visibleAt,omitempty"`
	DeletedAt *time.Time          `json:"deletedAt,omitempty"` // recycle bin only
}

// Save writes the whole tenant as JSON that New(Options{State: ...}) reads
// back (the format is described above). The same tenant state gives the same
// bytes.
func (t *Tenant) Save(w io.Writer) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	sw := &stateWriter{w: bufio.NewWriterSize(w, 1<<20)}
	sw.enc = json.NewEncoder(&sw.buf)
	sw.enc.SetEscapeHTML(false)

	sw.raw(`{"format":`)
	sw.value(stateFormat)
	sw.raw(`,"version":`)
	sw.value(stateVersion)
	sw.raw(`,"tenant":`)
	sw.value(savedTenant{ID: t.id, Name: t.name, Domain: t.domain, Rehearsal: t.rehearsal})
	sw.raw(`,"now":`)
	sw.value(t.now())
	sw.raw(`,"seq":`)
	sw.value(t.seq)
	if t.pcg != nil {
		state, err := t.pcg.MarshalBinary()
		if err != nil {
			return fmt.Errorf("graphsim: save: rng state: %w", err)
		}
		sw.raw(`,"rng":`)
		sw.value(state)
	}
	sw.raw(",\n\"collections\":[")
	for i, k := range kinds {
		if i > 0 {
			sw.raw(",")
		}
		sw.raw("\n{\"kind\":")
		sw.value(k.Name)
		sw.raw(`,"records":[`)
		n := 0
		for _, r := range t.colls[k.Name].order {
			if r.gone {
				continue
			}
			if n > 0 {
				sw.raw(",")
			}
			n++
			sw.raw("\n")
			sw.value(savedRec(r, false))
		}
		sw.raw("]}")
	}
	sw.raw("],\n\"recycleBin\":[")
	bin := make([]*record, 0, len(t.bin))
	for _, r := range t.bin {
		bin = append(bin, r)
	}
	sort.Slice(bin, func(i, j int) bool { return bin[i].seq < bin[j].seq })
	for i, r := range bin {
		if i > 0 {
			sw.raw(",")
		}
		sw.raw("\n")
		sw.value(savedRec(r, true))
	}
	log, from := t.changes, t.logFloor
	if len(log) > maxSavedChanges {
		log = log[len(log)-maxSavedChanges:]
		from = log[0].Seq - 1
	}
	sw.raw("],\n\"changesFrom\":")
	sw.value(from)
	sw.raw(",\"changes\":[")
	for i, c := range log {
		if i > 0 {
			sw.raw(",")
		}
		sw.raw("\n")
		sw.value(c)
	}
	sw.raw("],\n\"clients\":")
	sw.value(t.clients)
	if len(t.reserved) > 0 {
		sw.raw(",\n\"reservedIDs\":")
		sw.value(t.reserved)
	}
	sw.raw("}\n")
	if sw.err != nil {
		return fmt.Errorf("graphsim: save: %w", sw.err)
	}
	if err := sw.w.Flush(); err != nil {
		return fmt.Errorf("graphsim: save: %w", err)
	}
	return nil
}

func savedRec(r *record, inBin bool) savedRecord {
	sr := savedRecord{Seq: r.seq, Obj: r.view()}
	sr.Links = r.links.toMap()
	if !r.visibleAt.IsZero() {
		v := r.visibleAt.UTC()
		sr.VisibleAt = &v
	}
	if inBin {
		sr.Kind = r.kind.Name
		d := r.deletedAt.UTC()
		sr.DeletedAt = &d
	}
	return sr
}

// stateWriter writes JSON values without HTML escaping, keeping the first error.
type stateWriter struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func (sw *stateWriter) raw(s string) {
	if sw.err == nil {
		_, sw.err = sw.w.WriteString(s)
	}
}

func (sw *stateWriter) value(v any) {
	if sw.err != nil {
		return
	}
	sw.buf.Reset()
	if err := sw.enc.Encode(v); err != nil {
		sw.err = err
		return
	}
	_, sw.err = sw.w.Write(bytes.TrimSuffix(sw.buf.Bytes(), []byte("\n")))
}

// load reads a tenant written by Save. The clock keeps its time unless it is
// behind the saved time: then it is moved forward to it, so a loaded tenant
// never sees its own history in the future.
func load(r io.Reader, clock *Clock) (*Tenant, error) {
	l := &loader{dec: json.NewDecoder(bufio.NewReaderSize(r, 1<<20)), t: newTenant("", "", "", clock, 0), seen: map[string]bool{}}
	l.dec.UseNumber()
	l.dec.DisallowUnknownFields()
	if err := l.run(); err != nil {
		return nil, fmt.Errorf("graphsim: load state: %w", err)
	}
	if !l.now.IsZero() {
		if now := clock.Now(); now.Before(l.now) {
			clock.Advance(l.now.Sub(now))
		}
	}
	return l.t, nil
}

type loader struct {
	dec  *json.Decoder
	t    *Tenant
	seen map[string]bool
	now  time.Time
}

// decodeErr names the member whose value could not be decoded, and where.
func (l *loader) decodeErr(member string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%q: the file ends too early (truncated?)", member)
	}
	return fmt.Errorf("%q (near byte %d): %w", member, l.dec.InputOffset(), err)
}

func (l *loader) run() error {
	tok, err := l.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the state is empty: want a JSON object written by Tenant.Save")
		}
		return fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("the state must be a JSON object written by Tenant.Save, not %v", tok)
	}
	t := l.t
	var seq uint64
	var st savedTenant
	for l.dec.More() {
		tok, err := l.dec.Token()
		if err != nil {
			return l.decodeErr("(member name)", err)
		}
		key, _ := tok.(string)
		if l.seen[key] {
			return fmt.Errorf("member %q appears twice", key)
		}
		l.seen[key] = true
		if key != "format" && key != "version" && !(l.seen["format"] && l.seen["version"]) {
			return fmt.Errorf("member %q comes before \"format\" and \"version\": not a file written by Tenant.Save", key)
		}
		switch key {
		case "format":
			var f string
			if err := l.dec.Decode(&f); err != nil {
				return l.decodeErr(key, err)
			}
			if f != stateFormat {
				return fmt.Errorf("format is %q, want %q", f, stateFormat)
			}
		case "version":
			var v json.Number
			if err := l.dec.Decode(&v); err != nil {
				return l.decodeErr(key, err)
			}
			if v.String() != fmt.Sprint(stateVersion) {
				return fmt.Errorf("unsupported format version %s: this graphsim reads version %d", v, stateVersion)
			}
		case "tenant":
			if err := l.dec.Decode(&st); err != nil {
				return l.decodeErr(key, err)
			}
			if st.ID == "" || st.Domain == "" {
				return fmt.Errorf("\"tenant\" needs an id and a domain, got %+v", st)
			}
			if st.Rehearsal != "" && !rehearsalInstanceRe.MatchString(st.Rehearsal) {
				return fmt.Errorf("\"tenant\": rehearsal %q is not 32 lower-case hexadecimal digits", st.Rehearsal)
			}
			t.id, t.name, t.domain, t.rehearsal = st.ID, st.Name, st.Domain, st.Rehearsal
		case "now":
			if err := l.dec.Decode(&l.now); err != nil {
				return l.decodeErr(key, err)
			}
		case "seq":
			if err := l.dec.Decode(&seq); err != nil {
				return l.decodeErr(key, err)
			}
		case "rng":
			var state []byte
			if err := l.dec.Decode(&state); err != nil {
				return l.decodeErr(key, err)
			}
			if err := t.pcg.UnmarshalBinary(state); err != nil {
				return fmt.Errorf("\"rng\": not a generator state: %w", err)
			}
		case "collections":
			if err := l.collections(); err != nil {
				return err
			}
		case "recycleBin":
			var bin []savedRecord
			if err := l.dec.Decode(&bin); err != nil {
				return l.decodeErr(key, err)
			}
			if err := l.recycleBin(bin); err != nil {
				return err
			}
		case "reservedIDs":
			if err := l.dec.Decode(&t.reserved); err != nil {
				return l.decodeErr(key, err)
			}
			for _, id := range t.reserved {
				if _, ok := parseGUID(id); !ok {
					return fmt.Errorf("\"reservedIDs\": %q is not a GUID", id)
				}
			}
		case "changesFrom":
			if err := l.dec.Decode(&t.logFloor); err != nil {
				return l.decodeErr(key, err)
			}
		case "changes":
			if err := l.dec.Decode(&t.changes); err != nil {
				return l.decodeErr(key, err)
			}
		case "clients":
			var raw json.RawMessage
			if err := l.dec.Decode(&raw); err != nil {
				return l.decodeErr(key, err)
			}
			if err := json.Unmarshal(raw, &t.clients); err != nil {
				return fmt.Errorf("\"clients\": %w", err)
			}
			if t.clients == nil { // "clients": null
				if err := json.Unmarshal([]byte("{}"), &t.clients); err != nil {
					return fmt.Errorf("\"clients\": %w", err)
				}
			}
		default:
			return fmt.Errorf("unknown member %q (written by a newer graphsim?)", key)
		}
	}
	if _, err := l.dec.Token(); err != nil { // the closing brace
		return l.decodeErr("(end of state)", err)
	}
	if _, err := l.dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the state object")
	}
	for _, m := range []string{"format", "version", "tenant", "seq", "collections"} {
		if !l.seen[m] {
			return fmt.Errorf("member %q is missing", m)
		}
	}
	return l.checkSeq(seq)
}

// collections reads the "collections" array one collection at a time.
func (l *loader) collections() error {
	tok, err := l.dec.Token()
	if err != nil {
		return l.decodeErr("collections", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("\"collections\" must be an array, not %v", tok)
	}
	done := map[string]bool{}
	for i := 0; l.dec.More(); i++ {
		var sc savedCollection
		if err := l.dec.Decode(&sc); err != nil {
			return l.decodeErr(fmt.Sprintf("collections[%d]", i), err)
		}
		k := kindByName[sc.Kind]
		if k == nil {
			return fmt.Errorf("collections[%d]: unknown kind %q", i, sc.Kind)
		}
		if done[k.Name] {
			return fmt.Errorf("collections[%d]: kind %q appears twice", i, k.Name)
		}
		done[k.Name] = true
		if err := l.collection(i, k, sc.Records); err != nil {
			return err
		}
	}
	if _, err := l.dec.Token(); err != nil {
		return l.decodeErr("collections", err)
	}
	return nil
}

func (l *loader) collection(i int, k *Kind, recs []savedRecord) error {
	t := l.t
	c := t.colls[k.Name]
	c.order = make([]*record, 0, len(recs))
	var last uint64
	for j, sr := range recs {
		where := fmt.Sprintf("collections[%d] (%s) record %d", i, k.Name, j)
		key, err := l.checkRecord(where, k, sr)
		if err != nil {
			return err
		}
		if sr.DeletedAt != nil || sr.Kind != "" {
			return fmt.Errorf("%s: a live record has \"deletedAt\" or \"kind\" (those belong in \"recycleBin\")", where)
		}
		if sr.Seq <= last {
			return fmt.Errorf("%s: seq %d is not after %d (records must be in creation order)", where, sr.Seq, last)
		}
		last = sr.Seq
		lk := strings.ToLower(key)
		if c.byKey[lk] != nil {
			return fmt.Errorf("%s: a second %s with key %q", where, k.Name, key)
		}
		if k.Directory && t.dirIndex[lk] != nil {
			return fmt.Errorf("%s: id %q is also used by a %s", where, key, t.dirIndex[lk].kind.Name)
		}
		r := &record{kind: k, obj: sr.Obj, seq: sr.Seq, links: t.linkSetFrom(sr.Links)}
		if sr.VisibleAt != nil {
			r.visibleAt = sr.VisibleAt.UTC()
		}
		for p, idx := range c.unique {
			if v := str(r.get(p)); v != "" {
				if o := idx[strings.ToLower(v)]; o != nil {
					return fmt.Errorf("%s: %s %q is also the %s of %s %q", where, p, v, p, k.Name, o.key())
				}
				idx[strings.ToLower(v)] = r
			}
		}
		c.byKey[lk] = r
		c.order = append(c.order, r)
		c.indexAdd(r) // pgindex.go
		if k.Directory {
			t.dirIndex[lk] = r
			t.dirGen++
		}
		t.noteEnd(r) // endqueue.go
	}
	return nil
}

// checkRecord checks what every saved record needs and returns its key.
func (l *loader) checkRecord(where string, k *Kind, sr savedRecord) (string, error) {
	if sr.Obj == nil {
		return "", fmt.Errorf("%s: \"obj\" is missing", where)
	}
	key := str(sr.Obj[k.key()])
	if key == "" {
		return "", fmt.Errorf("%s: obj has no %q", where, k.key())
	}
	if sr.Seq == 0 {
		return "", fmt.Errorf("%s (%s): \"seq\" is missing", where, key)
	}
	return key, nil
}

func (l *loader) recycleBin(bin []savedRecord) error {
	t := l.t
	for i, sr := range bin {
		where := fmt.Sprintf("recycleBin[%d]", i)
		k := kindByName[sr.Kind]
		if k == nil {
			return fmt.Errorf("%s: unknown kind %q", where, sr.Kind)
		}
		if k.SoftDelete == "" {
			return fmt.Errorf("%s: a %s is never soft-deleted", where, k.Name)
		}
		key, err := l.checkRecord(where, k, sr)
		if err != nil {
			return err
		}
		if sr.DeletedAt == nil {
			return fmt.Errorf("%s (%s %s): \"deletedAt\" is missing", where, k.Name, key)
		}
		lk := strings.ToLower(key)
		if t.bin[lk] != nil || t.colls[k.Name].byKey[lk] != nil || t.dirIndex[lk] != nil {
			return fmt.Errorf("%s: id %q is also used by another object", where, key)
		}
		r := &record{kind: k, obj: sr.Obj, seq: sr.Seq, links: t.linkSetFrom(sr.Links), deletedAt: sr.DeletedAt.UTC(), gone: true}
		if sr.VisibleAt != nil {
			r.visibleAt = sr.VisibleAt.UTC()
		}
		t.bin[lk] = r
	}
	return nil
}

// checkSeq checks that every sequence number is within the saved counter and
// that the change log is in order, then sets the counter.
func (l *loader) checkSeq(seq uint64) error {
	t := l.t
	for _, c := range t.colls {
		for _, r := range c.order {
			if r.seq > seq {
				return fmt.Errorf("%s %q has seq %d, after the tenant's seq %d", c.kind.Name, r.key(), r.seq, seq)
			}
		}
	}
	for _, r := range t.bin {
		if r.seq > seq {
			return fmt.Errorf("recycle bin %s %q has seq %d, after the tenant's seq %d", r.kind.Name, r.key(), r.seq, seq)
		}
	}
	if t.logFloor > seq {
		return fmt.Errorf("\"changesFrom\" %d is after the tenant's seq %d", t.logFloor, seq)
	}
	last := t.logFloor
	for i, c := range t.changes {
		if c.Seq <= last || c.Seq > seq {
			return fmt.Errorf("changes[%d]: seq %d is out of order (want after %d, at most %d)", i, c.Seq, last, seq)
		}
		last = c.Seq
	}
	t.seq = seq
	return nil
}
