package eventstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
)

// A hub is one consumer of the whole stream that every Follow of the store
// shares. A consumer per follower, filtered on its product's subjects,
// costs the server a walk over the newest block's subjects for every
// follower on every write (the filter must be matched to find the next
// message), under the lock the write itself needs: with four products
// followed at 1M events that made each durable decision wait about twice
// as long. The hub's consumer is unfiltered, so finding the next message
// costs the server nothing, and the hub hands each event to the followers
// of its product.
//
// A follower first reads its product's history up to now with a bounded
// read of small batches (readFollowing), then joins the hub at the
// sequence it reached. Should the hub
// have dispatched a later event of the product already (it went by before
// the follower joined), it reads again from there. Events
// the hub delivers that the follower read already are dropped by
// sequence. A follower that falls behind (its queue is full) is dropped
// by the hub and catches up the same way, so that one slow follower (an
// HTTP client reading server-sent events) never holds up the others.
type hub struct {
	s *Store

	mu      sync.Mutex
	running bool
	pos     uint64            // the last sequence the hub dispatched
	last    map[string]uint64 // by product, the last of its sequences dispatched
	subs    map[string]map[*follower]struct{}
	rereads map[string]int // by product, joins refused for a later event of it, for tests
}

// follower is one Follow call's place in the hub.
type follower struct {
	product string
	ch      chan domain.Event // closed when the hub drops it
}

// followerQueue is how many events a follower may have waiting (a
// variable for tests).
var followerQueue = 4096

// hubRetry is how long the hub waits before reading again after its
// consumer failed.
const hubRetry = 500 * time.Millisecond

// follow is Store.Follow through the hub.
func (h *hub) follow(ctx context.Context, product string, after uint64, fn func(domain.Event) error) error {
	for {
		// The hub runs before the read begins, so that every event of
		// the product the read does not reach is one the hub dispatches.
		if err := h.ensure(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		last, err := h.s.readFollowing(ctx, product, after, fn)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		after = last
		f, joined := h.join(product, after)
		if !joined {
			continue // events of the product went by meanwhile: read them
		}
		after, err = h.drain(ctx, f, after, fn)
		h.leave(f)
		if err != nil || ctx.Err() != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		// Dropped for falling behind, or the hub's consumer failed:
		// catch up with a read.
	}
}

// drain hands the follower's events to fn until its queue is closed or
// ctx ends, and returns the last sequence handed over.
func (h *hub) drain(ctx context.Context, f *follower, after uint64, fn func(domain.Event) error) (uint64, error) {
	for {
		select {
		case <-ctx.Done():
			return after, nil
		case e, ok := <-f.ch:
			if !ok {
				return after, nil
			}
			if e.Seq <= after {
				continue
			}
			if err := fn(e); err != nil {
				return after, err
			}
			after = e.Seq
		}
	}
}

// join adds a follower of product that has read up to after, unless the
// hub dispatched a later event of the product already (or stopped).
func (h *hub) join(product string, after uint64) (*follower, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running || h.last[product] > after {
		h.rereads[product]++
		return nil, false
	}
	f := &follower{product: product, ch: make(chan domain.Event, followerQueue)}
	if h.subs[product] == nil {
		h.subs[product] = map[*follower]struct{}{}
	}
	h.subs[product][f] = struct{}{}
	return f, true
}

// ensure starts the hub when it is not running: it reads the stream from
// its end, on a goroutine that lasts until the store closes.
func (h *hub) ensure(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running {
		return nil
	}
	if err := h.s.hubCtx().Err(); err != nil {
		return fmt.Errorf("following the stream: the store is closed")
	}
	end, err := h.s.streamLastSeq(ctx)
	if err != nil {
		return fmt.Errorf("following the stream: %w", err)
	}
	h.pos, h.running = end, true
	if h.subs == nil {
		h.subs, h.last, h.rereads = map[string]map[*follower]struct{}{}, map[string]uint64{}, map[string]int{}
	}
	h.s.background.Add(1)
	go h.run(h.s.hubCtx())
	return nil
}

func (h *hub) leave(f *follower) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fs := h.subs[f.product]; fs != nil {
		if _, ok := fs[f]; ok {
			delete(fs, f)
			close(f.ch)
		}
		if len(fs) == 0 {
			delete(h.subs, f.product)
		}
	}
}

// run follows the whole stream and dispatches its events, reading again
// from where it stood after a failure, until the store closes.
func (h *hub) run(ctx context.Context) {
	defer h.s.background.Done()
	for ctx.Err() == nil {
		h.mu.Lock()
		from := h.pos
		h.mu.Unlock()
		_, _ = h.s.scan(ctx, "", position{after: from}, noEnd, h.dispatch)
		if ctx.Err() != nil {
			break
		}
		// The consumer failed (the server went away, a leader moved):
		// its followers catch up with reads of their own, which fail in
		// turn if the server is gone, and the hub reads again.
		h.mu.Lock()
		h.dropAll()
		h.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(hubRetry):
		}
	}
	h.mu.Lock()
	h.running = false
	h.dropAll()
	h.mu.Unlock()
}

// dispatch hands one message to the followers of its product, decoded
// once for all of them.
func (h *hub) dispatch(m jetstream.Msg, seq uint64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pos = seq
	product := domain.SubjectProduct(m.Subject())
	h.last[product] = seq
	fs := h.subs[product]
	if len(fs) == 0 {
		return nil
	}
	var e domain.Event
	_ = h.s.decodeTo(func(d domain.Event) error { e = d; return nil })(m, seq)
	for f := range fs {
		select {
		case f.ch <- e:
		default:
			delete(fs, f) // fell behind: it catches up with a read
			close(f.ch)
		}
	}
	return nil
}

// dropAll closes every follower's queue; h.mu is held.
func (h *hub) dropAll() {
	for p, fs := range h.subs {
		for f := range fs {
			close(f.ch)
		}
		delete(h.subs, p)
	}
}

// followHub returns the store's hub, made on first use.
func (s *Store) followHub() *hub {
	s.hubOnce.Do(func() { s.hub = &hub{s: s} })
	return s.hub
}

// hubCtx is the hub's lifetime: until Close.
func (s *Store) hubCtx() context.Context {
	s.hubMu.Lock()
	defer s.hubMu.Unlock()
	if s.hubCtxV == nil {
		s.hubCtxV, s.hubStop = context.WithCancel(context.Background())
	}
	return s.hubCtxV
}

// stopHub ends the hub and waits for it.
func (s *Store) stopHub() {
	s.hubMu.Lock()
	stop := s.hubStop
	s.hubMu.Unlock()
	if stop != nil {
		stop()
	}
}
