package projections_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// demoEvents decides the demo's commands as the handler does and returns
// its events with sequences and subjects, as read from a stream.
func demoEvents(t *testing.T) []domain.Event {
	t.Helper()
	st := domain.NewState(demo.Product)
	var out []domain.Event
	for _, c := range demo.Commands(demo.Product) {
		evs, err := domain.Decide(st, c, c.At.Add(time.Minute))
		require.NoError(t, err)
		for _, e := range evs {
			e.Seq = uint64(len(out) + 1)
			e.Stored = &domain.Stored{Subject: e.Subject(), Time: e.OccurredAt}
			st.Apply(e)
			out = append(out, e)
		}
	}
	return out
}

func TestSetQuarantinesAForgedRank(t *testing.T) {
	evs := demoEvents(t)
	clean := projections.NewSet()
	for _, e := range evs {
		clean.Apply(e)
	}
	last := evs[len(evs)-1]
	// A rank by an actor who holds no role, claiming to be the PO.
	f := domain.Event{ID: domain.EventID(demo.Product, "forged", last.OccurredAt, 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
		Product: demo.Product, Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: "OPS-5"}, Actor: domain.Actor{ID: "mallory", Role: domain.RolePO},
		OccurredAt: last.OccurredAt, Why: "mine", Data: domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}},
		CommandID: "forged", Seq: last.Seq + 1}
	f.Stored = &domain.Stored{Subject: f.Subject(), Time: f.OccurredAt}

	set := projections.NewSet()
	for _, e := range append(evs, f) {
		set.Apply(e)
	}
	assert.Equal(t, clean.Backlog.Items(), set.Backlog.Items(), "the forged rank moved nothing")
	ds, _, ok := set.Log.Chain("OPS-5")
	require.True(t, ok)
	for _, d := range ds {
		assert.NotEqual(t, "mallory", d.Actor, "why never shows the forged decision as taken")
	}
	n, first := set.Quarantined()
	assert.Equal(t, 1, n)
	assert.Equal(t, f.Seq, first)
	assert.Equal(t, f.Seq, set.Position(), "the position moves past it")
	_, list := set.Gate().Quarantined()
	require.Len(t, list, 1)
	assert.Equal(t, "mallory", list[0].Actor)
	assert.Contains(t, list[0].Reason, "may not rank")
}
