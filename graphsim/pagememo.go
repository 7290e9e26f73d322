package graphsim

import "sync"

// Where a list's next page starts (issue #12, row g). A $skiptoken carries
// an offset in the list as it is when the page is read (encodeSkipToken),
// so a page in creation order has to find the offset-th record the list
// keeps, and reading 1.2M users 100 at a time looked at the records before
// each page again: 7 billion over the list. The memo remembers, per
// collection, where the pages served lately ended (the index in
// collection.order and the records kept before it), and a page that
// starts there continues from it.
//
// The answers are the scan's exactly. A memo holds only while the records
// before its index are kept as they were when it was made, which is so
// when all of these hold:
//   - the list has no $filter (a PATCH could change what it keeps) and its
//     kind's records never expire (kindExpires);
//   - every record before the index had a zero visibleAt (visible whatever
//     the time): a record is made pending only by insert and reattach, which
//     add it at the end of order, or by a load, which makes new collections;
//   - order is the same array: compact and reattach make a new one (a memo
//     is kept with its array's first slot), an insert appends after the
//     index, which changes nothing before it;
//   - no record turned gone since (collection.detached, counted by detach).
// Otherwise the page scans from the start, as without the memo.

// pageMemoSlots is how many page ends a collection remembers: a few lists
// of one collection may be read at once (an export reads users with
// $select and with $expand=sponsors).
const pageMemoSlots = 8

type pageMemo struct {
	mu    sync.Mutex
	slots [pageMemoSlots]pageEnd
	next  int
}

// pageEnd is a page's end: kept records were kept before order[idx].
type pageEnd struct {
	first    **record // &order[0]: which array
	detached uint64
	idx      int
	kept     int
}

// resume is where a scan for the start-th kept record of recs (c's order)
// may begin: an index in recs and the records kept before it (0, 0 when
// nothing is remembered). Callers hold t.mu for reading.
func (c *collection) resume(recs []*record, start int) (idx, kept int) {
	if len(recs) == 0 {
		return 0, 0
	}
	c.pages.mu.Lock()
	defer c.pages.mu.Unlock()
	for _, e := range c.pages.slots {
		if e.first == &recs[0] && e.detached == c.detached && e.idx <= len(recs) && e.kept <= start && e.kept > kept {
			idx, kept = e.idx, e.kept
		}
	}
	return idx, kept
}

// remember notes that kept records of recs (c's order) are kept before
// recs[idx]. Callers hold t.mu for reading.
func (c *collection) remember(recs []*record, idx, kept int) {
	if len(recs) == 0 || kept == 0 {
		return
	}
	c.pages.mu.Lock()
	defer c.pages.mu.Unlock()
	c.pages.slots[c.pages.next] = pageEnd{first: &recs[0], detached: c.detached, idx: idx, kept: kept}
	c.pages.next = (c.pages.next + 1) % pageMemoSlots
}
