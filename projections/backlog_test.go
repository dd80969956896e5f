package projections

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

func TestBacklogRank(t *testing.T) {
	type move func(b *builder)
	rank := func(id string, place domain.Placement, ref string) move {
		return func(b *builder) { b.rank(id, place, ref) }
	}
	tests := []struct {
		name  string
		moves []move
		want  []string
	}{
		{"NewItemsAtBottom", nil, []string{"A", "B", "C", "D", "E"}},
		{"Top", []move{rank("D", domain.PlaceTop, "")}, []string{"D", "A", "B", "C", "E"}},
		{"Bottom", []move{rank("A", domain.PlaceBottom, "")}, []string{"B", "C", "D", "E", "A"}},
		{"AboveMovingUp", []move{rank("E", domain.PlaceAbove, "B")}, []string{"A", "E", "B", "C", "D"}},
		{"AboveMovingDown", []move{rank("A", domain.PlaceAbove, "D")}, []string{"B", "C", "A", "D", "E"}},
		{"BelowMovingUp", []move{rank("E", domain.PlaceBelow, "A")}, []string{"A", "E", "B", "C", "D"}},
		{"BelowMovingDown", []move{rank("B", domain.PlaceBelow, "D")}, []string{"A", "C", "D", "B", "E"}},
		{"BelowLast", []move{rank("A", domain.PlaceBelow, "E")}, []string{"B", "C", "D", "E", "A"}},
		{"SelfRefNoMove", []move{rank("C", domain.PlaceAbove, "C")}, []string{"A", "B", "C", "D", "E"}},
		{"UnknownRefNoMove", []move{rank("C", domain.PlaceAbove, "ZZ")}, []string{"A", "B", "C", "D", "E"}},
		{"UnknownItemIgnored", []move{rank("ZZ", domain.PlaceTop, "")}, []string{"A", "B", "C", "D", "E"}},
		{"BadPlaceNoMove", []move{rank("C", "sideways", "")}, []string{"A", "B", "C", "D", "E"}},
		{"DeliveryLeavesOrder", []move{func(b *builder) { b.start("B"); b.deliver("B") }}, []string{"A", "C", "D", "E"}},
		{"RemovalLeavesOrder", []move{func(b *builder) { b.remove("A") }}, []string{"B", "C", "D", "E"}},
		{"ClosedRefNoMove", []move{func(b *builder) { b.remove("A") }, rank("E", domain.PlaceAbove, "A")}, []string{"B", "C", "D", "E"}},
		{"ClosedItemNotReopened", []move{func(b *builder) { b.deliver("A") }, rank("A", domain.PlaceTop, "")}, []string{"B", "C", "D", "E"}},
		{"Sequence", []move{
			rank("E", domain.PlaceTop, ""),           // E A B C D
			rank("A", domain.PlaceBottom, ""),        // E B C D A
			rank("D", domain.PlaceAbove, "B"),        // E D B C A
			rank("E", domain.PlaceBelow, "C"),        // D B C E A
			func(b *builder) { b.deliver("B") },      // D C E A
			func(b *builder) { b.item("F", "late") }, // D C E A F
			rank("F", domain.PlaceAbove, "C"),        // D F C E A
			func(b *builder) { b.remove("D") },       // F C E A
			rank("A", domain.PlaceTop, ""),           // A F C E
		}, []string{"A", "F", "C", "E"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder()
			for _, id := range []string{"A", "B", "C", "D", "E"} {
				b.item(id, "item "+id)
			}
			for _, m := range tt.moves {
				m(b)
			}
			bl := NewBacklog()
			applyAll(bl, b.events)
			assert.Equal(t, tt.want, openOrder(t, bl))
			assert.Equal(t, b.seq, bl.Position())
		})
	}
}

func TestBacklogClosedOrderAndFields(t *testing.T) {
	b := newBuilder()
	b.emit(po, domain.KindItem, "A", domain.BacklogItemAdded{Title: "Pay by card", Kind: domain.ItemStory,
		Detail: "visa", Epic: "EPIC-1", Roadmap: "R1", Request: "Q1"}, "")
	b.item("B", "Refund")
	b.item("C", "Invoice")
	b.emit(po, domain.KindItem, "A", domain.BacklogItemRefined{Title: "Pay by card or wallet", Roadmap: "R2"}, "scope")
	b.emit(team, domain.KindItem, "A", domain.BacklogItemEstimated{Points: 5}, "")
	started := b.start("A")
	b.remove("C")
	delivered := b.deliver("A")
	bl := NewBacklog()
	applyAll(bl, b.events)

	items := bl.Items()
	require.Len(t, items, 3)
	assert.Equal(t, []string{"B", "C", "A"}, []string{items[0].ID, items[1].ID, items[2].ID}, "open first, then closed in closing order")

	a, ok := bl.Item("A")
	require.True(t, ok)
	assert.Equal(t, "Pay by card or wallet", a.Title)
	assert.Equal(t, "visa", a.Detail, "empty refinement fields leave the old value")
	assert.Equal(t, "R2", a.Roadmap)
	assert.Equal(t, "EPIC-1", a.Epic)
	assert.Equal(t, "Q1", a.Request)
	assert.Equal(t, domain.StatusDelivered, a.Status)
	assert.Zero(t, a.Rank)
	assert.Equal(t, f64(5), a.Estimate)
	assert.Equal(t, started.OccurredAt, *a.StartedAt)
	assert.Equal(t, delivered.OccurredAt, *a.DeliveredAt)
	assert.Equal(t, "r-A", a.Release)
	assert.Equal(t, DecisionRef{Citation: Citation{Seq: delivered.Seq, Type: domain.TypeWorkDelivered, Actor: "tina",
		Role: domain.RoleTeam, At: delivered.OccurredAt}}, a.LastDecision)

	c, _ := bl.Item("C")
	assert.Equal(t, domain.StatusRemoved, c.Status)
	assert.Equal(t, "no longer needed", c.LastDecision.Why)

	_, ok = bl.Item("nope")
	assert.False(t, ok)
}

func TestBacklogIgnoresUnknownItems(t *testing.T) {
	b := newBuilder()
	b.item("A", "one")
	b.emit(po, domain.KindItem, "X", domain.BacklogItemRefined{Title: "ghost"}, "")
	b.emit(team, domain.KindItem, "X", domain.WorkStarted{}, "")
	b.emit(team, domain.KindItem, "X", domain.WorkDelivered{}, "")
	b.emit(po, domain.KindItem, "X", domain.BacklogItemRemoved{}, "")
	b.emit(po, domain.KindRequest, "Q9", domain.RequestAccepted{Item: "X"}, "")
	b.emit(po, domain.KindItem, "A", domain.BacklogItemAdded{Title: "duplicate add"}, "")
	b.emit(team, domain.KindItem, "A", domain.BacklogItemEstimated{Points: nan()}, "")
	b.emit(po, domain.KindItem, "", domain.BacklogItemAdded{Title: "no id"}, "")
	bl := NewBacklog()
	require.NotPanics(t, func() { applyAll(bl, b.events) })
	items := bl.Items()
	require.Len(t, items, 1)
	assert.Equal(t, "one", items[0].Title)
	assert.Nil(t, items[0].Estimate)
	_, err := bl.MarshalSnapshot()
	require.NoError(t, err)
}

func TestBacklogRequestAcceptedLinksItem(t *testing.T) {
	b := newBuilder()
	b.item("A", "from a request")
	b.emit(po, domain.KindRequest, "Q1", domain.RequestAccepted{Item: "A"}, "good idea")
	bl := NewBacklog()
	applyAll(bl, b.events)
	items := bl.Items()
	require.Len(t, items, 1, "domain.StatusAccepted adds no item")
	assert.Equal(t, "Q1", items[0].Request)
	assert.Equal(t, domain.TypeBacklogItemAdded, items[0].LastDecision.Type)
}

func TestBacklogScoreOverride(t *testing.T) {
	rice := func(reach float64) map[string]float64 {
		return map[string]float64{"reach": reach, "impact": 1, "confidence": 1, "effort": 1}
	}
	b := newBuilder()
	for _, id := range []string{"A", "B", "C", "D"} {
		b.item(id, id)
	}
	b.rankScored("A", domain.PlaceTop, "", "RICE", rice(100))
	b.rankScored("B", domain.PlaceBelow, "A", "rice", rice(50))
	b.rankScored("C", domain.PlaceBelow, "B", "WSJF", map[string]float64{"bv": 9, "tc": 9, "rr": 9, "size": 1})
	// A(RICE 100) B(RICE 50) C(WSJF 27) D(unscored)
	over := b.rankScored("D", domain.PlaceTop, "", "RICE", rice(60))
	bl := NewBacklog()
	applyAll(bl, b.events)

	assert.Equal(t, []string{"D", "A", "B", "C"}, openOrder(t, bl))
	d, _ := bl.Item("D")
	assert.Equal(t, over.Seq, d.LastDecision.Seq)
	assert.Equal(t, []Override{{ID: "A", Framework: "RICE", Score: 100}}, d.LastDecision.Overrides,
		"B scores lower and C is another framework")
	require.NotNil(t, d.Score)
	assert.Equal(t, f64(60), d.Score.Value)

	b.rank("C", domain.PlaceAbove, "A") // unscored move over a scored item: no override
	bl.Apply(b.events[len(b.events)-1])
	c, _ := bl.Item("C")
	assert.Empty(t, c.LastDecision.Overrides)
	assert.Equal(t, "WSJF", c.Score.Framework, "a rank without a score keeps the latest score")

	b.rankScored("B", domain.PlaceBottom, "", "RICE", rice(1000)) // moving down overrides nothing
	bl.Apply(b.events[len(b.events)-1])
	bb, _ := bl.Item("B")
	assert.Empty(t, bb.LastDecision.Overrides)
}

func TestBacklogJSONShape(t *testing.T) {
	b := newBuilder()
	b.item("A", "one")
	b.item("B", "two")
	b.rankScored("B", domain.PlaceTop, "", "RICE", map[string]float64{"reach": 1, "impact": 2, "confidence": 1, "effort": 1})
	bl := NewBacklog()
	applyAll(bl, b.events)
	raw, err := json.Marshal(bl.Items())
	require.NoError(t, err)
	var got []map[string]any
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Len(t, got, 2)
	for _, k := range []string{"id", "title", "status", "rank", "score", "roadmap", "lastDecision"} {
		assert.Contains(t, got[0], k)
		assert.Contains(t, got[1], k)
	}
	assert.Nil(t, got[1]["score"], "an unscored item has score null")
	assert.Equal(t, map[string]any{"framework": "RICE", "inputs": map[string]any{"reach": 1.0, "impact": 2.0, "confidence": 1.0, "effort": 1.0},
		"value": 2.0, "formula": "RICE/v1"}, got[0]["score"])
	ld := got[0]["lastDecision"].(map[string]any)
	for _, k := range []string{"seq", "type", "actor", "role", "at", "why"} {
		assert.Contains(t, ld, k)
	}
	assert.Equal(t, "oscar", ld["actor"])
	assert.Equal(t, "po", ld["role"])
}

// TestBacklogItemsWith requires ItemsWith to give what Items gives,
// filtered on status, in the same order and as deep copies.
func TestBacklogItemsWith(t *testing.T) {
	b := newBuilder()
	for _, id := range []string{"A", "B", "C", "D", "E", "F"} {
		b.item(id, "item "+id)
	}
	b.rankScored("E", domain.PlaceTop, "", "rice", map[string]float64{"reach": 10, "impact": 2, "confidence": 0.5, "effort": 1})
	b.start("C")
	b.deliver("B")
	b.remove("D")
	b.start("F")
	b.deliver("F")
	bl := NewBacklog()
	applyAll(bl, b.events)

	all := bl.Items()
	for _, c := range []struct {
		name string
		keep func(domain.ItemStatus) bool
	}{
		{"Open", domain.ItemStatus.Open},
		{"All", func(domain.ItemStatus) bool { return true }},
		{"Delivered", func(s domain.ItemStatus) bool { return s == domain.StatusDelivered }},
		{"None", func(domain.ItemStatus) bool { return false }},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := []Item{}
			for _, it := range all {
				if c.keep(it.Status) {
					want = append(want, it)
				}
			}
			got := bl.ItemsWith(c.keep)
			require.NotNil(t, got)
			assert.Equal(t, want, got)
		})
	}
	got := bl.ItemsWith(domain.ItemStatus.Open)
	require.Equal(t, "E", got[0].ID)
	require.NotNil(t, got[0].Score)
	got[0].Score.Inputs["reach"] = 99
	again := bl.ItemsWith(domain.ItemStatus.Open)
	assert.Equal(t, 10.0, again[0].Score.Inputs["reach"], "a copy, not the backlog's own")
}
