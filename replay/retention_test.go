package replay_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

// TestSnapshotsSmallerThanStream writes a long generated history the way
// a live server does (Views snapshotted every DefaultEvery events), then
// rebuilds it the way "ledger replay" does, and requires the snapshot
// store to stay smaller than the stream it caches: no snapshot of the
// whole-history transparency log, and old Views snapshots thinned out.
// As-of answers with the thinned snapshots equal those without.
func TestSnapshotsSmallerThanStream(t *testing.T) {
	n := 20_000
	if testing.Short() || raceEnabled {
		n = 10_000
	}
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Open(t)
	snaps := s.Snapshots()
	const product = "big"
	h := newHistory(3, product)
	views := replay.NewViews()
	sn := replay.NewSnapshotter(snaps, product, replay.DefaultEvery, replay.View{Projection: views})
	var last uint64
	var probes []domain.Event
	batch := make([]domain.Event, 0, eventstore.MaxBatch)
	for i := 0; i < n; i += len(batch) {
		batch = batch[:0]
		for j := i; j < n && len(batch) < eventstore.MaxBatch; j++ {
			batch = append(batch, h.Next())
		}
		seqs, err := s.Append(ctx, batch, last)
		require.NoError(t, err)
		for j, e := range batch {
			e.Seq = seqs[j]
			views.Apply(e)
			_, err := sn.MaybeSnapshot(ctx, e)
			require.NoError(t, err)
			if (i+j+1)%(n/4) == n/8 {
				probes = append(probes, e)
			}
		}
		last = seqs[len(seqs)-1]
	}
	live := storeSizes(t, ctx, s)
	t.Logf("%d events, live: stream %d bytes, snapshots %d bytes in %d objects", n, live.stream, live.snapshots, live.objects)
	assert.Less(t, live.snapshots, live.stream, "snapshots written while following")

	_, rebuilt, err := replay.Rebuild(ctx, s, product, replay.Latest, replay.RebuildOptions{Snapshots: snaps})
	require.NoError(t, err)
	require.Empty(t, rebuilt.Warnings)
	after := storeSizes(t, ctx, s)
	t.Logf("%d events, after a rebuild: stream %d bytes, snapshots %d bytes in %d objects", n, after.stream, after.snapshots, after.objects)
	assert.Less(t, after.snapshots, after.stream, "snapshots after a rebuild")
	sets, err := snaps.List(ctx, product, "set")
	require.NoError(t, err)
	assert.Empty(t, sets, "no snapshot of the whole Set")
	list, err := snaps.List(ctx, product, "views")
	require.NoError(t, err)
	assert.Less(t, len(list), n/replay.DefaultEvery, "old Views snapshots are thinned out")

	for _, e := range probes {
		for _, pos := range []replay.Position{replay.AtSeq(e.Seq), replay.AtTime(e.OccurredAt)} {
			with, res, err := replay.AsOfViews(ctx, s, snaps, product, pos)
			require.NoError(t, err)
			require.Empty(t, res.Warnings)
			require.NotNil(t, res.Snapshot, "as of %s starts from a snapshot", pos)
			without, _, err := replay.AsOfViews(ctx, s, nil, product, pos)
			require.NoError(t, err)
			require.Equal(t, marshal(t, without), marshal(t, with), "as of %s", pos)
		}
	}
}
