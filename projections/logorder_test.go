package projections

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// rankHistory is a backlog of n scored items, then ranks that move
// items up over higher scores (each lists overrides) and down, with
// items delivered and added among them.
func rankHistory(n, ranks int) []domain.Event {
	b := newBuilder()
	b.product()
	rice := func(v float64) map[string]float64 {
		return map[string]float64{"reach": v, "impact": 1, "confidence": 1, "effort": 1}
	}
	id := func(i int) string { return fmt.Sprintf("I-%d", i) }
	for i := range n {
		b.item(id(i), id(i))
		b.rankScored(id(i), domain.PlaceBottom, "", "RICE", rice(float64(n-i)))
	}
	next := n
	for r := range ranks {
		i := (r*7 + 3) % next
		switch r % 9 {
		case 4:
			b.deliver(id(i))
			b.item(id(next), id(next))
			b.rankScored(id(next), domain.PlaceBottom, "", "RICE", rice(float64(r)))
			next++
		case 7:
			b.rank(id(i), domain.PlaceBottom, "")
		default:
			b.rankScored(id(i), domain.PlaceTop, "", "RICE", rice(float64(r%5)))
		}
	}
	return b.events
}

// TestLogOrderGoneAstray proves that a list of overrides reads back as
// it was made even when the order the log keeps no longer matches the
// backlog's: the log replaces its order with the backlog's, as an
// operation of its history, before it writes the list as places.
func TestLogOrderGoneAstray(t *testing.T) {
	evs := rankHistory(60, 400)
	want, got := NewSet(), NewSet()
	want.trust, got.trust = true, true
	overrides := 0
	for i, e := range evs {
		want.Apply(e)
		got.Apply(e)
		if o := &got.Log.st.book.order; i%50 == 49 && len(o.cur) > 2 {
			o.cur[0], o.cur[len(o.cur)-1] = o.cur[len(o.cur)-1], o.cur[0] // astray
		}
	}
	for _, id := range want.Log.IDs(domain.KindItem) {
		w, ok := want.Log.ChainOf(domain.KindItem, id)
		require.True(t, ok)
		g, ok := got.Log.ChainOf(domain.KindItem, id)
		require.True(t, ok)
		require.Equal(t, w, g, id)
		for _, d := range w {
			overrides += len(d.OverridesScore)
		}
	}
	require.Greater(t, overrides, 1000)
	resets := 0
	var order []uint32
	for b := got.Log.st.book.order.ops; len(b) > 0; {
		if b[0]&3 == opReset {
			resets++
		}
		var n int
		order, n = applyOrderOp(order, b)
		b = b[n:]
	}
	require.Positive(t, resets, "the order went astray and was replaced")
}

// TestLogOrderLists proves the lists of a log that follows the order are
// written as places, and those of a log started part-way item by item,
// and that both read back alike.
func TestLogOrderLists(t *testing.T) {
	evs := rankHistory(40, 200)
	full := NewSet()
	full.trust = true
	for _, e := range evs[:len(evs)/2] {
		full.Apply(e)
	}
	snap, err := full.Backlog.MarshalSnapshot()
	require.NoError(t, err)
	b := NewBacklog()
	require.NoError(t, b.UnmarshalSnapshot(snap))
	part := LogAt(b, NewRoadmap(), NewRequests())
	for _, e := range evs[len(evs)/2:] {
		full.Apply(e)
		part.Apply(e)
	}
	placed, listed := 0, 0
	for _, c := range full.Log.st.Chains {
		placed += countFlag(&full.Log.st.book, c, recPlaced)
	}
	for _, c := range part.st.Chains {
		listed += countFlag(&part.st.book, c, recOverrides)
		require.Zero(t, countFlag(&part.st.book, c, recPlaced))
	}
	require.Positive(t, placed)
	require.Positive(t, listed)
	for _, id := range part.IDs(domain.KindItem) {
		p, _ := part.ChainOf(domain.KindItem, id)
		f, _ := full.Log.ChainOf(domain.KindItem, id)
		require.Equal(t, f[len(f)-len(p):], p, id)
	}
}

// countFlag counts the decisions of c whose flags have flag.
func countFlag(k *book, c *chain, flag uint64) int {
	r := bookReader{k: k, s: string(c.recs), ord: orderReader{k: k}}
	n := 0
	for range c.n {
		f, _ := binary.Uvarint([]byte(r.s[r.at:]))
		if f&flag != 0 {
			n++
		}
		var d Decision
		r.decision(&d)
	}
	return n
}
