package domain

// DefaultCommandLimit is how many command ids a product's State remembers
// unless told otherwise: a retry of one of the product's last 100,000
// commands is recognised and recorded once. An id costs its length
// (rounded up to the allocator's size class: 32 bytes for 26 characters)
// plus about 30-55 bytes for its map entry and its place in the eviction
// order, depending on how full the map is (BenchmarkWriteStateMemory in
// command measures 46-70 bytes for 15-character ids), so 100,000 ids of
// 26 characters take under 9 MB.
const DefaultCommandLimit = 100_000

// commandLog remembers the ids of a product's last limit commands with
// the stream sequence of each one's first event, evicting the oldest
// first. The order is stream order, so two states that folded the same
// events remember the same ids, whether they started from a snapshot or
// from the first event.
type commandLog struct {
	limit int
	seqs  map[string]uint64
	// ring holds the remembered ids in the order they were recorded:
	// oldest at next once the ring is full (len(ring) == limit), at 0
	// before.
	ring []string
	next int
}

func newCommandLog(limit int) commandLog {
	if limit <= 0 {
		limit = DefaultCommandLimit
	}
	return commandLog{limit: limit, seqs: map[string]uint64{}}
}

// add remembers id at seq unless it is remembered already.
func (l *commandLog) add(id string, seq uint64) {
	if _, ok := l.seqs[id]; ok {
		return
	}
	l.seqs[id] = seq
	if len(l.ring) < l.limit {
		l.ring = append(l.ring, id)
		return
	}
	delete(l.seqs, l.ring[l.next])
	l.ring[l.next] = id
	l.next = (l.next + 1) % l.limit
}

// each calls fn for every remembered id, oldest first.
func (l *commandLog) each(fn func(id string, seq uint64)) {
	for i := range l.ring {
		id := l.ring[(l.next+i)%len(l.ring)]
		fn(id, l.seqs[id])
	}
}

// setLimit changes the bound, evicting the oldest ids that no longer fit.
func (l *commandLog) setLimit(limit int) {
	if limit <= 0 {
		limit = DefaultCommandLimit
	}
	if limit == l.limit {
		return
	}
	old := *l
	*l = commandLog{limit: limit, seqs: make(map[string]uint64, min(len(old.ring), limit))}
	old.each(l.add)
}
