package replay_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/projections"
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

// A snapshot that falls due on the first event of a decision of several
// events (the request accepted, before the item it became) waits for the
// rest of it instead of failing: a rebuild and a follower on every grid
// write one snapshot per interval and warn of nothing, and each snapshot
// holds the views at its sequence.
func TestSnapshotWaitsForWholeDecision(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	const product = "rich"
	h := bench.NewRichHistory(9, product, bench.Limits{Items: 120, Open: 60, Requests: 80, Roadmap: 10})
	var evs []domain.Event
	firsts := map[int]bool{} // 1-based counts of events that start a decision of several
	for range 300 {
		e := h.Next()
		if n := len(evs); n > 0 && e.CommandID != "" && e.CommandID == evs[n-1].CommandID && (n < 2 || evs[n-2].CommandID != e.CommandID) {
			firsts[n] = true
		}
		evs = append(evs, e)
	}
	appendAll(ctx, t, s, evs, func() int { return 50 }, nil)
	last := evs[len(evs)-1].Seq
	snaps := s.Snapshots()
	straddled := 0
	for every := 3; every <= 12; every++ {
		for k := every; k <= len(evs); k += every {
			if firsts[k] {
				straddled++
			}
		}
		_, out, err := replay.Rebuild(ctx, s, product, replay.Latest, replay.RebuildOptions{Snapshots: snaps, Every: every})
		require.NoError(t, err)
		require.Empty(t, out.Warnings, "every %d", every)
		want := len(evs) / every
		if len(evs)%every != 0 {
			want++
		}
		require.Equal(t, want, out.Snapshots, "every %d: one snapshot per interval and one at the end", every)

		set := projections.NewSet()
		sn := replay.NewSnapshotter(snaps, product, every, replay.View{Projection: replay.ViewsOf(set)})
		var mu sync.Mutex
		var snapErrs []error
		fctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- replay.Follow(fctx, s, product, set, replay.FollowOptions{Lock: &mu, Snapshots: sn,
				OnSnapshotError: func(err error) { snapErrs = append(snapErrs, err) }})
		}()
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return set.Position() == last
		}, 10*time.Second, 5*time.Millisecond)
		cancel()
		require.NoError(t, <-done)
		require.Empty(t, snapErrs, "every %d: following", every)
	}
	require.Positive(t, straddled, "some snapshot fell due inside a decision")
	list, err := snaps.List(ctx, product, "views")
	require.NoError(t, err)
	require.NotEmpty(t, list)
	for _, info := range list {
		v := replay.NewViews()
		_, err := replay.AsOfInto(ctx, s, nil, product, replay.AtSeq(info.Seq), v)
		require.NoError(t, err)
		b, err := snaps.Get(ctx, info)
		require.NoError(t, err)
		require.Equal(t, marshal(t, v), string(b), "snapshot %s holds the views at its sequence", info.Name())
	}
}
