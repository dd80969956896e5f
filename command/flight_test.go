package command

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// gated is the real store, holding the answer to each append sent through
// it (Send) until the test lets it through, so that a test knows which
// decisions were on their way together. before, when set, runs before
// the n-th append is sent (counting from 0); lose makes the answer to the
// n-th append lost on the way, whatever JetStream answered.
type gated struct {
	*eventstore.Store
	before func(n int)
	lose   map[int]bool

	mu      sync.Mutex
	n       int
	sent    chan int // the number of each append sent, once it is
	release map[int]chan struct{}
}

func newGated(s *eventstore.Store) *gated {
	return &gated{Store: s, sent: make(chan int, 64), release: map[int]chan struct{}{}, lose: map[int]bool{}}
}

func (g *gated) gate(n int) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	ch, ok := g.release[n]
	if !ok {
		ch = make(chan struct{})
		g.release[n] = ch
	}
	return ch
}

// let lets the answer to the n-th append through.
func (g *gated) let(n int) { close(g.gate(n)) }

func (g *gated) Send(ctx context.Context, events []domain.Event, expect uint64, attest string) ([]uint64, func() ([]uint64, error)) {
	g.mu.Lock()
	n := g.n
	g.n++
	g.mu.Unlock()
	if g.before != nil {
		g.before(n)
	}
	seqs, wait := g.Store.Send(ctx, events, expect, attest)
	g.sent <- n
	return seqs, func() ([]uint64, error) {
		<-g.gate(n)
		got, err := wait()
		if err == nil && g.lose[n] {
			return nil, fmt.Errorf("the acknowledgement was lost on the way: %w", context.DeadlineExceeded)
		}
		return got, err
	}
}

// started runs Execute on its own goroutine and returns where its answer
// arrives, once its append was sent (or it was refused before sending:
// then the answer is there already).
type answer struct {
	res Result
	err error
}

func (g *gated) start(t *testing.T, h *Handler, c domain.Command, sends bool) <-chan answer {
	t.Helper()
	out := make(chan answer, 1)
	go func() {
		res, err := h.Execute(context.Background(), c)
		out <- answer{res, err}
	}()
	if sends {
		<-g.sent
	}
	return out
}

func rank(id, item string, place domain.Placement) domain.Command {
	return domain.Command{ID: id, Product: "p", Actor: "olga", Why: "w", Action: domain.RankItem{ID: item, Position: domain.Position{Place: place}}}
}

// stored returns the product's events of the given command ids, in
// stream order.
func storedOf(t *testing.T, s *eventstore.Store, ids ...string) []domain.Event {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []domain.Event
	_, err := s.Read(context.Background(), "p", 0, func(e domain.Event) error {
		if want[e.CommandID] {
			out = append(out, e)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func TestGroupCommit_DecidedInOrderOnTheDecisionsOnTheirWay(t *testing.T) {
	s, now := setUp(t)
	g := newGated(s)
	h := New(g, now)
	_, err := h.State(context.Background(), "p")
	require.NoError(t, err)

	// Three commands take the product one after the other while the
	// first is still on its way; the third is about the item the first
	// moved, and is decided on that move.
	a := g.start(t, h, rank("a", "A", domain.PlaceBottom), true)
	b := g.start(t, h, domain.Command{ID: "b", Product: "p", Actor: "olga", Action: domain.AddItem{ID: "E", Title: "e"}}, true)
	c := g.start(t, h, rank("c", "E", domain.PlaceTop), true)
	for _, n := range []int{2, 0, 1} { // answers arrive in any order
		g.let(n)
	}
	var seqs []uint64
	for _, ch := range []<-chan answer{a, b, c} {
		got := <-ch
		require.NoError(t, got.err)
		require.Len(t, got.res.Events, 1)
		seqs = append(seqs, got.res.FirstSeq)
	}
	stored := storedOf(t, s, "a", "b", "c")
	require.Len(t, stored, 3)
	assert.Equal(t, []uint64{stored[0].Seq, stored[1].Seq, stored[2].Seq}, seqs, "each answered with where it is stored, in the order decided")
	assert.Equal(t, []string{"a", "b", "c"}, []string{stored[0].CommandID, stored[1].CommandID, stored[2].CommandID})
	assert.Equal(t, seqs[2], h.LastSeq("p"))

	// The state held is the stream's: a retry is a duplicate, a fresh
	// handler decides the same.
	dup, err := h.Execute(context.Background(), rank("b", "x", domain.PlaceTop))
	require.NoError(t, err)
	assert.True(t, dup.Duplicate)
	assert.Equal(t, seqs[1], dup.FirstSeq)
}

func TestGroupCommit_ARefusedCommandTakesNothingDown(t *testing.T) {
	s, now := setUp(t)
	g := newGated(s)
	h := New(g, now)
	_, err := h.State(context.Background(), "p")
	require.NoError(t, err)

	a := g.start(t, h, rank("a", "A", domain.PlaceBottom), true)
	// Refused by the rules while the first is on its way: nothing is sent.
	refused := g.start(t, h, domain.Command{ID: "r", Product: "p", Actor: "pam", Why: "w", Action: domain.RemoveItem{ID: "B"}}, false)
	c := g.start(t, h, rank("c", "C", domain.PlaceTop), true)
	g.let(0)
	g.let(1)
	got := <-refused
	require.ErrorIs(t, got.err, domain.ErrUnauthorized)
	for _, ch := range []<-chan answer{a, c} {
		got := <-ch
		require.NoError(t, got.err)
	}
	assert.Len(t, storedOf(t, s, "a", "r", "c"), 2)
}

func TestGroupCommit_ConflictOnTheSameItemOnly(t *testing.T) {
	s, now := setUp(t)
	g := newGated(s)
	h := New(g, now)
	_, err := h.State(context.Background(), "p")
	require.NoError(t, err)
	// Another process ranks C after the first command arrived and before
	// it reaches the stream: the first, about C, must be looked at again;
	// the second, about D, decided on the first, is decided again on what
	// the stream holds and recorded.
	other := New(s, now)
	_, err = other.State(context.Background(), "p")
	require.NoError(t, err)
	g.before = func(n int) {
		if n == 0 {
			_, err := other.Execute(context.Background(), rank("o", "C", domain.PlaceBottom))
			require.NoError(t, err)
		}
	}
	a := g.start(t, h, rank("a", "C", domain.PlaceTop), true)
	b := g.start(t, h, rank("b", "D", domain.PlaceTop), true)
	g.let(0)
	g.let(1)
	go func() {
		// Decided again: sent once more through the gate.
		for n := range g.sent {
			g.let(n)
		}
	}()
	got := <-a
	require.ErrorIs(t, got.err, domain.ErrConflict)
	assert.Contains(t, got.err.Error(), `item "C" was changed by olga`)
	got = <-b
	require.NoError(t, got.err, "the command about another item is not taken down")
	stored := storedOf(t, s, "o", "a", "b")
	require.Len(t, stored, 2)
	assert.Equal(t, []string{"o", "b"}, []string{stored[0].CommandID, stored[1].CommandID})
	assert.Equal(t, got.res.FirstSeq, stored[1].Seq)
}

func TestGroupCommit_ConcurrentWritersSameItemNoLostUpdate(t *testing.T) {
	s, now := setUp(t)
	ctx := context.Background()
	// Two processes, each with decisions on their way about the same
	// item: whatever interleaving, every decision recorded was taken on
	// the state it is stored after, and every one not recorded is told.
	handlers := []*Handler{New(s, now), New(s, now)}
	const each = 8
	errs := make([]error, 2*each)
	var wg sync.WaitGroup
	for i := range 2 * each {
		wg.Go(func() {
			place := []domain.Placement{domain.PlaceTop, domain.PlaceBottom}[i%2]
			_, errs[i] = handlers[i%2].Execute(ctx, rank(fmt.Sprintf("w%d", i), "C", place))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.ErrorIs(t, err, domain.ErrConflict)
	}
	assert.Positive(t, won)
	var ids []string
	for i := range 2 * each {
		ids = append(ids, fmt.Sprintf("w%d", i))
	}
	assert.Len(t, storedOf(t, s, ids...), won, "one event per decision answered recorded, none for the others")
	// A fresh handler folds the stream through the validating fold: every
	// event stored is lawful on the state before it.
	fresh := New(s, now)
	st, err := fresh.State(ctx, "p")
	require.NoError(t, err)
	last, err := s.LastSeq(ctx, "p")
	require.NoError(t, err)
	assert.Equal(t, last, st.LastSeq)
}

func TestGroupCommit_LostAcknowledgement(t *testing.T) {
	t.Run("Alone", func(t *testing.T) {
		s, now := setUp(t)
		g := newGated(s)
		h := New(g, now)
		g.lose[0] = true
		a := g.start(t, h, rank("a", "A", domain.PlaceBottom), true)
		g.let(0)
		got := <-a
		require.Error(t, got.err)
		assert.True(t, errors.Is(got.err, context.DeadlineExceeded), "the outcome is unknown: %v", got.err)
		// Retried with its id, it is recorded once.
		go func() {
			for n := range g.sent {
				g.let(n)
			}
		}()
		again, err := h.Execute(context.Background(), rank("a", "A", domain.PlaceBottom))
		require.NoError(t, err)
		assert.True(t, again.Duplicate)
		assert.Len(t, storedOf(t, s, "a"), 1)
		next, err := h.Execute(context.Background(), rank("n", "B", domain.PlaceBottom))
		require.NoError(t, err, "the product goes on")
		assert.Equal(t, next.FirstSeq, h.LastSeq("p"))
	})
	t.Run("StoredSaysTheOneBehind", func(t *testing.T) {
		// The answer to the first is lost, the one sent behind it is
		// stored: JetStream stores that one only on top of the first, so
		// the first is stored too, and answered so.
		s, now := setUp(t)
		g := newGated(s)
		h := New(g, now)
		_, err := h.State(context.Background(), "p")
		require.NoError(t, err)
		g.lose[0] = true
		a := g.start(t, h, rank("a", "A", domain.PlaceBottom), true)
		b := g.start(t, h, rank("b", "B", domain.PlaceBottom), true)
		g.let(1)
		gotB := <-b
		require.NoError(t, gotB.err)
		g.let(0)
		gotA := <-a
		require.NoError(t, gotA.err)
		stored := storedOf(t, s, "a", "b")
		require.Len(t, stored, 2)
		assert.Equal(t, []uint64{stored[0].Seq, stored[1].Seq}, []uint64{gotA.res.FirstSeq, gotB.res.FirstSeq})
	})
}
