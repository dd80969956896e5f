package query

import (
	"container/list"
	"sync"

	"github.com/decisionledger/ledger/projections"
)

// logGates remembers the validating fold where recent log pages ended, so
// that the page after one (after=its Next) goes on from there, as one
// read of the whole log would, rather than folding again from the nearest
// snapshot, which after a bulk import may be the stream's first event:
// paging through a log of a million events costs each page its own
// entries, not the history before it. What a page's end holds never
// changes (the stream only grows), so an entry is never stale; the cache
// only bounds its memory. Safe for concurrent use.
type logGates struct {
	mu      sync.Mutex
	entries map[logGateKey]*list.Element
	order   *list.List // most recent first, of *logGate
}

// logGateKey is a page's end: the product and the last sequence the
// page holds.
type logGateKey struct {
	product string
	seq     uint64
}

type logGate struct {
	key  logGateKey
	gate []byte // the fold's snapshot (projections.Gate.MarshalSnapshot)
	// skipped and firstSkipped count the entries up to the page's end
	// this version cannot read.
	skipped      int
	firstSkipped uint64
}

// maxLogGates bounds the cache: a few readers paging at once each find
// the end of the page they read last.
const maxLogGates = 16

func newLogGates() *logGates {
	return &logGates{entries: map[logGateKey]*list.Element{}, order: list.New()}
}

// put remembers the fold and the unread count at the end of a page.
func (c *logGates) put(product string, seq uint64, g *projections.Gate, unread *Log) error {
	b, err := g.MarshalSnapshot()
	if err != nil {
		return err
	}
	k := logGateKey{product, seq}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.order.MoveToFront(el)
		return nil
	}
	c.entries[k] = c.order.PushFront(&logGate{key: k, gate: b, skipped: unread.Skipped, firstSkipped: unread.FirstSkipped})
	for c.order.Len() > maxLogGates {
		old := c.order.Remove(c.order.Back()).(*logGate)
		delete(c.entries, old.key)
	}
	return nil
}

// get returns the fold as it stood at the end of a page that ended at
// seq, a fresh copy, and a Log counting the entries up to there this
// version cannot read; ok is false when no recent page ended there.
func (c *logGates) get(product string, seq uint64) (g *projections.Gate, unread *Log, ok bool) {
	c.mu.Lock()
	el, found := c.entries[logGateKey{product, seq}]
	var e *logGate
	if found {
		c.order.MoveToFront(el)
		e = el.Value.(*logGate)
	}
	c.mu.Unlock()
	if !found {
		return nil, nil, false
	}
	g = projections.NewGate()
	if err := g.UnmarshalSnapshot(e.gate); err != nil {
		return nil, nil, false // fold from the snapshot instead
	}
	return g, &Log{Meta: Meta{Skipped: e.skipped, FirstSkipped: e.firstSkipped}}, true
}
