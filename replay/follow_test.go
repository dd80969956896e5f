package replay_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// A live Set restored from snapshots follows what is written after it,
// snapshotting its Views every N events on the same grid a rebuild uses.
func TestFollow_KeepsCurrentAndSnapshots(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	snaps := s.Snapshots()
	h := command.New(s, func() time.Time { return eventstoretest.SeedNow })
	cmds := demo.Commands(demo.Product)
	for _, c := range cmds[:40] {
		_, err := h.Execute(ctx, c)
		require.NoError(t, err)
	}
	const every = 10
	_, _, err := replay.Rebuild(ctx, s, demo.Product, replay.Latest, replay.RebuildOptions{Snapshots: snaps, Every: every})
	require.NoError(t, err)

	// Start as a server would: from the latest state, then follow.
	set, res, err := replay.AsOf(ctx, s, snaps, demo.Product, replay.Latest)
	require.NoError(t, err)
	sn := replay.NewSnapshotter(snaps, demo.Product, every, replay.View{Projection: replay.ViewsOf(set)})
	sn.Start(res)
	var mu sync.Mutex
	var applied []uint64
	var snapErr error
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- replay.Follow(fctx, s, demo.Product, set, replay.FollowOptions{
			Lock: &mu, Snapshots: sn,
			OnApply:         func(e domain.Event) { applied = append(applied, e.Seq) },
			OnSnapshotError: func(err error) { snapErr = err },
		})
	}()
	var last uint64
	for _, c := range cmds[40:90] {
		r, err := h.Execute(ctx, c)
		require.NoError(t, err)
		last = r.Events[len(r.Events)-1].Seq
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return set.Position() == last
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, snapErr)
	assert.Equal(t, last-res.Seq, uint64(len(applied)), "every event after the start, once")

	want, _, err := replay.AsOf(ctx, s, nil, demo.Product, replay.Latest)
	require.NoError(t, err)
	assert.Equal(t, marshal(t, want), marshal(t, set), "the live Set equals a rebuild")

	list, err := snaps.List(ctx, demo.Product, "views")
	require.NoError(t, err)
	var got []uint64
	for _, info := range list {
		got = append(got, info.Events)
	}
	// The rebuild wrote 10..40 and one at its end (event 40 + the extra
	// events of multi-event commands, if any); following wrote the rest
	// on the same grid, and older ones were thinned out (Thin): the first
	// and the newest few are left.
	assert.Contains(t, got, uint64(every), "the first snapshot")
	newest := last / every * every
	for i := uint64(0); i < replay.KeepRecent; i++ {
		assert.Contains(t, got, newest-i*every, "a Views snapshot after event %d", newest-i*every)
	}
	assert.Less(t, len(got), int(last/every), "older snapshots are thinned out")
	for _, info := range list {
		v := replay.NewViews()
		_, err := replay.AsOfInto(ctx, s, nil, demo.Product, replay.AtSeq(info.Seq), v)
		require.NoError(t, err)
		b, err := snaps.Get(ctx, info)
		require.NoError(t, err)
		assert.Equal(t, marshal(t, v), string(b), "snapshot %s holds the views at its sequence", info.Name())
	}
}

func TestRebuild_ProgressAndSnapshots(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	eventstoretest.SeedDemo(t, s, demo.Product)
	all := eventstoretest.Events(t, s, demo.Product)
	snaps := s.Snapshots()

	var calls [][2]uint64
	set, res, err := replay.Rebuild(ctx, s, demo.Product, replay.Latest, replay.RebuildOptions{
		Snapshots: snaps, Every: 50, Progress: func(done, total uint64) { calls = append(calls, [2]uint64{done, total}) }})
	require.NoError(t, err)
	n := uint64(len(all))
	assert.Equal(t, n, res.Events)
	assert.Equal(t, all[n-1].Seq, res.Seq)
	assert.Empty(t, res.Warnings)
	assert.Equal(t, int(n/50)+1, res.Snapshots, "every 50 events and the Views at the end; no Set")
	require.NotEmpty(t, calls)
	assert.Equal(t, [2]uint64{all[n-1].Seq, all[n-1].Seq}, calls[len(calls)-1], "the last call says it is done")
	want, _, err := replay.AsOf(ctx, s, nil, demo.Product, replay.Latest)
	require.NoError(t, err)
	assert.Equal(t, marshal(t, want), marshal(t, set))

	// Rebuilding again writes the same snapshots, not new ones, and
	// deletes the Set snapshots older versions wrote.
	oldSet, err := set.MarshalSnapshot()
	require.NoError(t, err)
	_, err = snaps.Put(ctx, replay.SnapshotInfo{Product: demo.Product, Kind: "set", Version: set.Version(),
		Seq: set.Position(), LastAt: all[n-1].OccurredAt, Events: n}, oldSet)
	require.NoError(t, err)
	_, _, err = replay.Rebuild(ctx, s, demo.Product, replay.AtSeq(all[120].Seq), replay.RebuildOptions{Snapshots: snaps, Every: 50})
	require.NoError(t, err)
	views, err := snaps.List(ctx, demo.Product, "views")
	require.NoError(t, err)
	assert.Len(t, views, int(n/50)+2, "every 50, the end of the first rebuild and the end of the second")
	sets, err := snaps.List(ctx, demo.Product, "set")
	require.NoError(t, err)
	assert.Empty(t, sets)

	t.Run("AsOf", func(t *testing.T) {
		set, res, err := replay.Rebuild(ctx, s, demo.Product, replay.AtSeq(all[9].Seq), replay.RebuildOptions{})
		require.NoError(t, err)
		assert.Equal(t, uint64(10), res.Events)
		assert.Equal(t, all[9].Seq, set.Position())
		assert.Zero(t, res.Snapshots)
	})
}

// A Snapshotter refuses views that are not where the events it observed
// say they are: their snapshot would be misdescribed.
func TestSnapshotter_RefusesViewsOutOfStep(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	eventstoretest.SeedDemo(t, s, demo.Product)
	all := eventstoretest.Events(t, s, demo.Product)
	v := replay.NewViews()
	sn := replay.NewSnapshotter(s.Snapshots(), demo.Product, 2, replay.View{Projection: v})
	v.Apply(all[0])
	_, err := sn.MaybeSnapshot(ctx, all[0])
	require.NoError(t, err)
	_, err = sn.MaybeSnapshot(ctx, all[1]) // observed, but not applied
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stands at sequence 1")
	assert.Equal(t, replay.DefaultEvery, replay.NewSnapshotter(nil, "p", 0).Every())
	assert.Equal(t, "set", replay.KindOf(projections.NewSet()))
	assert.Equal(t, "views", replay.KindOf(replay.NewViews()))
}
