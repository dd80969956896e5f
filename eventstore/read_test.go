package eventstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// history appends 1800 events of product "dense" and 200 of "sparse",
// interleaved, and returns each product's sequences.
func history(t *testing.T, s *Store) map[string][]uint64 {
	t.Helper()
	ctx := testCtx(t)
	seqs := map[string][]uint64{}
	last := map[string]uint64{}
	for i := range 20 {
		for _, w := range []struct {
			product string
			n       int
		}{{"dense", 90}, {"sparse", 10}} {
			got, err := s.Append(ctx, itemsAdded(w.product, fmt.Sprintf("%s%d", w.product, i), w.n), last[w.product])
			require.NoError(t, err)
			seqs[w.product] = append(seqs[w.product], got...)
			last[w.product] = got[len(got)-1]
		}
	}
	return seqs
}

func TestRead_DenseAndSparseProducts(t *testing.T) {
	s := openTemp(t)
	want := history(t, s)
	for _, p := range []string{"dense", "sparse"} {
		t.Run(p, func(t *testing.T) {
			got := readAll(t, s, p)
			var seqs []uint64
			for _, e := range got {
				assert.Equal(t, p, e.Product)
				seqs = append(seqs, e.Seq)
			}
			assert.Equal(t, want[p], seqs)

			// From the middle.
			mid := want[p][len(want[p])/2]
			seqs = nil
			end, err := s.Read(testCtx(t), p, mid, func(e domain.Event) error {
				seqs = append(seqs, e.Seq)
				return nil
			})
			require.NoError(t, err)
			assert.Equal(t, want[p][len(want[p])/2+1:], seqs)
			assert.Equal(t, want[p][len(want[p])-1], end)
		})
	}
}

func TestScanEvents_ParallelDecodeKeepsOrder(t *testing.T) {
	s := openTemp(t)
	want := history(t, s)
	ctx := testCtx(t)
	end := want["dense"][len(want["dense"])-1]
	read := func(workers int) []domain.Event {
		var es []domain.Event
		last, err := s.scanEvents(ctx, domain.ProductSubjects("dense"), position{}, end, workers, func(e domain.Event) error {
			es = append(es, e)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, end, last)
		return es
	}
	sequential := read(1)
	require.Len(t, sequential, len(want["dense"]))
	assert.Equal(t, sequential, read(4))

	tests := map[string]struct {
		stopAt  int // fn fails on this event
		cancel  bool
		wantErr error
	}{
		"FnStops":   {stopAt: 1000, wantErr: errStop},
		"Cancelled": {stopAt: 700, cancel: true, wantErr: context.Canceled},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			n := 0
			last, err := s.scanEvents(ctx, domain.ProductSubjects("dense"), position{}, end, 4, func(e domain.Event) error {
				if n++; n == tc.stopAt {
					if tc.cancel {
						cancel()
						return nil
					}
					return errStop
				}
				return nil
			})
			require.True(t, errors.Is(err, tc.wantErr), "got %v", err)
			if !tc.cancel {
				assert.Equal(t, sequential[tc.stopAt-2].Seq, last, "the last event fn accepted")
			}
		})
	}
}

// TestReadAggregate reads one item's subject: ITEM-1 and not ITEM-10 or
// ITEM-11, whose subjects it prefixes, also when the read falls back to an
// unfiltered scan (after 11, ITEM-1's event 13 is half of what is left).
func TestReadAggregate(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	seqs, err := s.Append(ctx, itemsAdded("p", "c1", 12), 0)
	require.NoError(t, err)
	_, err = s.Append(ctx, []domain.Event{itemAdded("p", "c2", 1)}, seqs[len(seqs)-1])
	require.NoError(t, err)
	for _, tc := range []struct {
		id    string
		after uint64
		want  []uint64
	}{{"ITEM-1", 0, []uint64{2, 13}}, {"ITEM-1", 11, []uint64{13}}, {"ITEM-11", 0, []uint64{12}}, {"ITEM-99", 0, nil}} {
		var got []uint64
		_, err := s.ReadAggregate(ctx, "p", domain.KindItem, tc.id, tc.after, func(e domain.Event) error {
			assert.Equal(t, tc.id, e.Aggregate.ID)
			got = append(got, e.Seq)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%s after %d", tc.id, tc.after)
	}
	_, err = s.ReadAggregate(ctx, "p", domain.KindItem, "A.B", 0, func(domain.Event) error { return nil })
	assert.Error(t, err)
}
