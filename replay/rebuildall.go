package replay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// StreamSource reads the whole stream in one pass; *eventstore.Store is
// one.
type StreamSource interface {
	// ReadAll calls fn, in stream order, for every message of the stream
	// whose sequence is greater than after, up to the stream's last
	// message when ReadAll was called, as Source.Read does for one
	// product.
	ReadAll(ctx context.Context, after uint64, fn func(domain.Event) error) (uint64, error)
}

// allBatch is how many of one product's events RebuildAll hands its fold
// at a time, and allQueue how many batches may wait for it: enough to keep
// the reader and the folds busy, little enough to bound what is held.
const (
	allBatch = 256
	allQueue = 8
)

// RebuildAll is Rebuild of every product of products, from one read of the
// whole stream rather than one read per product: the stream is read and
// decoded once, on one goroutine, and each product folds on a goroutine of
// its own, so that the folds share the machine's cores with the reader.
// Each product gets exactly the events its own Read would give (the
// messages on its subjects, in stream order) and ends up in exactly the
// state Rebuild gives it; messages of products not listed are skipped.
// Progress, when set, hears of stream sequences. The sets and results are
// returned in the order of products.
func RebuildAll(ctx context.Context, src StreamSource, products []string, pos Position, opt RebuildOptions) ([]*projections.Set, []Rebuilt, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	total := pos.Seq
	if t, ok := src.(interface {
		StreamLastSeq(context.Context) (uint64, error)
	}); ok {
		if last, err := t.StreamLastSeq(ctx); err == nil && (total == 0 || last < total) {
			total = last
		}
	}
	type lane struct {
		rb    *rebuilder
		step  func(domain.Event) error
		in    chan []domain.Event
		batch []domain.Event
		done  atomic.Bool // reached pos: later events are not its
	}
	lost := lostBefore(ctx, src)
	lanes := make(map[string]*lane, len(products))
	order := make([]*lane, len(products))
	var wg sync.WaitGroup
	var finished atomic.Int64
	for i, p := range products {
		if _, dup := lanes[p]; dup {
			return nil, nil, fmt.Errorf("rebuilding every product: %q is listed twice", p)
		}
		rb := newRebuilder(p, pos, opt)
		rb.startLost(lost)
		l := &lane{rb: rb, in: make(chan []domain.Event, allQueue)}
		l.step = stepUpTo(pos, &rb.out.Result, rb.set, func(e domain.Event) error {
			rb.apply(ctx, e)
			return nil
		})
		lanes[p], order[i] = l, l
		wg.Go(func() {
			for evs := range l.in {
				if l.done.Load() {
					continue // drained: the reader may still be sending
				}
				for _, e := range evs {
					err := l.step(e)
					if errors.Is(err, errStop) {
						l.done.Store(true)
						finished.Add(1)
						break
					}
				}
			}
		})
	}
	send := func(l *lane) {
		if len(l.batch) == 0 {
			return
		}
		select {
		case l.in <- l.batch:
		case <-ctx.Done():
		}
		l.batch = make([]domain.Event, 0, allBatch)
	}
	var read uint64
	last, err := src.ReadAll(ctx, 0, func(e domain.Event) error {
		read++
		if opt.Progress != nil && read%progressEvery == 0 {
			opt.Progress(e.Seq, total)
		}
		if int(finished.Load()) == len(order) {
			return errStop // every product reached pos
		}
		l := lanes[productOf(e)]
		if l == nil || l.done.Load() {
			return ctx.Err()
		}
		if l.batch == nil {
			l.batch = make([]domain.Event, 0, allBatch)
		}
		l.batch = append(l.batch, e)
		if len(l.batch) == allBatch {
			send(l)
		}
		return ctx.Err()
	})
	for _, l := range order {
		send(l)
		close(l.in)
	}
	wg.Wait()
	if errors.Is(err, errStop) {
		err = nil
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("rebuilding every product: %w", err)
	}
	if opt.Progress != nil {
		opt.Progress(last, max(total, last))
	}
	sets, outs := make([]*projections.Set, len(order)), make([]Rebuilt, len(order))
	for i, l := range order {
		l.rb.finish(ctx)
		sets[i], outs[i] = l.rb.set, l.rb.out
	}
	return sets, outs, nil
}

// productOf is the product whose Read delivers e: the one its subject
// belongs to, or its envelope's product when the event was not read from
// a stream.
func productOf(e domain.Event) string {
	if e.Stored == nil || e.Stored.Subject == "" {
		return e.Product
	}
	return domain.SubjectProduct(e.Stored.Subject)
}
