package command

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

func setUp(t *testing.T) (*eventstore.Store, func() time.Time) {
	t.Helper()
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	var mu sync.Mutex
	clock := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Second); return clock }
	h := New(s, now)
	ctx := context.Background()
	for i, a := range []domain.Action{
		domain.CreateProduct{Name: "P", PM: "pam", PO: "olga"},
		domain.AddItem{ID: "A", Title: "a"}, domain.AddItem{ID: "B", Title: "b"},
		domain.AddItem{ID: "C", Title: "c"}, domain.AddItem{ID: "D", Title: "d"},
	} {
		actor := "olga"
		if i == 0 {
			actor = "pam"
		}
		_, err := h.Execute(ctx, domain.Command{ID: fmt.Sprintf("setup-%d", i), Product: "p", Actor: actor, Action: a})
		require.NoError(t, err)
	}
	return s, now
}

// Two handlers stand for two processes: each has its own cached state.
func TestConcurrentWritersOnOtherItemsBothSucceed(t *testing.T) {
	s, now := setUp(t)
	h1, h2 := New(s, now), New(s, now)
	ctx := context.Background()
	// Warm both caches so both decide on the same version.
	_, err := h1.State(ctx, "p")
	require.NoError(t, err)
	_, err = h2.State(ctx, "p")
	require.NoError(t, err)
	_, err = h1.Execute(ctx, domain.Command{ID: "x1", Product: "p", Actor: "olga", Why: "w", Action: domain.RankItem{ID: "A", Position: domain.Position{Place: domain.PlaceTop}}})
	require.NoError(t, err)
	// h2's cache is stale; its append conflicts, it sees that only A moved and decides again.
	res, err := h2.Execute(ctx, domain.Command{ID: "x2", Product: "p", Actor: "olga", Why: "w", Action: domain.RankItem{ID: "B", Position: domain.Position{Place: domain.PlaceTop}}})
	require.NoError(t, err)
	require.Len(t, res.Events, 1)
}

func TestConcurrentWriterOnSameItemGetsConflict(t *testing.T) {
	s, now := setUp(t)
	ctx := context.Background()
	const writers = 6
	handlers := make([]*Handler, writers)
	for i := range handlers {
		handlers[i] = New(s, now)
		_, err := handlers[i].State(ctx, "p")
		require.NoError(t, err)
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range handlers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = handlers[i].Execute(ctx, domain.Command{ID: fmt.Sprintf("w%d", i), Product: "p", Actor: "olga", Why: "mine first",
				Action: domain.RankItem{ID: "C", Position: domain.Position{Place: domain.PlaceTop}}})
		}(i)
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.ErrorIs(t, err, domain.ErrConflict)
		assert.Contains(t, err.Error(), `item "C" was changed by olga`)
	}
	// Handlers decide on a state they read first: every one that lost the
	// race to the same item is told so, none is silently re-applied.
	assert.GreaterOrEqual(t, won, 1)
	n := 0
	_, err := s.Read(ctx, "p", 0, func(e domain.Event) error {
		if e.Type == domain.TypeBacklogItemRanked {
			n++
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, won, n, "one event per successful writer, none for the losers")
}

func TestRetriedCommandIsDuplicate(t *testing.T) {
	s, now := setUp(t)
	ctx := context.Background()
	c := domain.Command{ID: "retry", Product: "p", Actor: "olga", Why: "w", Action: domain.RemoveItem{ID: "D"}}
	first, err := New(s, now).Execute(ctx, c)
	require.NoError(t, err)
	again, err := New(s, now).Execute(ctx, c) // a fresh process retrying
	require.NoError(t, err)
	assert.True(t, again.Duplicate)
	assert.Equal(t, first.FirstSeq, again.FirstSeq)
}

func TestRefusalWritesNothing(t *testing.T) {
	s, now := setUp(t)
	ctx := context.Background()
	before, err := s.LastSeq(ctx, "p")
	require.NoError(t, err)
	_, err = New(s, now).Execute(ctx, domain.Command{ID: "bad", Product: "p", Actor: "pam", Why: "w", Action: domain.RemoveItem{ID: "D"}})
	require.ErrorIs(t, err, domain.ErrUnauthorized)
	after, err := s.LastSeq(ctx, "p")
	require.NoError(t, err)
	assert.Equal(t, before, after)
}

// readCounter is the real store, counting the reads the handler asks of
// it.
type readCounter struct {
	*eventstore.Store
	reads int
}

func (r *readCounter) Read(ctx context.Context, product string, after uint64, fn func(domain.Event) error) (uint64, error) {
	r.reads++
	return r.Store.Read(ctx, product, after, fn)
}

// TestHeldStateDecidesWithoutReading: once caught up, a handler decides
// on the state it holds and the append alone checks that nobody wrote in
// between. A handler whose state went stale (another process wrote)
// decides again on a fresh read: a command only the other write made
// lawful is recorded, and so is one about an item the other process
// changed before the command arrived; neither is a conflict.
func TestHeldStateDecidesWithoutReading(t *testing.T) {
	s, now := setUp(t)
	ctx := context.Background()
	rc := &readCounter{Store: s}
	h := New(rc, now)
	rank := func(h *Handler, id, item string) (Result, error) {
		return h.Execute(ctx, domain.Command{ID: id, Product: "p", Actor: "olga", Why: "w", Action: domain.RankItem{ID: item, Position: domain.Position{Place: domain.PlaceTop}}})
	}
	_, err := rank(h, "r1", "A")
	require.NoError(t, err)
	require.Equal(t, 1, rc.reads, "the first command catches up")
	for i, item := range []string{"B", "C", "D", "A"} {
		_, err := rank(h, fmt.Sprintf("r%d", i+2), item)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, rc.reads, "the next ones decide on the state held")

	other := New(s, now)
	_, err = other.Execute(ctx, domain.Command{ID: "o1", Product: "p", Actor: "olga", Why: "w", Action: domain.AddItem{ID: "E", Title: "e"}})
	require.NoError(t, err)
	_, err = rank(other, "o2", "B")
	require.NoError(t, err)

	res, err := rank(h, "r6", "E")
	require.NoError(t, err, "E exists since the other process added it")
	require.Len(t, res.Events, 1)
	assert.Equal(t, 2, rc.reads, "refused on the state held, decided again on a fresh read")
	_, err = rank(other, "o3", "C")
	require.NoError(t, err)
	res, err = rank(h, "r7", "C")
	require.NoError(t, err, "C changed before this command arrived: no conflict")
	require.Len(t, res.Events, 1)
	last, err := s.LastSeq(ctx, "p")
	require.NoError(t, err)
	assert.Equal(t, last, res.FirstSeq)

	dup, err := rank(h, "o3", "C")
	require.NoError(t, err)
	assert.True(t, dup.Duplicate, "a command id the other process recorded is a duplicate here too")
}
