package eventstore

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// TestConsumeDurable: events come in order, one at a time; one that fn
// failed comes again, first, to the next consumer of the durable; the
// acknowledged ones never come again; other kinds and products are left
// out.
func TestConsumeDurable(t *testing.T) {
	ctx := testCtx(t)
	s := openTemp(t)
	_, err := s.Append(ctx, []domain.Event{productCreated("p", "c0")}, 0)
	require.NoError(t, err)
	last, err := s.Append(ctx, itemsAdded("p", "c1", 5), 1)
	require.NoError(t, err)
	_, err = s.Append(ctx, []domain.Event{productCreated("other", "c2")}, 0)
	require.NoError(t, err)
	d := Durable{Name: "test-p", Product: "p", Kinds: []domain.AggregateKind{domain.KindItem}}

	failed := errors.New("receiver down")
	var got []uint64
	err = s.ConsumeDurable(ctx, d, func(_ context.Context, e domain.Event, progress func()) error {
		progress()
		got = append(got, e.Seq)
		if e.Aggregate.ID == "ITEM-2" {
			return failed
		}
		return nil
	})
	require.ErrorIs(t, err, failed)
	assert.Equal(t, []uint64{2, 3, 4}, got)

	cctx, cancel := context.WithCancel(ctx)
	got = nil
	var ids []string
	err = s.ConsumeDurable(cctx, d, func(_ context.Context, e domain.Event, _ func()) error {
		got = append(got, e.Seq)
		ids = append(ids, e.Aggregate.ID)
		if e.Seq == last[len(last)-1] {
			cancel()
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []uint64{4, 5, 6}, got)
	assert.Equal(t, []string{"ITEM-2", "ITEM-3", "ITEM-4"}, ids)

	names, err := s.DurableNames(ctx, "test-")
	require.NoError(t, err)
	assert.Equal(t, []string{"test-p"}, names)
	require.NoError(t, s.DeleteDurable(ctx, "test-p"))
	require.NoError(t, s.DeleteDurable(ctx, "test-p"), "already gone")
	names, err = s.DurableNames(ctx, "test-")
	require.NoError(t, err)
	assert.Empty(t, names)
}
