package bench_test

import (
	"context"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/replay"
	"github.com/decisionledger/ledger/service"
)

// The hot paths of ledger bench as go test benchmarks, on 100k events
// over 4 products loaded once per run (a few seconds). Run them, and
// profile one, with
//
//	go test ./bench -run '^$' -bench . -benchtime 3x
//	go test ./bench -run '^$' -bench Rebuild -benchtime 3x -cpuprofile cpu.out

const benchEvents = 100_000

var (
	loadOnce  sync.Once
	loaded    *eventstore.Store
	loadedDir string
	products  []string
)

// TestMain removes the benchmarks' store, which outlives any one of them.
func TestMain(m *testing.M) {
	code := m.Run()
	if loaded != nil {
		_ = loaded.Close()
	}
	if loadedDir != "" {
		_ = os.RemoveAll(loadedDir)
	}
	os.Exit(code)
}

func load(b *testing.B) *eventstore.Store {
	b.Helper()
	loadOnce.Do(func() {
		ctx := context.Background()
		dir, err := bench.TempDir("")
		require.NoError(b, err)
		loadedDir = dir
		s, err := eventstore.Open(ctx, eventstore.Options{DataDir: dir})
		require.NoError(b, err)
		g := bench.NewGenerator(1, 4, benchEvents)
		last := map[string]uint64{}
		for n := 0; n < benchEvents; {
			evs := g.NextRun(min(bench.RunLength, benchEvents-n))
			seqs, err := s.Append(ctx, evs, last[evs[0].Product])
			require.NoError(b, err)
			last[evs[0].Product] = seqs[len(seqs)-1]
			n += len(evs)
		}
		for p := range last {
			products = append(products, p)
		}
		sort.Strings(products)
		_, err = query.RebuildAll(ctx, s, products, replay.Latest, query.RebuildOptions{Snapshots: s.Snapshots(), ViewsOnly: true})
		require.NoError(b, err)
		loaded = s
	})
	if loaded == nil {
		b.Fatal("loading the bench history failed")
	}
	return loaded
}

// BenchmarkRebuild rebuilds every projection of every product, the
// transparency log included, from one read of the stream, no snapshots
// read or written.
func BenchmarkRebuild(b *testing.B) {
	s := load(b)
	for b.Loop() {
		_, err := query.RebuildAll(context.Background(), s, products, replay.Latest, query.RebuildOptions{})
		require.NoError(b, err)
	}
	b.ReportMetric(benchEvents*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRebuildEach is BenchmarkRebuild one product at a time, each
// from a read of its own: what RebuildAll saves.
func BenchmarkRebuildEach(b *testing.B) {
	s := load(b)
	for b.Loop() {
		for _, p := range products {
			_, err := query.Rebuild(context.Background(), s, nil, p, replay.Latest, 0, false, nil)
			require.NoError(b, err)
		}
	}
	b.ReportMetric(benchEvents*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRead reads and decodes every event of every product through
// the event store, the part of a rebuild that is not folding.
func BenchmarkRead(b *testing.B) {
	s := load(b)
	for b.Loop() {
		for _, p := range products {
			_, err := s.Read(context.Background(), p, 0, func(e domain.Event) error { return nil })
			require.NoError(b, err)
		}
	}
	b.ReportMetric(benchEvents*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAsOfSnapshot answers the backlog of a product as of its last
// event from the nearest Views snapshot.
func BenchmarkAsOfSnapshot(b *testing.B) {
	s := load(b)
	q := query.New(s, s.Snapshots())
	for b.Loop() {
		_, err := q.Backlog(context.Background(), products[0], replay.Latest, query.BacklogFilter{}, 0)
		require.NoError(b, err)
	}
}

// BenchmarkDecision makes one durable decision at a time through the
// service, as serve runs it, on the loaded store.
func BenchmarkDecision(b *testing.B) {
	s := load(b)
	ctx := context.Background()
	h := command.New(s, nil)
	live := query.NewLive(s, s.Snapshots(), 0, nil)
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = live.Run(lctx) }()
	defer func() { cancel(); <-done }()
	q := query.New(s, s.Snapshots())
	q.UseLive(live, h.LastSeq)
	svc, err := service.Start(s.Conn(), h, q, service.Options{})
	require.NoError(b, err)
	defer svc.Stop()
	c := service.NewClient(s.Conn())
	var bl query.Backlog
	require.NoError(b, c.View(ctx, query.ViewBacklog, query.Options{Product: products[0]}, &bl))
	require.NotEmpty(b, bl.Items)
	args := []byte(`{"id":"` + bl.Items[len(bl.Items)-1].ID + `","top":true,"why":"bench"}`)
	for b.Loop() {
		_, err := c.Do(ctx, command.Request{Action: "item.rank", Product: products[0], Actor: "olga", Args: args})
		require.NoError(b, err)
	}
}
