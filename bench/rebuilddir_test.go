package bench

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/replay"
)

// BenchmarkRebuildDir is ledger bench's rebuild row on a data directory
// that outlives the run (a copy of one bench.NewGenerator(1, 4, n) wrote;
// it is opened, not written to): query.RebuildAll of every product, the
// transparency log included, against rawRead of the whole stream,
// interleaved as the runner does, reporting both and their ratio, the
// heap after the rebuild and the peak RSS of the ledger side (as the
// rebuild-log-rss row measures it). It runs
// only with LEDGER_BENCH_DIR set:
//
//	LEDGER_BENCH_DIR=/tmp/wtlog1m go test ./bench -run '^$' -bench RebuildDir -benchtime 2x
//
// LEDGER_BENCH_SIDE=ledger runs the ledger side alone (the one to
// profile). LEDGER_BENCH_MEMPROFILE=FILE writes a heap profile of what
// the last rebuild holds when it ends (after a collection, its result
// still live), and live-MiB reports that heap: what the collector's
// heap goal doubles.
func BenchmarkRebuildDir(b *testing.B) {
	ctx := context.Background()
	s := openBenchDir(b, "ledger-rebuild-bench")
	products := []string{}
	for _, h := range NewGenerator(1, 4, 1000).Products() {
		products = append(products, h.Product())
	}
	alone := os.Getenv("LEDGER_BENCH_SIDE") == "ledger"
	var ledger, raw time.Duration
	var events int
	var heap, live uint64
	var rss float64
	i := 0
	for b.Loop() {
		sides := []func(){
			func() {
				debug.FreeOSMemory()
				peak := newPeakRSS()
				t := time.Now()
				res, err := query.RebuildAll(ctx, s, products, replay.Latest, query.RebuildOptions{})
				ledger += time.Since(t)
				mib, _ := peak.stop()
				rss = max(rss, mib)
				require.NoError(b, err)
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap = max(heap, ms.HeapAlloc)
				runtime.GC()
				runtime.ReadMemStats(&ms)
				live = max(live, ms.HeapAlloc)
				if path := os.Getenv("LEDGER_BENCH_MEMPROFILE"); path != "" {
					f, err := os.Create(path)
					require.NoError(b, err)
					require.NoError(b, pprof.WriteHeapProfile(f))
					require.NoError(b, f.Close())
				}
				runtime.KeepAlive(res)
			},
			func() {
				if alone {
					return
				}
				t := time.Now()
				n, err := rawRead(ctx, s.JetStream(), eventstore.StreamName, "", nil)
				raw += time.Since(t)
				require.NoError(b, err)
				events = n
			},
		}
		if i%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			side()
		}
		i++
	}
	k := float64(b.N)
	if events == 0 {
		info, err := s.JetStream().Stream(ctx, eventstore.StreamName)
		require.NoError(b, err)
		st, err := info.Info(ctx)
		require.NoError(b, err)
		events = int(st.State.Msgs)
	}
	b.ReportMetric(float64(events)*k/ledger.Seconds(), "ledger-ev/s")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(live)/(1<<20), "live-MiB")
	b.ReportMetric(rss, "peak-RSS-MiB")
	if !alone {
		b.ReportMetric(float64(events)*k/raw.Seconds(), "raw-ev/s")
		b.ReportMetric(raw.Seconds()/ledger.Seconds(), "ratio")
	}
}

// openBenchDir opens the store in LEDGER_BENCH_DIR for a benchmark of a
// kept directory, closed when it ends, and skips the benchmark when the
// variable is not set.
func openBenchDir(b *testing.B, name string) *eventstore.Store {
	b.Helper()
	dir := os.Getenv("LEDGER_BENCH_DIR")
	if dir == "" {
		b.Skip("set LEDGER_BENCH_DIR to a data directory to keep between runs")
	}
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: dir, Name: name})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s
}
