package live

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// A delta round must hold what it merged until it ends: Graph may send an
// object again on a later page, with more of its relationships
// (learn.microsoft.com/graph/api/group-delta: "the same group may be
// returned more than once", members@delta in slices;
// shared/reference/graph-semantics.md, delta). A full read of a large
// tenant's groups is one such round: at 1.2M users and 200,000 groups it
// held every group's properties and ten million membership refs (about
// 130 MB at 50,000 groups) until the last page (issue 12, peak memory).
//
// roundSpill keeps them on disk instead once they pass spillAfter bytes:
// each object's items are appended to a temporary file as records (its
// properties as JSON, its relationship events as 20-byte refs), the
// object keeping only their offsets; build reads an object's records back
// and merges them when it makes the object (load), one object at a time.
// The merge is the one the round does in memory, so the files are the same
// byte for byte (TestSpilledRoundBuildsTheSameObjects).
type roundSpill struct {
	dir   string // where the temporary file goes ("": os.TempDir)
	limit int64  // bytes held in memory before spilling
	held  int64  // bytes held in memory so far (props and refs)
	tab   *refTable
	f     *os.File
	w     *bufio.Writer
	off   int64 // the file's size, written or buffered
	// unlink: the file could not be removed while open (not Unix), so it
	// is removed on close.
	unlink bool
	buf    []byte // a record being written
	rbuf   []byte // the records of an object being read (load)
}

// spillAfter is how many bytes a delta round holds merged in memory before
// it moves them to a temporary file (a variable for tests).
var spillAfter int64 = 16 << 20

// spilling says whether the round's items now go to the file.
func (s *roundSpill) spilling() bool { return s != nil && s.f != nil }

// start opens the temporary file and moves the merged objects held so far
// into it.
func (s *roundSpill) start(order []*deltaChange) error {
	f, err := os.CreateTemp(s.dir, "entrasnap-delta-*")
	if err != nil {
		return fmt.Errorf("a delta round holds more than %d MB: moving it to a temporary file: %w", s.limit>>20, err)
	}
	// Removed at once where the system allows it: nothing is left behind
	// by a crash.
	if os.Remove(f.Name()) != nil {
		s.unlink = true
	}
	s.f, s.w = f, bufio.NewWriterSize(f, 256<<10)
	for _, ch := range order {
		if ch.removed || ch.props == nil && ch.rels == nil {
			continue
		}
		if err := s.put(ch, ch); err != nil {
			return err
		}
		ch.props, ch.rels = nil, nil
	}
	s.held = 0
	return nil
}

// put appends item (one merged item or several) as a record of ch.
func (s *roundSpill) put(ch, item *deltaChange) error {
	b := s.buf[:0]
	b = binary.AppendUvarint(b, uint64(len(item.props)))
	b = append(b, item.props...)
	b = binary.AppendUvarint(b, uint64(len(item.rels)))
	for _, rc := range item.rels {
		b = binary.AppendUvarint(b, uint64(len(rc.name)))
		b = append(b, rc.name...)
		b = binary.AppendUvarint(b, uint64(len(rc.events)))
		for _, e := range rc.events {
			b = append(b, e.g[:]...)
			b = binary.LittleEndian.AppendUint32(b, e.meta)
		}
	}
	if uint64(len(b)) > math.MaxUint32 {
		return fmt.Errorf("an item of %s in a delta round is over 4 GB", ch.id)
	}
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(b)))
	if _, err := s.w.Write(n[:]); err != nil {
		return s.writeErr(err)
	}
	if _, err := s.w.Write(b); err != nil {
		return s.writeErr(err)
	}
	ch.recs = append(ch.recs, s.off)
	ch.sp = s
	s.off += int64(len(n) + len(b))
	s.buf = b[:0]
	if cap(s.buf) > 1<<20 {
		s.buf = nil // a huge item's buffer is not kept
	}
	return nil
}

func (s *roundSpill) writeErr(err error) error {
	return fmt.Errorf("writing a delta round to a temporary file in %s: %w", s.where(), err)
}

func (s *roundSpill) where() string {
	if s.dir == "" {
		return os.TempDir()
	}
	return s.dir
}

// finish makes what was written readable.
func (s *roundSpill) finish() error {
	if !s.spilling() {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return s.writeErr(err)
	}
	return nil
}

// close removes the temporary file.
func (s *roundSpill) close() {
	if !s.spilling() {
		return
	}
	s.f.Close()
	if s.unlink {
		os.Remove(s.f.Name())
	}
	s.f, s.w = nil, nil
}

var errSpillCorrupt = errors.New("a delta round's temporary file does not read back as written")

// load gives ch its merged properties and relationships back from its
// records, merged as the round merges items in memory: each item's
// properties over the previous ones, its relationship events after theirs.
// (The file is entrasnap's own, written by this process: a record that
// does not parse is an error, never trusted further.)
//
// A large group is many records (a slice of deltaRefsPerItem members
// each, graphsim's and Graph's): the records are read first and counted,
// so each relationship's events are made once at their size (growing them
// record by record copied a 100,000-member group's events thousands of
// times: quadratic), and a record whose properties repeat the previous
// one's (the later slices carry the id alone) merges nothing.
func (ch *deltaChange) load() error {
	s := ch.sp
	if s == nil || ch.recs == nil {
		return nil
	}
	// (A spilled change holds nothing in memory but its records' places;
	// apply drops what this brings back once the object is made, so a
	// second load reads the records again.)
	ch.props, ch.rels = nil, nil
	recs, err := s.readRecords(ch.recs)
	if err != nil {
		return err
	}
	// Pass 1: the events of each relationship, to make them at their size.
	var counts map[string]int
	for _, b := range recs {
		_, rest, err := spillBytes(b)
		if err != nil {
			return err
		}
		err = spillRels(rest, func(name []byte, nev uint64, _ []byte) {
			if counts == nil {
				counts = map[string]int{}
			}
			counts[string(name)] += int(nev)
		})
		if err != nil {
			return err
		}
	}
	var merged map[string]any
	var prev []byte
	for i, b := range recs {
		props, rest, err := spillBytes(b)
		if err != nil {
			return err
		}
		switch {
		case i == 0:
			ch.props = bytes.Clone(props) // recs is a buffer the next load reuses
		case bytes.Equal(props, prev):
			// the same properties over themselves: nothing changes
		default:
			if merged == nil {
				if merged, err = decodeObject(ch.props); err != nil {
					return err
				}
			}
			p, err := decodeObject(props)
			if err != nil {
				return err
			}
			for k, v := range p {
				merged[k] = v
			}
		}
		prev = props
		err = spillRels(rest, func(name []byte, nev uint64, evs []byte) {
			rc := ch.rel(string(name))
			if rc == nil {
				rc = &relChange{name: string(name), tab: s.tab, events: make([]ref, 0, counts[string(name)])}
				ch.rels = append(ch.rels, rc)
			}
			for range nev {
				var e ref
				copy(e.g[:], evs[:16])
				e.meta = binary.LittleEndian.Uint32(evs[16:20])
				rc.events = append(rc.events, e)
				evs = evs[20:]
			}
		})
		if err != nil {
			return err
		}
	}
	if merged != nil {
		b, err := json.Marshal(merged)
		if err != nil {
			return err
		}
		ch.props = b
	}
	return nil
}

// unload drops what load brought back of a spilled change (apply calls it
// once the object is made): the change may stay reachable until the round's
// build ends, and its relationship events (20 bytes a membership) and
// properties must not all come back into memory as the groups are built
// (issue 12: about 49 MB at 50,000 groups of 50 members, 300,000 users).
func (ch *deltaChange) unload() {
	if ch.sp != nil && ch.recs != nil {
		ch.props, ch.rels = nil, nil
	}
}

// spillRels walks a record's relationships (after its properties): fn sees
// each one's name, event count and events' bytes (20 a ref).
func spillRels(rest []byte, fn func(name []byte, nev uint64, events []byte)) error {
	nrels, rest, err := spillUvarint(rest)
	if err != nil {
		return err
	}
	for range nrels {
		var name []byte
		if name, rest, err = spillBytes(rest); err != nil {
			return err
		}
		var nev uint64
		if nev, rest, err = spillUvarint(rest); err != nil {
			return err
		}
		if nev > uint64(len(rest))/20 {
			return errSpillCorrupt
		}
		fn(name, nev, rest[:nev*20])
		rest = rest[nev*20:]
	}
	if len(rest) != 0 {
		return errSpillCorrupt
	}
	return nil
}

// readRecords reads the records at offs, in order, into one buffer the
// next call reuses (a huge object's is not kept).
func (s *roundSpill) readRecords(offs []int64) ([][]byte, error) {
	sizes := make([]int, len(offs))
	total := 0
	for i, off := range offs {
		var n [4]byte
		if _, err := s.f.ReadAt(n[:], off); err != nil {
			return nil, s.readErr(err)
		}
		sizes[i] = int(binary.LittleEndian.Uint32(n[:]))
		total += sizes[i]
	}
	if cap(s.rbuf) < total {
		s.rbuf = make([]byte, total)
	}
	buf := s.rbuf[:total]
	if total > 1<<20 {
		s.rbuf = nil
	}
	recs := make([][]byte, len(offs))
	pos := 0
	for i, off := range offs {
		b := buf[pos : pos+sizes[i] : pos+sizes[i]]
		if _, err := s.f.ReadAt(b, off+4); err != nil {
			return nil, s.readErr(err)
		}
		recs[i] = b
		pos += sizes[i]
	}
	return recs, nil
}

func (s *roundSpill) readErr(err error) error {
	if errors.Is(err, io.EOF) {
		err = errSpillCorrupt
	}
	return fmt.Errorf("reading a delta round back from its temporary file in %s: %w", s.where(), err)
}

func spillUvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, errSpillCorrupt
	}
	return v, b[n:], nil
}

func spillBytes(b []byte) ([]byte, []byte, error) {
	n, rest, err := spillUvarint(b)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(len(rest)) {
		return nil, nil, errSpillCorrupt
	}
	return rest[:n:n], rest[n:], nil
}
