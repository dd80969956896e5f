package eventstore

import (
	"context"
	"runtime"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
)

// decodeBatch is how many messages one decoding job holds.
const decodeBatch = 256

// decodeWorkers is how many goroutines decode a long read: the CPUs but
// one, left to receiving the messages (and, embedded, to the server).
func decodeWorkers() int { return runtime.GOMAXPROCS(0) - 1 }

// scanEvents is scan with decoding: it delivers, in order, the events of
// the messages matching filter from start up to end. Decoding (JSON) costs
// three quarters of a reader's CPU (and checking signatures, where the
// store has a verifier key, more), so with two workers or more a long
// bounded read decodes in parallel: one goroutine receives messages and
// cuts them into batches, the workers decode the batches, and the
// caller's goroutine hands the events to fn in stream order. fn is never
// called concurrently.
func (s *Store) scanEvents(ctx context.Context, filter string, start position, end uint64, workers int, fn func(domain.Event) error) (uint64, error) {
	if end == noEnd || workers < 2 || end-start.after < 2*decodeBatch {
		return s.scan(ctx, filter, start, end, s.decodeTo(fn))
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type batch struct {
		msgs   []jetstream.Msg
		seqs   []uint64
		events []domain.Event
		ready  chan struct{}
	}
	newBatch := func() *batch {
		return &batch{msgs: make([]jetstream.Msg, 0, decodeBatch), seqs: make([]uint64, 0, decodeBatch), ready: make(chan struct{})}
	}
	todo := make(chan *batch, 2*workers)  // to the decoders
	order := make(chan *batch, 4*workers) // to fn, in stream order

	var wg sync.WaitGroup
	var scanErr error
	wg.Go(func() {
		defer close(todo)
		defer close(order)
		send := func(b *batch) error {
			for _, ch := range []chan *batch{order, todo} {
				select {
				case ch <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		}
		cur := newBatch()
		_, scanErr = s.scan(ctx, filter, start, end, func(m jetstream.Msg, seq uint64) error {
			cur.msgs = append(cur.msgs, m)
			cur.seqs = append(cur.seqs, seq)
			if len(cur.seqs) < decodeBatch {
				return nil
			}
			b := cur
			cur = newBatch()
			return send(b)
		})
		if scanErr == nil && len(cur.seqs) > 0 {
			scanErr = send(cur)
		}
	})
	for range workers {
		wg.Go(func() {
			for b := range todo {
				// Decoding and checking signatures run here, in parallel.
				b.events = make([]domain.Event, len(b.msgs))
				for i, m := range b.msgs {
					b.events[i], _ = domain.DecodeAs(m.Data(), m.Headers().Get(HeaderType)) // an unreadable event arrives with an Unknown payload
					b.events[i].Seq = b.seqs[i]
					b.events[i].Stored = storedOf(m, b.seqs[i], s.verify)
				}
				close(b.ready)
			}
		})
	}

	last := start.after
	var fnErr error
deliver:
	for b := range order {
		select {
		case <-b.ready:
		case <-ctx.Done():
			break deliver
		}
		for _, e := range b.events {
			if fnErr = fn(e); fnErr != nil {
				break deliver
			}
			last = e.Seq
		}
	}
	cancel()
	for range order {
	}
	wg.Wait()
	switch {
	case fnErr != nil:
		return last, fnErr
	case scanErr != nil:
		return last, scanErr
	}
	return last, parent.Err()
}
