package command_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
)

// forged is an event published around the ledger's rules, as anyone with
// publish rights on a NATS cluster (or the data files) could: well formed,
// on the right subject, and believed by nothing.
func forged(product, cmdID string, actor domain.Actor, agg domain.Aggregate, at time.Time, why string, data domain.Payload) domain.Event {
	return domain.Event{ID: domain.EventID(product, cmdID, at, 0), Type: data.EventType(), Schema: domain.SchemaV1,
		Product: product, Aggregate: agg, Actor: actor, OccurredAt: at, Why: why, Data: data, CommandID: cmdID}
}

func TestForgedEventsAreNotBelieved(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	h := command.New(s, nil)
	setUpProduct(t, h, "p")
	st, err := h.State(ctx, "p")
	require.NoError(t, err)
	last := st.LastSeq
	product := domain.Aggregate{Kind: domain.KindProduct, ID: "p"}
	now := time.Now().UTC().Truncate(time.Millisecond)

	// Mallory makes herself PO, takes the product over, and dates a rank in
	// 2099 so that no later decision could be recorded.
	evs := []domain.Event{
		forged("p", "f1", domain.Actor{ID: "mallory", Role: domain.RolePM}, product, now, "promotion", domain.RoleAssigned{Actor: "mallory", Role: domain.RolePO}),
		forged("p", "f2", domain.Actor{ID: "mallory", Role: domain.RolePM}, product, now, "", domain.ProductCreated{Name: "Mine", PM: "mallory", PO: "mallory"}),
		forged("p", "f3", domain.Actor{ID: "olga", Role: domain.RolePO}, domain.Aggregate{Kind: domain.KindItem, ID: "A"},
			time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), "from the future", domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceBottom}}),
	}
	for _, e := range evs {
		seqs, err := s.Append(ctx, []domain.Event{e}, last)
		require.NoError(t, err)
		last = seqs[0]
	}

	for _, h := range []*command.Handler{h, command.New(s, nil)} { // caught up, and from scratch
		st, err := h.State(ctx, "p")
		require.NoError(t, err)
		assert.False(t, st.Product.Has("mallory", domain.RolePO), "a forged role is not granted")
		assert.Equal(t, []string{"pam"}, st.Product.Holders(domain.RolePM), "the product is not taken over")
		assert.Equal(t, last, st.LastSeq, "the forged events still count as the product's position")
		assert.True(t, st.LastAt.Before(now.Add(time.Minute)), "a date in 2099 does not move business time")

		_, err = h.Execute(ctx, domain.Command{ID: "m1", Product: "p", Actor: "mallory", Why: "mine now",
			Action: domain.RankItem{ID: "B", Position: domain.Position{Place: domain.PlaceTop}}})
		assert.ErrorIs(t, err, domain.ErrUnauthorized, "mallory is no PO")
	}
	// The product stays writable, at now.
	res, err := h.Execute(ctx, domain.Command{ID: "o1", Product: "p", Actor: "olga", Why: "still mine",
		Action: domain.RankItem{ID: "B", Position: domain.Position{Place: domain.PlaceTop}}})
	require.NoError(t, err)
	assert.Len(t, res.Events, 1)
}

func TestForgedCommandIDDoesNotSwallowARealCommand(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	h := command.New(s, nil)
	setUpProduct(t, h, "p")
	st, err := h.State(ctx, "p")
	require.NoError(t, err)
	// A forged event that takes the id of the command olga is about to
	// send: before the gate, her command was reported "already recorded".
	f := forged("p", "olga-next", domain.Actor{ID: "mallory", Role: domain.RolePO}, domain.Aggregate{Kind: domain.KindItem, ID: "A"},
		time.Now().UTC().Truncate(time.Millisecond), "x", domain.BacklogItemRemoved{})
	_, err = s.Append(ctx, []domain.Event{f}, st.LastSeq)
	require.NoError(t, err)

	res, err := command.New(s, nil).Execute(ctx, domain.Command{ID: "olga-next", Product: "p", Actor: "olga", Why: "first",
		Action: domain.RankItem{ID: "C", Position: domain.Position{Place: domain.PlaceTop}}})
	require.NoError(t, err)
	assert.False(t, res.Duplicate)
	require.Len(t, res.Events, 1)
}
