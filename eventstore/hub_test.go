package eventstore

import (
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
