package replay

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/eventstore"
)

// BenchmarkPrefetchDir answers the backlog, roadmap and requests of the
// first product as of random dates in the second half of its history
// from snapshots, reading the events after the snapshot while it is
// restored and after it, interleaved, on the data directory that
// bench.BenchmarkAsOfDir keeps (it must have run once):
//
//	LEDGER_BENCH_DIR=/tmp/asof1m go test ./replay -run '^$' -bench PrefetchDir -benchtime 20x
func BenchmarkPrefetchDir(b *testing.B) {
	dir := os.Getenv("LEDGER_BENCH_DIR")
	if dir == "" {
		b.Skip("set LEDGER_BENCH_DIR to a directory bench.BenchmarkAsOfDir wrote")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "asof-bench.json"))
	require.NoError(b, err)
	var meta struct {
		Times map[string][]time.Time `json:"times"`
	}
	require.NoError(b, json.Unmarshal(raw, &meta))
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: dir, Name: "ledger-asof-bench"})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	times := meta.Times["p1"]
	rng := rand.New(rand.NewPCG(2, 99))
	var with, without time.Duration
	var i int
	for b.Loop() {
		pos := AtTime(times[len(times)/2+rng.IntN(len(times)/2)])
		sides := []*time.Duration{&with, &without}
		if i%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		i++
		for _, d := range sides {
			t := time.Now()
			res, err := asOfInto(ctx, s, s.Snapshots(), "p1", pos, NewViews(), d == &with)
			require.NoError(b, err)
			require.Empty(b, res.Warnings)
			*d += time.Since(t)
		}
	}
	b.ReportMetric(with.Seconds()*1000/float64(b.N), "prefetch-ms")
	b.ReportMetric(without.Seconds()*1000/float64(b.N), "sequential-ms")
}
