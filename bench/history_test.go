package bench_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

func generate(seed uint64, events int) []domain.Event {
	g := bench.NewGenerator(seed, 3, events)
	var out []domain.Event
	for len(out) < events {
		out = append(out, g.NextRun(min(bench.RunLength, events-len(out)))...)
	}
	return out
}

func TestGeneratorDeterministic(t *testing.T) {
	a, b := generate(7, 20_000), generate(7, 20_000)
	require.Equal(t, a, b)
	assert.NotEqual(t, a, generate(8, 20_000))
}

// TestGeneratorShape checks that a rich history has the demo's shape:
// every event type, every request fate, epics and both score frameworks,
// each run one product, and nothing a fold cannot read.
func TestGeneratorShape(t *testing.T) {
	g := bench.NewGenerator(1, 3, 30_000)
	types := map[string]int{}
	kinds := map[domain.ItemKind]bool{}
	frameworks := map[string]bool{}
	sets := map[string]*projections.Set{}
	seq := uint64(0)
	for n := 0; n < 30_000; {
		run := g.NextRun(bench.RunLength)
		require.NotEmpty(t, run)
		for _, e := range run {
			require.Equal(t, run[0].Product, e.Product, "a run is one product")
			seq++
			e.Seq = seq
			types[e.Type]++
			switch p := e.Data.(type) {
			case domain.BacklogItemAdded:
				kinds[p.Kind] = true
			case domain.BacklogItemRanked:
				if p.Score != nil {
					frameworks[p.Score.Framework] = true
				}
			}
			if sets[e.Product] == nil {
				sets[e.Product] = projections.NewSet()
			}
			sets[e.Product].Apply(e)
		}
		n += len(run)
	}
	for _, typ := range []string{domain.TypeProductCreated, domain.TypeRoleAssigned, domain.TypeProductGoalSet,
		domain.TypeRoadmapItemPlanned, domain.TypeRoadmapItemRescheduled, domain.TypeRoadmapItemRanked,
		domain.TypeRoadmapItemDropped, domain.TypeBacklogItemAdded, domain.TypeBacklogItemRefined,
		domain.TypeBacklogItemRanked, domain.TypeBacklogItemRemoved, domain.TypeRequestSubmitted,
		domain.TypeRequestAccepted, domain.TypeRequestRejected, domain.TypeRequestDeferred,
		domain.TypeRequestWithdrawn, domain.TypeBacklogItemEstimated, domain.TypeWorkStarted, domain.TypeWorkDelivered} {
		assert.Positive(t, types[typ], typ)
	}
	assert.Equal(t, map[domain.ItemKind]bool{domain.ItemStory: true, domain.ItemEpic: true, domain.ItemBug: true, domain.ItemSpike: true}, kinds)
	assert.Equal(t, map[string]bool{"RICE": true, "WSJF": true}, frameworks)
	require.Len(t, sets, 3)
	for p, s := range sets {
		n, _ := s.Skipped()
		assert.Zero(t, n, p)
		accepted := 0
		for _, r := range s.Requests.Requests(projections.RequestFilter{Status: projections.RequestAccepted}) {
			it, ok := s.Backlog.Item(r.Item)
			require.True(t, ok, "request %s became item %s", r.ID, r.Item)
			assert.Equal(t, r.ID, it.Request)
			accepted++
		}
		assert.Positive(t, accepted, p)
	}
}
