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
	lq, s, last := overviewBenchService(b, n)
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
			// The first answer after a decision that cannot change
			// say/do (a rank, the most common) keeps it; one after a
			// delivery works it out again.
			after := func(p domain.Payload, kind domain.AggregateKind, id string) time.Duration {
				b.Helper()
				at := last.OccurredAt.Add(time.Minute)
				e := domain.Event{ID: domain.EventID("bench", fmt.Sprint("after-", last.Seq), at, 0), Type: p.EventType(),
					Schema: domain.SchemaOf(p.EventType()), Product: "bench", Aggregate: domain.Aggregate{Kind: kind, ID: id},
					Actor: domain.Actor{ID: "olga", Role: domain.RolePO}, OccurredAt: at, Why: "bench", Data: p, CommandID: fmt.Sprint("after-", last.Seq)}
				if kind == domain.KindItem && p.EventType() == domain.TypeWorkDelivered {
					e.Actor = domain.Actor{ID: "tom", Role: domain.RoleTeam}
				}
				seqs, err := s.Append(ctx, []domain.Event{e}, last.Seq)
				require.NoError(b, err)
				e.Seq = seqs[0]
				last = e
				require.Eventually(b, func() bool { return lq.live.Position("bench") == e.Seq }, time.Minute, time.Millisecond)
				start := time.Now()
				ov, err := lq.Overview(ctx, "bench", replay.Latest, 0)
				require.NoError(b, err)
				require.Empty(b, ov.SayDoError)
				return time.Since(start)
			}
			item := openBenchItem(b, lq)
			var ranked time.Duration
			for range 5 {
				ranked += after(domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, domain.KindItem, item)
			}
			delivered := after(domain.WorkDelivered{Release: "bench"}, domain.KindItem, item)
			b.ReportMetric(float64(ranked.Microseconds())/5/1000, "after-rank-ms")
			b.ReportMetric(float64(delivered.Milliseconds()), "after-delivery-ms")
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
func overviewBenchService(b *testing.B, n int) (*Service, *eventstore.Store, domain.Event) {
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
	return lq, s, evs[n-1]
}

// openBenchItem is an open item of the generated backlog.
func openBenchItem(b *testing.B, lq *Service) string {
	b.Helper()
	bl, err := lq.Backlog(context.Background(), "bench", replay.Latest, BacklogFilter{}, 0)
	require.NoError(b, err)
	require.NotEmpty(b, bl.Items)
	return bl.Items[0].ID
}
