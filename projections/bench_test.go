package projections_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// benchHistory is one product's share of a 1M-event bench run
// (bench.LimitsFor(1M, 4): 5,000 items, up to 1,000 open), 100k events
// long.
func benchHistory() []domain.Event {
	h := bench.NewRichHistory(1, "bench", bench.LimitsFor(1_000_000, 4))
	evs := make([]domain.Event, 100_000)
	for i := range evs {
		evs[i] = h.Next()
		evs[i].Seq = uint64(i + 1)
	}
	return evs
}

// BenchmarkSetApply folds 100k events into a Set, the in-memory part of
// a rebuild: the Set of NewSet, whose Log shares its backlog, roadmap and
// requests folds, against a Set composed of four projections folding on
// their own (the Log then folds its own copies), which is how every Set
// folded before. Profile it with
//
//	go test ./projections -run '^$' -bench SetApply -benchtime 3x -cpuprofile cpu.out
func BenchmarkSetApply(b *testing.B) {
	evs := benchHistory()
	sets := map[string]func() *projections.Set{
		"shared": projections.NewSet,
		"separate": func() *projections.Set {
			return &projections.Set{Backlog: projections.NewBacklog(), Roadmap: projections.NewRoadmap(),
				Log: projections.NewLog(), Requests: projections.NewRequests()}
		},
	}
	for _, name := range []string{"shared", "separate"} {
		b.Run(name, func(b *testing.B) {
			cpu := processCPU()
			for b.Loop() {
				s := sets[name]()
				for _, e := range evs {
					s.Apply(e)
				}
			}
			b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(len(evs)*b.N), "cpu-ns/event")
		})
	}
}

// BenchmarkBacklogSnapshot marshals and restores the backlog after 100k
// events (5,000 items), what every Views snapshot and as-of answer pays.
func BenchmarkBacklogSnapshot(b *testing.B) {
	bl := projections.NewBacklog()
	for _, e := range benchHistory() {
		bl.Apply(e)
	}
	data, err := bl.MarshalSnapshot()
	require.NoError(b, err)
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			_, err := bl.MarshalSnapshot()
			require.NoError(b, err)
		}
		b.ReportMetric(float64(len(data)), "bytes")
	})
	b.Run("unmarshal", func(b *testing.B) {
		for b.Loop() {
			require.NoError(b, projections.NewBacklog().UnmarshalSnapshot(data))
		}
	})
}

// BenchmarkLogChains reads the transparency log back after 100k events
// (one product's share of a 1M-event bench run): "why" reads the chain of
// one item at a time, as the service answers it, "all" every item's
// chain at once (ChainsOf), as a decisions query over the whole product
// does. why reports
// the heap that holds the Set (after a collection, the events folded
// dropped).
//
//	go test ./projections -run '^$' -bench 'LogChains/why' -benchtime 2000x
//	go test ./projections -run '^$' -bench 'LogChains/all' -benchtime 2x
func BenchmarkLogChains(b *testing.B) {
	evs := benchHistory()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	s := projections.NewSet()
	for _, e := range evs {
		s.Apply(e)
	}
	evs = nil
	views := projections.NewSetWithoutLog(s.Backlog, s.Roadmap, s.Requests, nil)
	runtime.GC()
	var withLog runtime.MemStats
	runtime.ReadMemStats(&withLog)
	logMiB := float64(withLog.HeapAlloc) / (1 << 20)
	runtime.KeepAlive(views)
	ids := s.Log.IDs(domain.KindItem)
	b.Run("why", func(b *testing.B) {
		n, i := 0, 0
		cpu := processCPU()
		for b.Loop() {
			ds, ok := s.Log.ChainOf(domain.KindItem, ids[i%len(ids)])
			require.True(b, ok)
			n += len(ds)
			i += 7919
		}
		b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(n), "cpu-ns/decision")
		b.ReportMetric(logMiB, "heap-MiB")
	})
	b.Run("all", func(b *testing.B) {
		n := 0
		cpu := processCPU()
		for b.Loop() {
			for _, ds := range s.Log.ChainsOf(domain.KindItem, ids) {
				n += len(ds)
			}
		}
		b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(n), "cpu-ns/decision")
	})
}
