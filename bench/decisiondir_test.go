package bench

import (
	"context"
	"encoding/json"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/replay"
)

// BenchmarkDecisionDir is ledger bench's decision row in steady state on
// a data directory that outlives the run (a copy of one the bench's
// generator wrote; the decisions are appended to it): serve's pieces
// started as the bench starts them, every product's transparency log and
// write state caught up, then one item.rank to the top of the first
// product's backlog at a time through the service. It measures the
// ledger's side alone, to profile: the raw side of the row needs a raw
// stream as long as the history (a short one answers its expected-
// sequence check several times faster), which ledger bench builds and
// this does not. It runs only with LEDGER_BENCH_DIR set:
//
//	LEDGER_BENCH_DIR=/tmp/dec1m go test ./bench -run '^$' -bench DecisionDir -benchtime 2000x
//
// LEDGER_BENCH_CPUPROFILE=FILE profiles the timed decisions alone, not
// the start.
func BenchmarkDecisionDir(b *testing.B) {
	ctx := context.Background()
	s := openBenchDir(b, "ledger-decision-bench")
	sv, err := startServing(ctx, s)
	require.NoError(b, err)
	b.Cleanup(sv.stop)
	<-sv.warmed
	require.NoError(b, sv.warmErr())
	products, err := s.Products(ctx)
	require.NoError(b, err)
	for _, p := range products {
		for !sv.live.LogReady(p) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	p := "p1"
	bl, err := sv.q.Backlog(ctx, p, replay.Latest, query.BacklogFilter{}, 0)
	require.NoError(b, err)
	require.NotEmpty(b, bl.Items)
	k := 0
	ledgerOne := func() {
		args, _ := json.Marshal(map[string]any{"id": bl.Items[k%len(bl.Items)].ID, "top": true, "why": "bench: top of the backlog"})
		k++
		_, err := sv.client.Do(ctx, command.Request{Action: "item.rank", Product: p, Actor: "olga", Args: args})
		require.NoError(b, err)
	}
	for range 20 {
		ledgerOne()
	}
	if path := os.Getenv("LEDGER_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		require.NoError(b, err)
		require.NoError(b, pprof.StartCPUProfile(f))
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	for b.Loop() {
		ledgerOne()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/decision")
}
