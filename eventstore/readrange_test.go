package eventstore

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// readRangeWant is what Read gives of product after after, cut at upTo.
func readRangeWant(t *testing.T, s *Store, product string, after, upTo uint64) []domain.Event {
	t.Helper()
	var out []domain.Event
	_, err := s.Read(testCtx(t), product, after, func(e domain.Event) error {
		if e.Seq <= upTo {
			out = append(out, e)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// TestReadRange reads a dense and a sparse product between many pairs of
// sequences, and requires ReadRange to give exactly what Read gives up to
// the bound, envelopes and what the stream says of each alike, whether it
// reads the range unfiltered (short) or filtered (long), and to stop at
// fn's error.
func TestReadRange(t *testing.T) {
	s := openTemp(t)
	want := history(t, s)
	ctx := testCtx(t)
	for _, p := range []string{"dense", "sparse"} {
		seqs := want[p]
		for _, r := range [][2]uint64{
			{0, math.MaxUint64}, {0, seqs[0]}, {seqs[3], seqs[40]}, {seqs[len(seqs)/2], seqs[len(seqs)/2] + 7},
			{seqs[len(seqs)-2], math.MaxUint64}, {seqs[len(seqs)-1], math.MaxUint64}, {seqs[10], seqs[10]}, {seqs[10], seqs[5]},
		} {
			var got []domain.Event
			last, err := s.ReadRange(ctx, p, r[0], r[1], func(e domain.Event) error {
				got = append(got, e)
				return nil
			})
			require.NoError(t, err)
			w := readRangeWant(t, s, p, r[0], r[1])
			require.Equal(t, w, got, "%s in (%d, %d]", p, r[0], r[1])
			if len(w) > 0 {
				assert.Equal(t, w[len(w)-1].Seq, last)
			} else {
				assert.Equal(t, r[0], last)
			}
		}
	}

	stop := errors.New("enough")
	n := 0
	last, err := s.ReadRange(ctx, "sparse", 0, math.MaxUint64, func(e domain.Event) error {
		if n == 3 {
			return stop
		}
		n++
		return nil
	})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, want["sparse"][2], last)
	_, err = s.ReadRange(ctx, "a.b", 0, math.MaxUint64, func(domain.Event) error { return nil })
	require.Error(t, err)

	if testing.Short() {
		return
	}
	// Past maxUnfilteredRange the range is read filtered.
	prev := want["dense"][len(want["dense"])-1]
	for i := 0; i*1000 <= maxUnfilteredRange; i++ {
		seqs, err := s.Append(ctx, itemsAdded("dense", fmt.Sprintf("more%d", i), 1000), prev)
		require.NoError(t, err)
		prev = seqs[len(seqs)-1]
	}
	got := 0
	_, err = s.ReadRange(ctx, "sparse", 0, math.MaxUint64, func(domain.Event) error { got++; return nil })
	require.NoError(t, err)
	assert.Equal(t, len(want["sparse"]), got)
	var gotDense []domain.Event
	_, err = s.ReadRange(ctx, "dense", 5, prev-3, func(e domain.Event) error { gotDense = append(gotDense, e); return nil })
	require.NoError(t, err)
	require.Equal(t, readRangeWant(t, s, "dense", 5, prev-3), gotDense)
}
