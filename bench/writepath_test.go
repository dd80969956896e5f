package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/eventstore"
)

// BenchmarkWritePath is one decision at a time through the service, as
// serve runs it (live projections, transparency log and write state
// caught up), on a product whose backlog holds 100 and 20,000 open
// items (OpenBacklog): a rank of a random open item to the top, and the
// addition of a new item; and additions by 16 writers at once (add16,
// GOMAXPROCS a multiple of 16 or less). Flat in the backlog's size is the
// target:
//
//	go test ./bench -run '^$' -bench WritePath -benchtime 2000x
//	LEDGER_BENCH_CPUPROFILE=/tmp/cpu go test ./bench -run '^$' -bench WritePath -benchtime 2000x
//
// The second profiles each sub-benchmark's timed decisions alone, into
// /tmp/cpu.BenchmarkWritePath-open20000-rank and so on.
func BenchmarkWritePath(b *testing.B) {
	for _, open := range []int{100, 20_000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			sv := serveOpenBacklog(b, "w", open)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(1, 2))
			b.Run("rank", func(b *testing.B) {
				defer profileLoop(b)()
				for b.Loop() {
					args, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("I-%d", 1+rng.IntN(open)), "top": true, "why": "bench: top of the backlog"})
					_, err := sv.client.Do(ctx, command.Request{Action: "item.rank", Product: "w", Actor: "olga", Args: args})
					require.NoError(b, err)
				}
			})
			added := 0
			// Sixteen writers at once, each adding its own items: what the
			// single writer makes of concurrent commands (group commit).
			var parallel atomic.Int64
			b.Run("add16", func(b *testing.B) {
				defer profileLoop(b)()
				b.SetParallelism(16 / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						args, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("P-%d", parallel.Add(1)), "title": "New item"})
						_, err := sv.client.Do(ctx, command.Request{Action: "item.add", Product: "w", Actor: "olga", Args: args})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
			b.Run("add", func(b *testing.B) {
				defer profileLoop(b)()
				for b.Loop() {
					added++
					args, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("N-%d", added), "title": "New item"})
					_, err := sv.client.Do(ctx, command.Request{Action: "item.add", Product: "w", Actor: "olga", Args: args})
					require.NoError(b, err)
				}
			})
		})
	}
}

// profileLoop profiles the timed decisions alone, not the loading, into
// $LEDGER_BENCH_CPUPROFILE with the sub-benchmark's name appended, when
// it is set; it returns what stops it.
//
// It also reports the decisions per second and the CPU this process
// (embedded server included) spent per decision, which a neighbour's
// load on a shared machine moves less than the wall time.
func profileLoop(b *testing.B) func() {
	cpu := cpuSelf()
	report := func() {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		b.ReportMetric((cpuSelf()-cpu).Seconds()*1000/float64(b.N), "cpu-ms/op")
	}
	path := os.Getenv("LEDGER_BENCH_CPUPROFILE")
	if path == "" {
		return report
	}
	f, err := os.Create(path + "." + strings.NewReplacer("/", "-", "=", "").Replace(b.Name()))
	require.NoError(b, err)
	require.NoError(b, pprof.StartCPUProfile(f))
	return func() { pprof.StopCPUProfile(); _ = f.Close(); report() }
}

// serveOpenBacklog stores OpenBacklog(product, open) in a new data
// directory and serves it as serve does, every product's live
// projections (transparency log included) and write state caught up.
func serveOpenBacklog(b *testing.B, product string, open int) *serving {
	b.Helper()
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: filepath.Join(b.TempDir(), "data"), Name: "ledger-writepath-bench"})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	evs := OpenBacklog(product, open)
	require.NoError(b, AppendAll(ctx, s, evs, func() int { return eventstore.MaxBatch }, nil))
	sv, err := startServing(ctx, s)
	require.NoError(b, err)
	b.Cleanup(sv.stop)
	<-sv.warmed
	require.NoError(b, sv.warmErr())
	require.NoError(b, sv.waitLive(ctx, map[string]uint64{product: evs[len(evs)-1].Seq}))
	for !sv.live.LogReady(product) {
		time.Sleep(10 * time.Millisecond)
	}
	return sv
}
