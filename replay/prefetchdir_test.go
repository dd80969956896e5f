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

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// readOnly hides every method of a Source but Read.
type readOnly struct{ Source }

// BenchmarkPrefetchDir answers the backlog, roadmap and requests of the
// first product as of random dates in the second half of its history
// from snapshots three ways, interleaved on the same dates: reading the
// events after the snapshot after restoring it, while restoring it, and
// while restoring it with ReadRange up to the next snapshot. It runs on
// the data directory bench.BenchmarkAsOfDir keeps (which must have run
// once):
//
//	LEDGER_BENCH_DIR=/tmp/asof1m go test ./replay -run '^$' -bench PrefetchDir -benchtime 40x
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
	type way struct {
		src      Source
		prefetch bool
		took     time.Duration
	}
	ways := []*way{{src: readOnly{s}}, {src: readOnly{s}, prefetch: true}, {src: s, prefetch: true}}
	var i int
	for b.Loop() {
		pos := AtTime(times[len(times)/2+rng.IntN(len(times)/2)])
		for k := range ways {
			w := ways[(i+k)%len(ways)]
			t := time.Now()
			res, err := asOfInto(ctx, w.src, s.Snapshots(), "p1", pos, NewViews(), w.prefetch)
			require.NoError(b, err)
			require.Empty(b, res.Warnings)
			w.took += time.Since(t)
		}
		i++
	}
	for _, m := range []struct {
		w    *way
		unit string
	}{{ways[0], "sequential-ms"}, {ways[1], "prefetch-ms"}, {ways[2], "range-ms"}} {
		b.ReportMetric(m.w.took.Seconds()*1000/float64(b.N), m.unit)
	}
}

// BenchmarkRestoreDir restores two Views snapshots of the first product
// on the data directory bench.BenchmarkAsOfDir keeps (which must have run
// once): the one a tenth of the way into its history and the newest,
// what the two regions of ledger bench's asof-scaling row start from,
// whole and the backlog alone (as the backlog view restores them), and
// copies their backlogs' items out as the backlog view does:
//
//	LEDGER_BENCH_DIR=/tmp/asof1m go test ./replay -run '^$' -bench RestoreDir -benchmem
func BenchmarkRestoreDir(b *testing.B) {
	dir := os.Getenv("LEDGER_BENCH_DIR")
	if dir == "" {
		b.Skip("set LEDGER_BENCH_DIR to a directory bench.BenchmarkAsOfDir wrote")
	}
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: dir, Name: "ledger-asof-bench"})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	list, err := s.Snapshots().List(ctx, "p1", "views")
	require.NoError(b, err)
	require.NotEmpty(b, list)
	for _, c := range []struct {
		name string
		info SnapshotInfo
	}{{"Tenth", list[len(list)/10]}, {"Newest", list[len(list)-1]}} {
		data, err := s.Snapshots().Get(ctx, c.info)
		require.NoError(b, err)
		v := NewViews()
		require.NoError(b, v.UnmarshalSnapshot(data))
		b.Run(c.name+"/Restore", func(b *testing.B) {
			for b.Loop() {
				require.NoError(b, NewViews().UnmarshalSnapshot(data))
			}
			b.ReportMetric(float64(len(v.Backlog.Items())), "items")
		})
		b.Run(c.name+"/RestoreBacklog", func(b *testing.B) {
			for b.Loop() {
				require.NoError(b, NewViewsOf(MemberBacklog).UnmarshalSnapshot(data))
			}
		})
		b.Run(c.name+"/OpenItems", func(b *testing.B) {
			for b.Loop() {
				v.Backlog.ItemsWith(domain.ItemStatus.Open)
			}
			b.ReportMetric(float64(len(v.Backlog.ItemsWith(domain.ItemStatus.Open))), "items")
		})
		b.Run(c.name+"/AllItems", func(b *testing.B) {
			for b.Loop() {
				v.Backlog.Items()
			}
		})
	}
}
