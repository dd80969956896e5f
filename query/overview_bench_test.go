package query

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

// BenchmarkOverview asks the overview view (and the metrics view /metrics
// reads at each scrape) of generated histories of 10k and 100k events
// from live projections, as serve answers them: the cost must not grow
// with the history. Run it with
//
//	go test ./query -run '^$' -bench Overview -benchtime 200x
//
// The histories are built only when the benchmark runs (about a minute,
// most of it storing the 100k events and folding their transparency log).
func BenchmarkOverview(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) { benchOverview(b, n) })
	}
}

func benchOverview(b *testing.B, n int) {
	lq := overviewBenchService(b, n)
	ctx := context.Background()
	{
		b.Run("overview", func(b *testing.B) {
			// The first answer after a decision computes say/do (which
			// reads the history around each period's start); the ones
			// after it, until the next decision, keep it.
			start := time.Now()
			ov, err := lq.Overview(ctx, "bench", replay.Latest, 0)
			require.NoError(b, err)
			first := time.Since(start)
			for b.Loop() {
				ov, err = lq.Overview(ctx, "bench", replay.Latest, 0)
				require.NoError(b, err)
			}
			require.Empty(b, ov.SayDoError)
			b.ReportMetric(float64(first.Milliseconds()), "first-ms")
			b.ReportMetric(float64(ov.Replayed), "replayed/op")
			b.ReportMetric(float64(ov.Requests), "requests")
			b.ReportMetric(float64(len(ov.SayDo.Periods)), "periods")
		})
		b.Run("metrics", func(b *testing.B) {
			var m Metrics
			for b.Loop() {
				var err error
				m, err = lq.ProductMetrics(ctx, "bench", replay.Latest, 0)
				require.NoError(b, err)
			}
			b.ReportMetric(float64(m.Replayed), "replayed/op")
		})
	}
}

// overviewBenchService stores a generated history of n events, with the
// views snapshots serve writes as it goes, and returns a service whose
// live projections (the transparency log and the overview's figures
// included) stand at its end.
func overviewBenchService(b *testing.B, n int) *Service {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: b.TempDir()})
	require.NoError(b, err)
	h := newBenchHistory(7, "bench")
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = h.next()
	}
	benchAppend(ctx, b, s, evs)
	views := replay.NewViews()
	sn := replay.NewSnapshotter(s.Snapshots(), "bench", replay.DefaultEvery, replay.View{Projection: views})
	for _, e := range evs {
		views.Apply(e)
		_, err := sn.MaybeSnapshot(ctx, e)
		require.NoError(b, err)
	}
	live := NewLive(s, s.Snapshots(), 0, b.Logf)
	done := make(chan struct{})
	go func() { defer close(done); _ = live.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
		require.NoError(b, s.Close())
	})
	last := evs[n-1].Seq
	require.Eventually(b, func() bool { return live.Position("bench") == last && live.LogReady("bench") },
		5*time.Minute, 10*time.Millisecond)
	lq := New(s, s.Snapshots())
	lq.UseLive(live, nil)
	// A dashboard looks at the present: the day after the last event.
	lq.SetClock(func() time.Time { return evs[n-1].OccurredAt.Add(24 * time.Hour) })
	return lq
}
