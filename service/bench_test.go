package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// BenchmarkServed measures what a client of a running serve pays for a
// durable decision and for why of one item, at 1k and at 100k events of
// history: with the service's long-lived write model and live
// projections, neither depends on the history's length.
//
//	go test ./service -run '^$' -bench Served -benchtime 200x
//
// The 100k history takes a few seconds to load and is built only when
// the benchmark runs; -short leaves it out. Figures, on the 2-core
// development machine (-count 2): a decision 0.67-0.74 ms at 1k, 0.83-0.96
// ms at 100k; why 0.09-0.10 ms at 1k, 0.13-0.15 ms at 100k.
func BenchmarkServed(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("events=%dk", n/1000), func(b *testing.B) {
			if n > 1_000 && testing.Short() {
				b.Skip("100k events take a minute to load; run without -short")
			}
			c := servedHistory(b, n)
			ctx := context.Background()
			// A decision whose cost is the rules' and the store's, not the
			// backlog's size (which the generator bounds, and which is
			// smaller at 1k): a stakeholder's request, each a new one.
			b.Run("decision", func(b *testing.B) {
				for b.Loop() {
					_, err := c.Do(ctx, command.Request{Action: "request.submit", Product: "bench", Actor: "sally",
						Args: json.RawMessage(fmt.Sprintf(`{"id":"B-%d","title":"Benchmark ask","why":"measured"}`, asked.Add(1)))})
					require.NoError(b, err)
				}
			})
			// why of one request with a few decisions, among all of the
			// history's: it costs that request's chain.
			_, err := c.Do(ctx, command.Request{Action: "request.submit", Product: "bench", Actor: "sally",
				Args: json.RawMessage(`{"id":"WHY-1","title":"Explain me","why":"measured"}`)})
			require.NoError(b, err)
			_, err = c.Do(ctx, command.Request{Action: "request.reject", Product: "bench", Actor: "olga",
				Args: json.RawMessage(`{"id":"WHY-1","reason":"low-value","why":"measured"}`)})
			require.NoError(b, err)
			b.Run("why", func(b *testing.B) {
				var w query.Why
				for b.Loop() {
					require.NoError(b, c.View(ctx, query.ViewWhy, query.Options{Product: "bench", ID: "WHY-1"}, &w))
				}
				require.Len(b, w.Decisions, 2)
				b.ReportMetric(float64(w.Events), "history-events")
			})
		})
	}
}

// asked numbers the benchmark's requests across runs.
var asked atomic.Int64

// servedHistory stores n generated events, starts the service over them
// as serve does and returns a client of it.
func servedHistory(b *testing.B, n int) *service.Client {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: filepath.Join(b.TempDir(), "data"), Listen: "127.0.0.1:0"})
	require.NoError(b, err)
	h := bench.NewHistory(1, "bench")
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = h.Next()
	}
	require.NoError(b, bench.AppendAll(ctx, s, evs, func() int { return eventstore.MaxBatch }, nil))
	handler := command.New(s, nil, command.WithSnapshots(s.WriteStates(), command.DefaultSnapshotEvery))
	live := query.NewLive(s, s.Snapshots(), 0, b.Logf)
	done := make(chan struct{})
	go func() { defer close(done); _ = live.Run(ctx) }()
	q := query.New(s, s.Snapshots())
	q.UseLive(live, handler.LastSeq)
	svc, err := service.Start(s.Conn(), handler, q, service.Options{})
	require.NoError(b, err)
	nc, err := nats.Connect(s.ClientURL())
	require.NoError(b, err)
	b.Cleanup(func() {
		nc.Close()
		svc.Stop()
		cancel()
		<-done
		handler.Wait()
		_ = s.Close()
	})
	c := service.NewClient(nc)
	// Warm: the live projections caught up (serve builds the
	// transparency log in the background after a start) and the write
	// model restored, as in a serve that has been running.
	last := evs[len(evs)-1].Seq
	require.Eventually(b, func() bool { return live.Position("bench") >= last && live.LogReady("bench") }, 10*time.Minute, 10*time.Millisecond,
		"the live projections, transparency log included, catch up")
	var bl query.Backlog
	require.NoError(b, c.View(ctx, query.ViewBacklog, query.Options{Product: "bench"}, &bl))
	_, err = handler.State(ctx, "bench")
	require.NoError(b, err)
	return c
}
