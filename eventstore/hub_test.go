package eventstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// TestFollowersShareOneConsumer follows two products with three
// followers, one of them so slow that the hub drops it again and again,
// while both products are written to: every follower gets exactly its
// product's events, in order, once each; the server holds one consumer
// for all of them; and a follower whose product is quiet joins once,
// however busy the other product is.
func TestFollowersShareOneConsumer(t *testing.T) {
	defer func(n int) { followerQueue = n }(followerQueue)
	followerQueue = 4
	ctx := testCtx(t)
	s := openTemp(t)
	last := map[string]uint64{}
	write := func(product string, evs ...domain.Event) {
		seqs, err := s.Append(ctx, evs, last[product])
		require.NoError(t, err)
		last[product] = seqs[len(seqs)-1]
	}
	write("a", productCreated("a", "a0"))
	write("b", productCreated("b", "b0"))

	type got struct {
		mu   sync.Mutex
		seqs []uint64
	}
	follow := func(product string, slow bool) *got {
		g := &got{}
		go func() {
			_ = s.Follow(ctx, product, 0, func(e domain.Event) error {
				if e.Product != product {
					return fmt.Errorf("%s's follower got an event of %s", product, e.Product)
				}
				if slow {
					time.Sleep(2 * time.Millisecond)
				}
				g.mu.Lock()
				g.seqs = append(g.seqs, e.Seq)
				g.mu.Unlock()
				return nil
			})
		}()
		return g
	}
	fast, slow, other := follow("a", false), follow("a", true), follow("b", false)
	for i := range 40 {
		write("a", itemsAdded("a", fmt.Sprintf("a%d", i+1), 1+i%3)...)
		write("b", itemsAdded("b", fmt.Sprintf("b%d", i+1), 2)...)
	}
	want := func(product string) []uint64 {
		var seqs []uint64
		for _, e := range readAll(t, s, product) {
			seqs = append(seqs, e.Seq)
		}
		return seqs
	}
	for _, c := range []struct {
		name, product string
		g             *got
	}{{"fast", "a", fast}, {"slow", "a", slow}, {"other", "b", other}} {
		require.Eventually(t, func() bool {
			c.g.mu.Lock()
			defer c.g.mu.Unlock()
			return len(c.g.seqs) >= len(want(c.product))
		}, 20*time.Second, 10*time.Millisecond, c.name)
		c.g.mu.Lock()
		assert.Equal(t, want(c.product), c.g.seqs, "%s: every event once, in order", c.name)
		c.g.mu.Unlock()
	}
	info, err := s.info(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, info.State.Consumers, "one consumer of the stream for every follower")

	h := s.followHub()
	h.mu.Lock()
	before := h.rereads["c"]
	h.mu.Unlock()
	quiet := follow("c", false)
	time.Sleep(50 * time.Millisecond)
	for i := range 100 {
		write("b", itemsAdded("b", fmt.Sprintf("busy%d", i), 1)...)
	}
	write("c", productCreated("c", "c0"))
	require.Eventually(t, func() bool {
		quiet.mu.Lock()
		defer quiet.mu.Unlock()
		return len(quiet.seqs) == 1
	}, 10*time.Second, 10*time.Millisecond)
	h.mu.Lock()
	assert.LessOrEqual(t, h.rereads["c"]-before, 2, "a quiet product's follower is not sent back to read by the others' events")
	h.mu.Unlock()
}

// TestFollowerHoldsABatchWhateverItResumesFrom follows a product of 2,501
// events from its first one with a follower that takes one event and then
// none (an HTTP client that stops reading): what the server has sent
// ahead of it, which it holds, is one follower's batch, never the history.
// The server's own count of what it delivered is the measure.
func TestFollowerHoldsABatchWhateverItResumesFrom(t *testing.T) {
	ctx := testCtx(t)
	s := openTemp(t)
	seqs, err := s.Append(ctx, []domain.Event{productCreated("p", "p0")}, 0)
	require.NoError(t, err)
	last := seqs[0]
	for i := range 5 {
		seqs, err := s.Append(ctx, itemsAdded("p", fmt.Sprint("c", i), 500), last)
		require.NoError(t, err)
		last = seqs[len(seqs)-1]
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	took := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Follow(fctx, "p", 0, func(domain.Event) error {
			select {
			case took <- struct{}{}:
			default:
			}
			<-fctx.Done() // and never takes another
			return fctx.Err()
		})
	}()
	<-took
	// The follower's read: the consumer that starts at the first sequence.
	delivered := func() uint64 {
		st, err := s.js.Stream(ctx, StreamName)
		require.NoError(t, err)
		var n uint64
		for info := range st.ListConsumers(ctx).Info() {
			if info.Config.OptStartSeq == 1 {
				n = info.Delivered.Consumer
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return delivered() >= followBatch }, 10*time.Second, 10*time.Millisecond,
		"the server sends the follower a batch")
	held := delivered() - 1 // one was taken
	assert.Less(t, held, uint64(followBatch), "messages held for the follower")
	assert.Less(t, delivered(), last, "the server does not send the history ahead")
	cancel()
	require.NoError(t, <-done)
}
