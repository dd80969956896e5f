package replay

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
)

// TestPrefetch reads the demo product through a prefetch stopped at many
// positions and bounds, and requires a reader that goes on past them (as
// the fold does inside a decision) to get every later event in order, as
// a plain read gives them; one that stops gets what it asked for, and the
// read goroutine ends either way.
func TestPrefetch(t *testing.T) {
	s := eventstoretest.Demo(t)
	ctx := eventstoretest.Context(t)
	all := eventstoretest.Events(t, s, demo.Product)
	seqs := func(evs []domain.Event) []uint64 {
		out := make([]uint64, len(evs))
		for i, e := range evs {
			out[i] = e.Seq
		}
		return out
	}
	stop := errors.New("enough")
	for i := 0; i < len(all); i += 7 {
		after := all[i].Seq - 1
		for _, c := range []struct {
			pos  Position
			upTo uint64
		}{
			{AtSeq(all[min(i+3, len(all)-1)].Seq), math.MaxUint64},
			{AtTime(all[min(i+5, len(all)-1)].OccurredAt), math.MaxUint64},
			{Latest, math.MaxUint64},
			{AtSeq(all[min(i+3, len(all)-1)].Seq), all[min(i+1, len(all)-1)].Seq}, // a bound before the position
			{Latest, all[min(i+4, len(all)-1)].Seq},
			{AtSeq(all[min(i+3, len(all)-1)].Seq), all[len(all)-1].Seq + 100},
		} {
			pos := c.pos
			f := startPrefetch(ctx, s, demo.Product, after, pos, c.upTo)
			var got []domain.Event
			_, err := f.Read(ctx, demo.Product, after, func(e domain.Event) error {
				got = append(got, e)
				return nil
			})
			f.stop()
			require.NoError(t, err)
			assert.Equal(t, seqs(all[i:]), seqs(got), "from %d, stopped at %s or %d: the rest follows", after, pos, c.upTo)

			f = startPrefetch(ctx, s, demo.Product, after, pos, c.upTo)
			got = got[:0]
			_, err = f.Read(ctx, demo.Product, after, func(e domain.Event) error {
				if len(got) == 2 {
					return stop
				}
				got = append(got, e)
				return nil
			})
			f.stop()
			if len(all)-i > 2 {
				require.ErrorIs(t, err, stop)
			}
			assert.Equal(t, seqs(all[i:min(i+2, len(all))]), seqs(got))
		}
	}

	// Another read than the one prefetched goes to the source.
	f := startPrefetch(ctx, s, demo.Product, 0, Latest, math.MaxUint64)
	var n int
	_, err := f.Read(ctx, demo.Product, all[9].Seq, func(domain.Event) error { n++; return nil })
	require.NoError(t, err)
	assert.Equal(t, len(all)-10, n)
	f.stop()
	f.stop() // twice is fine
	var none *prefetch
	none.stop()
}
