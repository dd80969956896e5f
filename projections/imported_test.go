package projections

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// TestImportedEvents: a milestone cleared takes an item off its roadmap
// item, and a reopen puts a delivered item back at the bottom of the
// backlog and the roadmap item back in progress.
func TestImportedEvents(t *testing.T) {
	b := newBuilder()
	b.emit(pm, domain.KindRoadmap, "R1", domain.RoadmapItemPlanned{Title: "1.0", Period: "release:1.0@2026-06-30"}, "release")
	b.emit(po, domain.KindItem, "A", domain.BacklogItemAdded{Title: "A", Kind: domain.ItemBug, Roadmap: "R1"}, "")
	b.emit(po, domain.KindItem, "B", domain.BacklogItemAdded{Title: "B", Kind: domain.ItemBug, Roadmap: "R1"}, "")
	b.emit(team, domain.KindItem, "A", domain.WorkDelivered{Release: "1.0"}, "")
	b.emit(po, domain.KindItem, "B", domain.BacklogItemUnplanned{Roadmap: "R1"}, "cleared")
	backlog, roadmap, log := NewBacklog(), NewRoadmap(), NewLog()
	for _, e := range b.events {
		backlog.Apply(e)
		roadmap.Apply(e)
		log.Apply(e)
	}
	r, ok := roadmap.Item("R1")
	require.True(t, ok)
	assert.Equal(t, RoadmapDelivered, r.Status, "B no longer serves R1; A, its only item, is delivered")
	assert.False(t, r.Late)
	it, _ := backlog.Item("B")
	assert.Equal(t, "", it.Roadmap)

	reopen := b.emit(sales, domain.KindItem, "A", domain.WorkReopened{Release: "1.0"}, "regressed")
	reopen.OutsideAuthority = true
	reopen.Source = &domain.Source{System: "bugzilla", Key: "1"}
	backlog.Apply(reopen)
	roadmap.Apply(reopen)
	log.Apply(reopen)
	it, _ = backlog.Item("A")
	assert.Equal(t, domain.StatusNew, it.Status)
	assert.Equal(t, 2, it.Rank, "back at the bottom")
	assert.Nil(t, it.DeliveredAt)
	assert.True(t, it.LastDecision.OutsideAuthority)
	r, _ = roadmap.Item("R1")
	assert.Equal(t, RoadmapPlanned, r.Status)
	n, _ := backlog.Skipped()
	assert.Zero(t, n, "the import's event types are known")
}
