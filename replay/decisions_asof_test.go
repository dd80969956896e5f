package replay_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

// TestAsOf_SnapshotsInsideDecisions is TestAsOf_SnapshotsChangeNoAnswer
// on a rich history, whose decisions of several events (a request
// accepted with the item it becomes) straddle positions and snapshots:
// as of any sequence or time, the answer from snapshots, which reads the
// events after the snapshot while restoring it and goes on past the
// position to the end of a decision, is the full replay's.
func TestAsOf_SnapshotsInsideDecisions(t *testing.T) {
	const n = 240
	step := 1
	if testing.Short() || raceEnabled {
		step = 3
	}
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	const product = "rich"
	h := bench.NewRichHistory(9, product, bench.Limits{Items: 120, Open: 60, Requests: 80, Roadmap: 10})
	var evs []domain.Event
	decisions := 0
	for range n {
		e := h.Next()
		if len(evs) > 0 && e.CommandID != "" && e.CommandID == evs[len(evs)-1].CommandID {
			decisions++
		}
		evs = append(evs, e)
	}
	require.Positive(t, decisions, "the history has decisions of several events")
	appendAll(ctx, t, s, evs, func() int { return 37 }, nil)
	snaps := s.Snapshots()
	_, rebuilt, err := replay.Rebuild(ctx, s, product, replay.Latest, replay.RebuildOptions{Snapshots: snaps, Every: 9})
	require.NoError(t, err)
	require.Positive(t, rebuilt.Snapshots)

	for i := 0; i < len(evs); i += step {
		e := evs[i]
		for _, pos := range []replay.Position{replay.AtSeq(e.Seq), replay.AtTime(e.OccurredAt)} {
			with, res, err := replay.AsOfViews(ctx, s, snaps, product, pos)
			require.NoError(t, err)
			require.Empty(t, res.Warnings)
			without, want, err := replay.AsOfViews(ctx, s, nil, product, pos)
			require.NoError(t, err)
			require.Equal(t, want.Seq, res.Seq, "as of %s (event %d)", pos, i)
			require.Equal(t, marshal(t, without), marshal(t, with), "as of %s (event %d)", pos, i)
		}
	}
}
