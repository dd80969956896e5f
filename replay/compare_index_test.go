package replay_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

// TestCompare_IndexedCausesAsEveryStep compares a generated history (rank
// decisions over a long backlog, rescheduling, scope changes) at both
// levels and several plan dates three ways: as Compare does, looking for
// each item's causes in the steps indexed as about it; looking for them
// in every step of the span, which the index stands for; and counting
// only, as say/do does. The first two must be the same answer, and the
// third the same counts with no causes.
func TestCompare_IndexedCausesAsEveryStep(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Open(t)
	const product = "gen"
	h := newHistory(5, product)
	evs := make([]domain.Event, 3000)
	for i := range evs {
		evs[i] = h.Next()
	}
	appendAll(ctx, t, s, evs, func() int { return eventstore.MaxBatch }, nil)

	var causes, pushed int
	for _, at := range []int{100, 1000, 2500} {
		for _, level := range []replay.Level{replay.LevelRoadmap, replay.LevelItem} {
			opt := replay.CompareOptions{Planned: replay.AtTime(evs[at].OccurredAt), Level: level}
			got, err := replay.Compare(ctx, s, nil, product, opt)
			require.NoError(t, err)
			want, err := replay.CompareEveryStep(ctx, s, nil, product, opt)
			require.NoError(t, err)
			require.Equal(t, want, got, "planned at event %d, level %s", at, level)

			counts, err := replay.CompareCounts(ctx, s, nil, product, opt)
			require.NoError(t, err)
			for i := range got.Periods {
				for k := range got.Periods[i].Items {
					o := &got.Periods[i].Items[k]
					causes += len(o.Causes)
					for _, c := range o.Causes {
						if strings.Contains(c.Effect, "pushed down") {
							pushed++
						}
					}
					o.Causes = []replay.Decision{}
				}
			}
			require.Equal(t, got, counts, "counts only, planned at event %d, level %s", at, level)
		}
	}
	// The history must give the index something to leave out.
	require.Positive(t, causes)
	require.Positive(t, pushed)
	t.Logf("%d causes, %d of them rank decisions that pushed items down", causes, pushed)
}
