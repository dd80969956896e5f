package command_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/snapshot"
)

// BenchmarkOneShotWrite is what a one-shot CLI write costs on a product
// of 1k and 100k events: open the store on its data directory (embedded
// server), build a new Handler, Execute one decision, close. It compares
//
//   - publish: a process that only opens the store and publishes one
//     event with a raw JetStream publish expecting the product's last
//     sequence, the least any writer can do;
//   - snapshot: the Handler restoring the newest write-state snapshot
//     (taken at the end of the loaded history, attested by the event
//     after it) and catching up from it;
//   - replay: the Handler folding the whole history, as before
//     write-state snapshots;
//   - behind: the worst case with snapshots, the newest one being
//     DefaultSnapshotEvery-1 events behind: the Handler catches up 999
//     events, and having folded 1000 stores a new snapshot of the state
//     its decision is taken on, which the decision attests (the old
//     snapshot is put back before each write, untimed).
//
// Run it with
//
//	go test ./command -run '^$' -bench OneShotWrite -benchtime 10x
//
// The ratio to publish is reported as x-publish/op.
func BenchmarkOneShotWrite(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("events=%dk", n/1000), func(b *testing.B) {
			dir, item, behind := loadOneShot(b, n)
			ctx := context.Background()
			var base float64
			i := 0
			for _, mode := range []string{"publish", "snapshot", "replay", "behind"} {
				b.Run(mode, func(b *testing.B) {
					for b.Loop() {
						i++
						if mode == "behind" {
							b.StopTimer()
							putBehind(b, dir, behind)
							b.StartTimer()
						}
						s, err := eventstore.Open(ctx, eventstore.Options{DataDir: dir})
						require.NoError(b, err)
						c := domain.Command{ID: fmt.Sprintf("bench-%s-%d", mode, i), Product: "bench", Actor: "olga", Why: "bench",
							Action: domain.RankItem{ID: item, Position: domain.Position{Place: []domain.Placement{domain.PlaceTop, domain.PlaceBottom}[i%2]}}}
						switch mode {
						case "publish":
							publishOnce(b, s, c)
						default:
							var opts []command.Option
							if mode != "replay" {
								opts = append(opts, command.WithSnapshots(s.WriteStates(), 0), command.WithWarnings(func(err error) { b.Error(err) }))
							}
							h := command.New(s, nil, opts...)
							_, err := h.Execute(ctx, c)
							require.NoError(b, err)
							h.Wait()
						}
						require.NoError(b, s.Close())
					}
					perOp := b.Elapsed().Seconds() / float64(b.N)
					if mode == "publish" {
						base = perOp
					} else if base > 0 {
						b.ReportMetric(perOp/base, "x-publish/op")
					}
				})
			}
		})
	}
}

// publishOnce is the publish case: the expected sequence is what a
// writer has to learn anyway, so it is read before the clock matters
// little; it is read here inside the timing, as a process would.
func publishOnce(b *testing.B, s *eventstore.Store, c domain.Command) {
	ctx := context.Background()
	last, err := s.LastSeq(ctx, c.Product)
	require.NoError(b, err)
	e := domain.Event{ID: domain.EventID(c.Product, c.ID, time.Now(), 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
		Product: c.Product, Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: c.Action.(domain.RankItem).ID},
		Actor: domain.Actor{ID: c.Actor, Role: domain.RolePO}, OccurredAt: time.Now().UTC(), Why: c.Why,
		Data: domain.BacklogItemRanked{Position: c.Action.(domain.RankItem).Position}, CommandID: c.ID}
	data, err := domain.Encode(e)
	require.NoError(b, err)
	_, err = eventstoretest.PublishOnce(ctx, s, e.Subject(), e.ID, data, domain.ProductSubjects(c.Product), last)
	require.NoError(b, err)
}

// behindSnapshot is the write-state snapshot DefaultSnapshotEvery-1
// events before the end of the loaded history, attested.
type behindSnapshot struct {
	info snapshot.Info
	data []byte
}

// putBehind makes the snapshot behind the newest write-state snapshot.
func putBehind(b *testing.B, dir string, behind behindSnapshot) {
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: dir})
	require.NoError(b, err)
	list, err := s.Snapshots().List(ctx, "bench", eventstore.WriteStateKind)
	require.NoError(b, err)
	for _, old := range list {
		require.NoError(b, s.Snapshots().Delete(ctx, old))
	}
	require.NoError(b, s.WriteStates().Put(ctx, behind.info, behind.data))
	require.NoError(b, s.Close())
}

// loadOneShot writes a generated history of n events of product "bench"
// into a new data directory through Append in atomic batches, as a
// Handler with write-state snapshots would have left it: the decision
// DefaultSnapshotEvery-1 events before the end attests the snapshot of
// the state before it. Then a Handler with write-state snapshots folds
// it and records one decision, which stores the snapshot the one-shot
// writes restore, attested by that decision. It returns the directory,
// an open item to rank and the snapshot behind.
func loadOneShot(b *testing.B, n int) (dir, item string, behind behindSnapshot) {
	b.Helper()
	ctx := context.Background()
	dir = b.TempDir()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: dir})
	require.NoError(b, err)
	h := newHistory(1, "bench")
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = h.Next()
	}
	start := time.Now()
	k := n - command.DefaultSnapshotEvery + 1
	for k > 0 && evs[k].CommandID == evs[k-1].CommandID {
		k--
	}
	appendAll(ctx, b, s, evs[:k], func() int { return eventstore.MaxBatch }, nil)
	st := fold("bench", evs[:k], 0)
	data, err := st.MarshalSnapshot()
	require.NoError(b, err)
	behind = behindSnapshot{info: snapshot.Info{Product: "bench", Version: domain.StateVersion, Seq: st.LastSeq, LastAt: st.LastAt, Events: uint64(k)}, data: data}
	j := k + 1
	for j < n && evs[j].CommandID == evs[k].CommandID {
		j++
	}
	seqs, err := s.AppendAttested(ctx, evs[k:j], st.LastSeq, command.Attestation(st.LastSeq, data))
	require.NoError(b, err)
	appendFrom(b, s, evs[j:], seqs[len(seqs)-1])

	hd := command.New(s, nil, command.WithSnapshots(s.WriteStates(), 0), command.WithWarnings(func(err error) { b.Error(err) }))
	_, err = hd.Execute(ctx, domain.Command{ID: "bench-load", Product: "bench", Actor: "olga", Why: "bench",
		Action: domain.RankItem{ID: h.Open()[0], Position: domain.Position{Place: domain.PlaceTop}}})
	require.NoError(b, err)
	hd.Wait()
	info, latest, ok, err := s.WriteStates().Latest(ctx, "bench")
	require.NoError(b, err)
	require.True(b, ok)
	require.Equal(b, evs[n-1].Seq, info.Seq)
	b.Logf("loaded %d events in %s; write-state snapshot of %d bytes", n, time.Since(start).Round(time.Millisecond), len(latest))
	require.NoError(b, s.Close())
	return dir, h.Open()[0], behind
}

// BenchmarkWriteStateMemory reports what the write model of one product
// holds after a generated history of 100k events (600 backlog items, 300
// requests, 24 roadmap items, one command per event), with the default
// command limit and with 1,000: live heap bytes, bytes per remembered
// command id, and the size of its write-state snapshot. Run it with
//
//	go test ./command -run '^$' -bench WriteStateMemory -benchtime 1x
func BenchmarkWriteStateMemory(b *testing.B) {
	const n = 100_000
	h := newHistory(1, "bench")
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = h.Next()
		evs[i].Seq = uint64(i + 1)
	}
	// heap folds a copy of the events whose command ids only the state
	// will hold, as in a process that decoded them, and returns the live
	// heap the state adds.
	heap := func(limit int) (*domain.State, uint64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		own := slices.Clone(evs)
		for i := range own {
			own[i].CommandID = strings.Clone(own[i].CommandID)
		}
		s := fold("bench", own, limit)
		own = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		return s, after.HeapAlloc - before.HeapAlloc
	}
	for b.Loop() {
		full, fullBytes := heap(0)
		small, smallBytes := heap(1_000)
		data, err := full.MarshalSnapshot()
		require.NoError(b, err)
		b.ReportMetric(float64(fullBytes), "heap-B")
		b.ReportMetric(float64(smallBytes), "heap-limit1k-B")
		b.ReportMetric(float64(fullBytes-smallBytes)/float64(n-1_000), "B/command-id")
		b.ReportMetric(float64(len(data)), "snapshot-B")
		b.ReportMetric(float64(len(full.Items)), "items")
		b.ReportMetric(float64(len(full.Requests)), "requests")
		runtime.KeepAlive(small)
	}
}

// BenchmarkRestoreState decodes the write-state snapshot of a product
// after a generated history of 100k events (100k command ids), the part
// of a one-shot write that grows with the retry memory. Run it with
//
//	go test ./command -run '^$' -bench RestoreState
func BenchmarkRestoreState(b *testing.B) {
	h := newHistory(1, "bench")
	s := domain.NewState("bench")
	for i := range 100_000 {
		e := h.Next()
		e.Seq = uint64(i + 1)
		s.Apply(e)
	}
	data, err := s.MarshalSnapshot()
	require.NoError(b, err)
	for b.Loop() {
		_, err := domain.RestoreState("bench", data, 0)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(len(data)), "snapshot-B")
}
