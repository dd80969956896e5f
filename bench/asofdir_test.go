package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/replay"
)

// BenchmarkAsOfDir is ledger bench's as-of rows on a data directory that
// outlives the run, so that iterating on snapshots does not regenerate a
// million events each time. It runs only with LEDGER_BENCH_DIR set:
//
//	LEDGER_BENCH_DIR=/tmp/asof1m go test ./bench -run '^$' -bench AsOfDir -benchtime 4x
//
// The first run generates LEDGER_BENCH_EVENTS events (1,000,000 unless
// set) over 4 products with bench.NewGenerator(1, 4, n), appends them run
// by run, and writes Views snapshots of every product with query.Rebuild
// as ledger replay does (the time it took and the bytes are logged). A
// later run reuses the directory and writes the snapshots again only when
// the newest one is of another ViewsVersion or LEDGER_BENCH_RESNAP is set
// (for a retention change that keeps the version).
//
// Random asks the backlog of the first product as of random dates in the
// second half of its history from snapshots and by full replay,
// interleaved, as bench/asof.go does, and reports both and their ratio;
// Snapshots asks only from snapshots (the one to profile), Early and Late
// likewise in the two regions the Scaling row compares; Scaling is the
// asof-scaling row (bench.AsOfScaling): per iteration, the median cost of
// bench.ScalingDates dates around a tenth of the way in against that of
// as many at the end.
func BenchmarkAsOfDir(b *testing.B) {
	dir := os.Getenv("LEDGER_BENCH_DIR")
	if dir == "" {
		b.Skip("set LEDGER_BENCH_DIR to a data directory to keep between runs")
	}
	n := 1_000_000
	if v := os.Getenv("LEDGER_BENCH_EVENTS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(b, err)
	}
	d := openAsOfDir(b, dir, n)
	ctx := context.Background()
	p := d.products[0]
	times := d.times[p]
	q, full := query.New(d.store, d.store.Snapshots()), query.New(d.store, nil)
	rng := rand.New(rand.NewPCG(1, 99))
	random := func() replay.Position {
		return replay.AtTime(times[len(times)/2+rng.IntN(len(times)/2)])
	}
	backlog := func(q *query.Service, at replay.Position) (query.Backlog, time.Duration) {
		t := time.Now()
		bl, err := q.Backlog(ctx, p, at, query.BacklogFilter{}, 0)
		require.NoError(b, err)
		return bl, time.Since(t)
	}

	b.Run("Random", func(b *testing.B) {
		var snap, replayed time.Duration
		var replayedEvents uint64
		for b.Loop() {
			at := random()
			x, dx := backlog(q, at)
			y, dy := backlog(full, at)
			jx, _ := json.Marshal(x.Items)
			jy, _ := json.Marshal(y.Items)
			require.Equal(b, y.Position, x.Position, "as of %s", at)
			require.Equal(b, string(jy), string(jx), "as of %s: from snapshots against the full replay", at)
			require.Empty(b, x.Warnings)
			snap += dx
			replayed += dy
			replayedEvents += x.Replayed
		}
		k := float64(b.N)
		b.ReportMetric(snap.Seconds()*1000/k, "snap-ms")
		b.ReportMetric(replayed.Seconds()*1000/k, "full-ms")
		b.ReportMetric(replayed.Seconds()/snap.Seconds(), "ratio")
		b.ReportMetric(float64(replayedEvents)/k, "replayed/op")
	})
	b.Run("Snapshots", func(b *testing.B) {
		var replayedEvents uint64
		for b.Loop() {
			x, _ := backlog(q, random())
			require.Empty(b, x.Warnings)
			replayedEvents += x.Replayed
		}
		b.ReportMetric(float64(replayedEvents)/float64(b.N), "replayed/op")
	})
	// Early and Late ask only from snapshots, each at random dates of one
	// region of the Scaling row (bench.ScalingRegions): the ones to
	// profile when the ratio moves. cpu-ms/op is the process's CPU time
	// per answer, embedded server included, which a neighbour's load
	// moves less than the wall time.
	early, late := bench.ScalingRegions(times)
	for _, c := range []struct {
		name   string
		region []time.Time
	}{{"Early", early}, {"Late", late}} {
		b.Run(c.name, func(b *testing.B) {
			var replayedEvents uint64
			cpu := processCPU()
			for b.Loop() {
				x, _ := backlog(q, replay.AtTime(c.region[rng.IntN(len(c.region))]))
				require.Empty(b, x.Warnings)
				replayedEvents += x.Replayed
			}
			b.ReportMetric(float64(replayedEvents)/float64(b.N), "replayed/op")
			b.ReportMetric((processCPU()-cpu).Seconds()*1000/float64(b.N), "cpu-ms/op")
		})
	}
	b.Run("Scaling", func(b *testing.B) {
		var early, late time.Duration
		for b.Loop() {
			de, dl, err := bench.AsOfScaling(rng, times, bench.ScalingDates, func(at replay.Position) error {
				_, err := q.Backlog(ctx, p, at, query.BacklogFilter{}, 0)
				return err
			})
			require.NoError(b, err)
			early += de
			late += dl
		}
		k := float64(b.N)
		b.ReportMetric(early.Seconds()*1000/k, "tenth-ms")
		b.ReportMetric(late.Seconds()*1000/k, "end-ms")
		b.ReportMetric(early.Seconds()/late.Seconds(), "ratio")
	})
}

// asOfDir is an opened persistent bench directory.
type asOfDir struct {
	store    *eventstore.Store
	products []string
	// times are business times sampled every 100 events of a product,
	// as the bench runner samples them.
	times map[string][]time.Time
}

// asOfMeta is what the directory remembers of its history.
type asOfMeta struct {
	Events int                    `json:"events"`
	Times  map[string][]time.Time `json:"times"`
}

func openAsOfDir(b *testing.B, dir string, n int) asOfDir {
	b.Helper()
	ctx := context.Background()
	metaFile := filepath.Join(dir, "asof-bench.json")
	var meta asOfMeta
	raw, err := os.ReadFile(metaFile)
	fresh := os.IsNotExist(err)
	if !fresh {
		require.NoError(b, err)
		require.NoError(b, json.Unmarshal(raw, &meta))
		require.Equal(b, n, meta.Events, "%s holds another history: remove it or set LEDGER_BENCH_EVENTS", dir)
	} else {
		require.NoError(b, os.RemoveAll(dir), "a directory without %s is a half-built one", metaFile)
	}
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: dir, Name: "ledger-asof-bench"})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	if fresh {
		start := time.Now()
		meta = asOfMeta{Events: n, Times: map[string][]time.Time{}}
		g := bench.NewGenerator(1, 4, n)
		last, counts := map[string]uint64{}, map[string]int{}
		for done := 0; done < n; {
			evs := g.NextRun(min(bench.RunLength, n-done))
			if len(evs) == 0 {
				continue
			}
			p := evs[0].Product
			seqs, err := s.Append(ctx, evs, last[p])
			require.NoError(b, err)
			last[p] = seqs[len(seqs)-1]
			for j, e := range evs {
				if (counts[p]+j)%100 == 0 {
					meta.Times[p] = append(meta.Times[p], e.OccurredAt)
				}
			}
			counts[p] += len(evs)
			done += len(evs)
		}
		b.Logf("appended %d events in %s", n, time.Since(start).Round(time.Second))
	}
	d := asOfDir{store: s, times: meta.Times}
	for p := range meta.Times {
		d.products = append(d.products, p)
	}
	sort.Strings(d.products)

	snaps := s.Snapshots()
	resnap := fresh || os.Getenv("LEDGER_BENCH_RESNAP") != ""
	for _, p := range d.products {
		list, err := snaps.List(ctx, p, "views")
		require.NoError(b, err)
		if len(list) == 0 || list[len(list)-1].Version != replay.ViewsVersion {
			resnap = true
		}
	}
	if resnap {
		start := time.Now()
		for _, p := range d.products {
			_, err := query.Rebuild(ctx, s, snaps, p, replay.Latest, replay.DefaultEvery, true, nil)
			require.NoError(b, err)
		}
		b.Logf("snapshots written in %s (ledger replay)", time.Since(start).Round(100*time.Millisecond))
	}
	if fresh {
		enc, err := json.Marshal(meta)
		require.NoError(b, err)
		require.NoError(b, os.WriteFile(metaFile, enc, 0o644))
	}
	logSizes(b, ctx, s, d.products)
	return d
}

// logSizes logs the bytes of the snapshots against the stream's, as the
// bench's snapshot-bytes row measures them, and how many are kept.
func logSizes(b *testing.B, ctx context.Context, s *eventstore.Store, products []string) {
	b.Helper()
	js := s.JetStream()
	st, err := js.Stream(ctx, eventstore.StreamName)
	require.NoError(b, err)
	info, err := st.Info(ctx)
	require.NoError(b, err)
	obs, err := js.ObjectStore(ctx, eventstore.SnapshotBucket)
	require.NoError(b, err)
	status, err := obs.Status(ctx)
	require.NoError(b, err)
	kept := ""
	for _, p := range products {
		list, err := s.Snapshots().List(ctx, p, "views")
		require.NoError(b, err)
		var newest uint64
		if len(list) > 0 {
			newest = list[len(list)-1].Size
		}
		kept += fmt.Sprintf(" %s: %d (newest %d B)", p, len(list), newest)
	}
	b.Logf("snapshots %.1f MiB, stream %.1f MiB; kept%s", float64(status.Size())/(1<<20), float64(info.State.Bytes)/(1<<20), kept)
}
