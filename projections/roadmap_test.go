package projections

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

func roadmapOrder(t *testing.T, r *Roadmap) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range r.Periods() {
		for i, it := range p.Items {
			require.Equal(t, i+1, it.Rank, "rank of %s in %s", it.ID, p.Name)
			require.Equal(t, p.Name, it.Period)
			out[p.Name] = append(out[p.Name], it.ID)
		}
	}
	return out
}

func TestRoadmapPeriodsAndRank(t *testing.T) {
	b := newBuilder()
	b.plan("R1", "2026-Q2")
	b.plan("R2", "2026-Q1")
	b.plan("R3", "2026-Q2")
	b.plan("R4", "2026-Q2")
	b.plan("R5", "2027")
	b.plan("R6", "someday")
	b.plan("R7", "2026-H1")
	b.emit(pm, domain.KindRoadmap, "R4", domain.RoadmapItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, "urgent")
	b.emit(pm, domain.KindRoadmap, "R1", domain.RoadmapItemRanked{Position: domain.Position{Place: domain.PlaceBelow, Ref: "R3"}}, "")
	b.emit(pm, domain.KindRoadmap, "R3", domain.RoadmapItemRanked{Position: domain.Position{Place: domain.PlaceAbove, Ref: "R2"}}, "other period: no move")
	b.emit(pm, domain.KindRoadmap, "R2", domain.RoadmapItemRescheduled{From: "2026-Q1", To: "2026-Q2"}, "slipped")
	r := NewRoadmap()
	applyAll(r, b.events)

	names := []string{}
	for _, p := range r.Periods() {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"2026-H1", "2026-Q2", "2027", "someday"}, names, "Q1 emptied; sorted by start, then length")
	assert.Equal(t, map[string][]string{
		"2026-H1": {"R7"}, "2026-Q2": {"R4", "R3", "R1", "R2"}, "2027": {"R5"}, "someday": {"R6"},
	}, roadmapOrder(t, r))
	r2, ok := r.Item("R2")
	require.True(t, ok)
	assert.Equal(t, "slipped", r2.LastDecision.Why)
	assert.Equal(t, RoadmapPlanned, r2.Status)
	assert.Equal(t, []string{}, r2.Items)
}

// TestRoadmapPeriodOrder: the roadmap's periods come in the one order of
// domain.OrderPeriods, releases by version (1.6.2 before 1.6.10) and
// named releases by first appearance, which the fold remembers even for
// a period emptied since.
func TestRoadmapPeriodOrder(t *testing.T) {
	b := newBuilder()
	b.plan("R1", "release:1.6.10")
	b.plan("R2", "release:SaaS")
	b.plan("R3", "release:1.6.2")
	b.plan("R4", "release:future")
	b.plan("R5", "release:1.7@2026-09-30")
	b.plan("R6", "2026-Q1")
	b.emit(pm, domain.KindRoadmap, "R2", domain.RoadmapItemRescheduled{From: "release:SaaS", To: "release:1.6.2"}, "folded in")
	b.plan("R7", "release:SaaS")
	r := NewRoadmap()
	applyAll(r, b.events)

	var names []string
	for _, p := range r.Periods() {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"2026-Q1", "release:1.6.2", "release:1.6.10", "release:1.7@2026-09-30", "release:SaaS", "release:future"}, names,
		"SaaS first appeared before future, though it was empty for a while")
	assert.Equal(t, []string{"release:1.6.10", "release:SaaS", "release:1.6.2", "release:future", "release:1.7@2026-09-30", "2026-Q1"},
		r.SeenPeriods())
}

// TestDeliveredRoadmapItemStaysDelivered: a tracker that moves shipped
// items to another release after the fact (Jira's fix version changed
// once resolved) leaves the first roadmap item delivered, not planned
// with no items.
func TestDeliveredRoadmapItemStaysDelivered(t *testing.T) {
	b := newBuilder()
	b.plan("M-1", "release:1.0@2026-06-30")
	b.plan("M-S", "release:SaaS")
	b.itemFor("A", "M-1")
	b.itemFor("B", "M-1")
	b.deliver("A")
	b.deliver("B")
	delivered := b.events[len(b.events)-1].OccurredAt
	b.emit(po, domain.KindItem, "A", domain.BacklogItemRefined{Roadmap: "M-S"}, "relabelled")
	b.emit(po, domain.KindItem, "B", domain.BacklogItemRefined{Roadmap: "M-S"}, "relabelled")
	r := NewRoadmap()
	applyAll(r, b.events)

	m1, ok := r.Item("M-1")
	require.True(t, ok)
	assert.Equal(t, RoadmapDelivered, m1.Status)
	assert.Equal(t, &delivered, m1.DeliveredAt)
	assert.Equal(t, Progress{}, m1.Progress)
	ms, ok := r.Item("M-S")
	require.True(t, ok)
	assert.Equal(t, RoadmapDelivered, ms.Status)
	assert.Equal(t, Progress{Total: 2, Delivered: 2}, ms.Progress)

	// New work for the release makes it planned again.
	b.itemFor("C", "M-1")
	r = NewRoadmap()
	applyAll(r, b.events)
	m1, _ = r.Item("M-1")
	assert.Equal(t, RoadmapPlanned, m1.Status)
	assert.Nil(t, m1.DeliveredAt)
}

func TestRoadmapStatus(t *testing.T) {
	b := newBuilder()
	b.plan("R1", "2026-Q1")
	b.plan("R2", "2026-Q1")
	b.plan("R3", "2026-Q1")
	b.plan("R4", "2026-Q1")
	b.itemFor("A", "R1")
	b.itemFor("B", "R1")
	b.itemFor("C", "R1")
	b.itemFor("D", "R2")
	b.itemFor("E", "R3")
	b.item("F", "unplanned work")
	b.start("A")
	r := NewRoadmap()
	applyAll(r, b.events)
	r1, _ := r.Item("R1")
	assert.Equal(t, RoadmapInProgress, r1.Status)
	assert.Equal(t, Progress{Total: 3, InProgress: 1}, r1.Progress)
	assert.Equal(t, []string{"A", "B", "C"}, r1.Items)
	r4, _ := r.Item("R4")
	assert.Equal(t, RoadmapPlanned, r4.Status, "no serving items: planned, never delivered")

	b.deliver("A")
	b.remove("B")
	b.deliver("D")
	b.emit(pm, domain.KindRoadmap, "R3", domain.RoadmapItemDropped{}, "market changed")
	b.deliver("E")
	applyAll(r, b.events[r.Position():])
	r1, _ = r.Item("R1")
	assert.Equal(t, RoadmapInProgress, r1.Status, "C is still open")
	assert.Equal(t, Progress{Total: 2, Delivered: 1}, r1.Progress, "removed B is excluded")
	r2, _ := r.Item("R2")
	assert.Equal(t, RoadmapDelivered, r2.Status)
	r3, _ := r.Item("R3")
	assert.Equal(t, RoadmapDropped, r3.Status, "a dropped item stays dropped")
	require.NotNil(t, r3.DroppedAt)
	assert.Nil(t, r3.DeliveredAt)

	// C is delivered after Q1 ended: R1 is delivered, late, at C's time.
	b.setTime(time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC))
	last := b.deliver("C")
	applyAll(r, b.events[r.Position():])
	r1, _ = r.Item("R1")
	assert.Equal(t, RoadmapDelivered, r1.Status)
	assert.Equal(t, last.OccurredAt, *r1.DeliveredAt)
	assert.True(t, r1.Late)
	r2, _ = r.Item("R2")
	assert.False(t, r2.Late)

	// New work on a delivered item reopens it; moving it away delivers it again.
	b.itemFor("G", "R2")
	applyAll(r, b.events[r.Position():])
	r2, _ = r.Item("R2")
	assert.Equal(t, RoadmapInProgress, r2.Status)
	assert.Nil(t, r2.DeliveredAt)
	b.emit(po, domain.KindItem, "G", domain.BacklogItemRefined{Roadmap: "R4"}, "belongs to R4")
	applyAll(r, b.events[r.Position():])
	r2, _ = r.Item("R2")
	assert.Equal(t, RoadmapDelivered, r2.Status)
	r4, _ = r.Item("R4")
	assert.Equal(t, []string{"G"}, r4.Items)
}

func TestRoadmapIgnoresUnknown(t *testing.T) {
	b := newBuilder()
	b.emit(pm, domain.KindRoadmap, "R9", domain.RoadmapItemDropped{}, "")
	b.emit(pm, domain.KindRoadmap, "R9", domain.RoadmapItemRescheduled{To: "2026-Q3"}, "")
	b.emit(pm, domain.KindRoadmap, "R9", domain.RoadmapItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, "")
	b.itemFor("A", "R9")
	b.start("A")
	b.deliver("Z")
	r := NewRoadmap()
	require.NotPanics(t, func() { applyAll(r, b.events) })
	assert.Empty(t, r.Periods())
	_, ok := r.Item("R9")
	assert.False(t, ok)
}
