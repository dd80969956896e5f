package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// TestConformance runs the event store's contract against a single
// embedded server and against a 3-node cluster.
func TestConformance(t *testing.T) {
	t.Run("Embedded", func(t *testing.T) {
		dir := t.TempDir()
		// The first Open owns the directory and serves it; the other
		// writers are further connections of the serving process in the
		// store account, the only one that writes: clients of the
		// listener read the clients' copy and cannot.
		owner, err := Open(testCtx(t), Options{DataDir: dir, Listen: "127.0.0.1:0"})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, owner.Close()) })
		runConformance(t, func(t *testing.T) (*Store, error) {
			return openSibling(t, owner)
		})
	})
	t.Run("Cluster", func(t *testing.T) {
		if testing.Short() {
			t.Skip("starts a 3-node cluster")
		}
		urls := startCluster(t)
		runConformance(t, func(t *testing.T) (*Store, error) {
			return Open(testCtx(t), Options{URL: urls, Replicas: 3})
		})
	})
}

// runConformance checks the contract of Store. open returns a new Store on
// the backend under test; every Store it returns shares one LEDGER stream,
// so each case uses its own products.
func runConformance(t *testing.T, open func(t *testing.T) (*Store, error)) {
	mustOpen := func(t *testing.T) *Store {
		t.Helper()
		s, err := open(t)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	}

	t.Run("AppendAndRead", func(t *testing.T) {
		s := mustOpen(t)
		ctx := testCtx(t)
		const p = "conf-read"
		created := productCreated(p, "c1")
		ranked := domain.Event{
			ID: domain.EventID(p, "c3", at, 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
			Product: p, Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: "ITEM-0"},
			Actor: domain.Actor{ID: "olga", Role: domain.RolePO}, OccurredAt: at.Add(time.Hour), Why: "customers asked",
			Data: domain.BacklogItemRanked{
				Position: domain.Position{Place: domain.PlaceTop},
				Score:    &domain.Score{Framework: "rice", Inputs: map[string]float64{"reach": 100, "impact": 2}},
			},
			CommandID: "c3",
		}
		s1, err := s.Append(ctx, []domain.Event{created}, 0)
		require.NoError(t, err)
		require.Len(t, s1, 1)
		added := itemsAdded(p, "c2", 2)
		s2, err := s.Append(ctx, added, s1[0])
		require.NoError(t, err)
		require.Len(t, s2, 2)
		assert.Equal(t, s2[0]+1, s2[1], "a batch is stored contiguously")
		s3, err := s.Append(ctx, []domain.Event{ranked}, s2[1])
		require.NoError(t, err)

		want := []domain.Event{created, added[0], added[1], ranked}
		seqs := []uint64{s1[0], s2[0], s2[1], s3[0]}
		for i := range want {
			want[i].Seq = seqs[i]
		}
		got, st := readStored(t, s, p)
		assert.Equal(t, want, got)
		// Each event names the product's previous event as its writer saw
		// it, so a reader notices one that went missing.
		require.Len(t, st, 4)
		for i, prev := range []uint64{0, s1[0], s2[0], s2[1]} {
			assert.True(t, st[i].HasPrev)
			assert.Equal(t, prev, st[i].Prev, "event %d", i)
		}

		last, err := s.LastSeq(ctx, p)
		require.NoError(t, err)
		assert.Equal(t, s3[0], last)

		var after []uint64
		end, err := s.Read(ctx, p, s1[0], func(e domain.Event) error {
			after = append(after, e.Seq)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, seqs[1:], after, "Read starts after the given sequence")
		assert.Equal(t, s3[0], end)

		end, err = s.Read(ctx, p, last, func(domain.Event) error { return errors.New("no event expected") })
		require.NoError(t, err)
		assert.Equal(t, last, end, "nothing new returns after")

		errEnough := errors.New("enough")
		var n int
		end, err = s.Read(ctx, p, 0, func(domain.Event) error {
			if n++; n == 2 {
				return errEnough
			}
			return nil
		})
		require.ErrorIs(t, err, errEnough)
		assert.Equal(t, s1[0], end, "the last sequence fn accepted")

		products, err := s.Products(ctx)
		require.NoError(t, err)
		assert.Contains(t, products, p)

		var all []uint64
		_, err = s.ReadAll(ctx, 0, func(e domain.Event) error {
			if e.Product == p {
				all = append(all, e.Seq)
			}
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, seqs, all)

		var raws []Raw
		_, err = s.ReadRaw(ctx, s1[0]-1, func(r Raw) error {
			raws = append(raws, r)
			return nil
		})
		require.NoError(t, err)
		require.NotEmpty(t, raws)
		assert.Equal(t, s1[0], raws[0].Seq)
		assert.Equal(t, created.Subject(), raws[0].Subject)
		assert.Equal(t, []string{created.ID}, raws[0].Header[jetstream.MsgIDHeader])
		assert.Equal(t, []string{domain.TypeProductCreated}, raws[0].Header[HeaderType])
		assert.Equal(t, []string{"1"}, raws[0].Header[HeaderSchema])
		assert.False(t, raws[0].Time.IsZero())
		wire, err := domain.Encode(created)
		require.NoError(t, err)
		assert.JSONEq(t, string(wire), string(raws[0].Data))

		info, err := s.StreamInfo(ctx)
		require.NoError(t, err)
		assert.Equal(t, StreamName, info.Name)
		assert.Equal(t, []string{"ledger.>"}, info.Subjects)
		assert.True(t, info.DenyDelete)
		assert.True(t, info.DenyPurge)
		assert.Equal(t, "file", info.Storage)
		assert.GreaterOrEqual(t, info.LastSeq, last)
	})

	t.Run("ConcurrentWritersOneWins", func(t *testing.T) {
		a, b := mustOpen(t), mustOpen(t)
		ctx := testCtx(t)
		const p = "conf-race"
		for round := range 6 {
			expect, err := a.LastSeq(ctx, p)
			require.NoError(t, err)
			// Odd rounds race a batch against a single event.
			na := 1 + round%2
			writes := [][]domain.Event{
				itemsAdded(p, fmt.Sprintf("a%d", round), na),
				itemsAdded(p, fmt.Sprintf("b%d", round), 1),
			}
			stores := []*Store{a, b}
			errs := make([]error, 2)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() {
					<-start
					_, errs[i] = stores[i].Append(ctx, writes[i], expect)
				})
			}
			close(start)
			wg.Wait()

			var won, lost int
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case errors.Is(err, domain.ErrConflict):
					lost++
					assert.Equal(t, domain.KindConflict, domain.KindOf(err))
					assert.Contains(t, err.Error(), fmt.Sprintf("product %q changed since it was read (expected last sequence %d", p, expect))
				default:
					t.Errorf("round %d: unexpected error: %v", round, err)
				}
			}
			require.Equal(t, 1, won, "round %d: exactly one writer wins (errors %v)", round, errs)
			require.Equal(t, 1, lost, "round %d", round)
		}
	})

	t.Run("RetriedAppendRecordedOnce", func(t *testing.T) {
		s := mustOpen(t)
		ctx := testCtx(t)
		const p = "conf-retry"
		one := []domain.Event{productCreated(p, "r1")}
		batch := itemsAdded(p, "r2", 3)

		first, err := s.Append(ctx, one, 0)
		require.NoError(t, err)
		again, err := s.Append(ctx, one, 0)
		require.NoError(t, err, "the same event with the same expectation")
		assert.Equal(t, first, again)

		firstBatch, err := s.Append(ctx, batch, first[0])
		require.NoError(t, err)
		againBatch, err := s.Append(ctx, batch, first[0])
		require.NoError(t, err, "the same batch with the same expectation")
		assert.Equal(t, firstBatch, againBatch)

		// A retry that re-read the product first expects the new last
		// sequence: the ids alone recognise it.
		last, err := s.LastSeq(ctx, p)
		require.NoError(t, err)
		again, err = s.Append(ctx, one, last)
		require.NoError(t, err)
		assert.Equal(t, first, again)
		againBatch, err = s.Append(ctx, batch, last)
		require.NoError(t, err)
		assert.Equal(t, firstBatch, againBatch)

		assert.Len(t, readAll(t, s, p), 4, "every event stored once")
	})

	t.Run("FailedBatchStoresNothing", func(t *testing.T) {
		s := mustOpen(t)
		ctx := testCtx(t)
		const p = "conf-atomic"
		seqs, err := s.Append(ctx, []domain.Event{productCreated(p, "x1")}, 0)
		require.NoError(t, err)
		last := seqs[0]

		tests := map[string]struct {
			events []domain.Event
			expect uint64
			check  func(t *testing.T, err error)
		}{
			"WrongExpectedSequence": {
				events: itemsAdded(p, "x2", 3),
				expect: last - 1,
				check: func(t *testing.T, err error) {
					assert.ErrorIs(t, err, domain.ErrConflict)
					assert.Contains(t, err.Error(), fmt.Sprintf("it is now %d", last))
				},
			},
			"ExpectedZeroOnExistingProduct": {
				events: itemsAdded(p, "x3", 2),
				expect: 0,
				check:  func(t *testing.T, err error) { assert.ErrorIs(t, err, domain.ErrConflict) },
			},
			"LaterEventAlreadyStored": {
				// The second event reuses the id of the stored product
				// event: the server refuses the whole batch.
				events: []domain.Event{itemAdded(p, "x4", 0), func() domain.Event {
					e := itemAdded(p, "x4", 1)
					e.ID = productCreated(p, "x1").ID
					return e
				}()},
				expect: last,
				check: func(t *testing.T, err error) {
					assert.NotErrorIs(t, err, domain.ErrConflict)
					assert.Contains(t, err.Error(), "already stored")
				},
			},
		}
		for name, tc := range tests {
			t.Run(name, func(t *testing.T) {
				_, err := s.Append(ctx, tc.events, tc.expect)
				require.Error(t, err)
				tc.check(t, err)
				now, err := s.LastSeq(ctx, p)
				require.NoError(t, err)
				assert.Equal(t, last, now, "nothing stored")
				assert.Len(t, readAll(t, s, p), 1)
			})
		}
	})

	t.Run("DeleteAndPurgeRefused", func(t *testing.T) {
		s := mustOpen(t)
		ctx := testCtx(t)
		const p = "conf-delete"
		seqs, err := s.Append(ctx, []domain.Event{productCreated(p, "d1")}, 0)
		require.NoError(t, err)
		st, err := s.JetStream().Stream(ctx, StreamName)
		require.NoError(t, err)

		assert.Error(t, st.DeleteMsg(ctx, seqs[0]), "delete")
		assert.Error(t, st.SecureDeleteMsg(ctx, seqs[0]), "secure delete")
		assert.Error(t, st.Purge(ctx), "purge")
		assert.Error(t, st.Purge(ctx, jetstream.WithPurgeSubject(domain.ProductSubjects(p))), "purge one product")
		assert.Len(t, readAll(t, s, p), 1)
	})

	t.Run("WeakerStreamRefused", func(t *testing.T) {
		s := mustOpen(t)
		ctx := testCtx(t)
		st, err := s.JetStream().Stream(ctx, StreamName)
		require.NoError(t, err)
		good := st.CachedInfo().Config
		weak := good
		weak.MaxAge = 1000 * time.Hour
		weak.AllowAtomicPublish = false
		_, err = s.JetStream().UpdateStream(ctx, weak)
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := s.JetStream().UpdateStream(context.Background(), good)
			require.NoError(t, err)
		})

		_, err = open(t)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "max_age 1000h0m0s")
		assert.Contains(t, err.Error(), "atomic publish is off")
	})

	t.Run("ForeignMessageDelivered", func(t *testing.T) {
		s := mustOpen(t)
		ctx := testCtx(t)
		const p = "conf-foreign"
		first, err := s.Append(ctx, []domain.Event{productCreated(p, "f1")}, 0)
		require.NoError(t, err)
		ack, err := s.JetStream().Publish(ctx, "ledger."+p+".item.y", []byte("not a ledger event"))
		require.NoError(t, err)
		last, err := s.Append(ctx, []domain.Event{itemAdded(p, "f2", 0)}, ack.Sequence)
		require.NoError(t, err)

		got := readAll(t, s, p)
		require.Len(t, got, 3, "the foreign message does not stop Read")
		assert.Equal(t, []uint64{first[0], ack.Sequence, last[0]}, []uint64{got[0].Seq, got[1].Seq, got[2].Seq})
		assert.IsType(t, domain.ProductCreated{}, got[0].Data)
		require.IsType(t, domain.Unknown{}, got[1].Data)
		assert.Equal(t, "not a ledger event", string(got[1].Data.(domain.Unknown).Raw))
		assert.IsType(t, domain.BacklogItemAdded{}, got[2].Data)
	})

	t.Run("FollowDeliversNewEvents", func(t *testing.T) {
		s := mustOpen(t)
		ctx := testCtx(t)
		const p = "conf-follow"
		before, err := s.Append(ctx, []domain.Event{productCreated(p, "w1")}, 0)
		require.NoError(t, err)

		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var mu sync.Mutex
		var seen []uint64
		done := make(chan error, 1)
		go func() {
			done <- s.Follow(fctx, p, 0, func(e domain.Event) error {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, e.Seq)
				return nil
			})
		}()
		seqs := append([]uint64(nil), before...)
		last := before[0]
		for i := range 3 {
			got, err := s.Append(ctx, itemsAdded(p, fmt.Sprintf("w%d", i+2), i+1), last)
			require.NoError(t, err)
			seqs = append(seqs, got...)
			last = got[len(got)-1]
		}
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) == len(seqs)
		}, 10*time.Second, 10*time.Millisecond)
		mu.Lock()
		assert.Equal(t, seqs, seen)
		mu.Unlock()
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "Follow returns nil when cancelled")
		case <-time.After(10 * time.Second):
			t.Fatal("Follow did not return after cancel")
		}
	})
}
