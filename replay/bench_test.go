package replay_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/replay"
)

// BenchmarkAsOf answers an as-of question near the end of a history of
// 10k, 100k and 1M events, with and without snapshots: the backlog,
// roadmap and requests (AsOfViews) as they stood 500 events before the
// end. Without snapshots the cost grows with the history; with a Views
// snapshot every 1000 events it stays flat, because the state is bounded
// (see history) and at most 1000 events are replayed. Run it with
//
//	go test ./replay -run '^$' -bench AsOf -benchtime 3x
//
// and add -short to leave out the 1M case, whose data takes a few minutes
// to load. The data is built only when the benchmark runs.
func BenchmarkAsOf(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("events=%dk", n/1000), func(b *testing.B) {
			if n >= 1_000_000 && testing.Short() {
				b.Skip("1M events take minutes to load; run without -short")
			}
			f := loadBench(b, n)
			// With snapshots first: after a full read of a long history the
			// embedded server frees its caches for a while, which would be
			// charged to whatever runs next.
			for _, withSnaps := range []bool{true, false} {
				b.Run(fmt.Sprintf("snapshots=%v", withSnaps), func(b *testing.B) {
					var snaps replay.SnapshotReader
					if withSnaps {
						snaps = f.snaps
					}
					var res replay.Result
					for b.Loop() {
						var err error
						_, res, err = replay.AsOfViews(f.ctx, f.store, snaps, f.product, f.pos)
						require.NoError(b, err)
					}
					require.Equal(b, f.wantSeq, res.Seq)
					require.Empty(b, res.Warnings)
					b.ReportMetric(float64(res.Replayed), "replayed/op")
				})
			}
		})
	}
}

// benchData is a loaded history and the question to ask of it.
type benchData struct {
	ctx     context.Context
	store   *eventstore.Store
	snaps   *eventstore.SnapshotStore
	product string
	pos     replay.Position
	wantSeq uint64
}

// loadBench is the benchmark's bulk loader: it generates n events of one
// product (history), stores them through Append in atomic batches of
// eventstore.MaxBatch (one fsync'd commit per batch rather than per
// event, about 20k events/s), and folds them in memory into Views that a
// Snapshotter snapshots every DefaultEvery events, the way a live server
// does, so nothing is read back while loading.
func loadBench(b *testing.B, n int) benchData {
	b.Helper()
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: b.TempDir()})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	f := benchData{ctx: ctx, store: s, snaps: s.Snapshots(), product: "bench"}
	h := newHistory(1, f.product)
	views := replay.NewViews()
	sn := replay.NewSnapshotter(f.snaps, f.product, replay.DefaultEvery, replay.View{Projection: views})
	start := time.Now()
	var last uint64
	batch := make([]domain.Event, 0, eventstore.MaxBatch)
	target := n - 500 // the question is asked as of this event's time
	for i := 0; i < n; i += len(batch) {
		batch = batch[:0]
		for j := i; j < n && len(batch) < eventstore.MaxBatch; j++ {
			batch = append(batch, h.Next())
		}
		seqs, err := s.Append(ctx, batch, last)
		require.NoError(b, err)
		for j, e := range batch {
			e.Seq = seqs[j]
			views.Apply(e)
			_, err := sn.MaybeSnapshot(ctx, e)
			require.NoError(b, err)
			if i+j+1 == target {
				f.pos, f.wantSeq = replay.AtTime(e.OccurredAt), e.Seq
			}
		}
		last = seqs[len(seqs)-1]
	}
	state, err := views.MarshalSnapshot()
	require.NoError(b, err)
	b.Logf("loaded %d events in %s; %d items, %d bytes of Views state", n, time.Since(start).Round(time.Second), h.Items(), len(state))
	sz := storeSizes(b, ctx, s)
	b.Logf("%d events: stream %d bytes, snapshots %d bytes in %d objects", n, sz.stream, sz.snapshots, sz.objects)
	return f
}

// BenchmarkSayDo answers the say/do view (SayDoOf, one compare per plan
// date) as of 500 events before the end of a generated history of 10k,
// 20k and 100k events, with the snapshots a live server keeps. The
// generated history has one period, planned near its start, so the
// compare spans the whole history: the cost must grow no faster than
// the history. Run it with
//
//	go test ./replay -run '^$' -bench SayDo -benchtime 1x
//
// The data is built only when the benchmark runs.
func BenchmarkSayDo(b *testing.B) {
	for _, n := range []int{10_000, 20_000, 100_000} {
		b.Run(fmt.Sprintf("events=%dk", n/1000), func(b *testing.B) {
			f := loadBench(b, n)
			var sd *replay.SayDo
			for b.Loop() {
				var err error
				sd, err = replay.SayDoOf(f.ctx, f.store, f.snaps, f.product, f.pos, time.Time{})
				require.NoError(b, err)
			}
			require.NotEmpty(b, sd.Periods)
			b.ReportMetric(float64(len(sd.Periods)), "periods/op")
		})
	}
}
