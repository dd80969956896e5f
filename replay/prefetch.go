package replay

import (
	"context"
	"errors"
	"math"
	"sync"

	"github.com/decisionledger/ledger/domain"
)

// prefetchChunk is how many events a prefetch hands over at a time, so
// that the two goroutines meet once per chunk rather than per event.
const prefetchChunk = 64

// prefetchChunks bounds how many chunks a prefetch reads ahead of the fold.
const prefetchChunks = 8

// prefetch reads a product's events after a sequence on a goroutine of
// its own, while the snapshot they follow is downloaded and decoded: an
// as-of answer's read (a consumer to set up on the server, the events'
// JSON to decode) and its restore then overlap instead of adding up, and
// so do decoding and folding the events after the snapshot. It reads up
// to the first event past the position asked for, and no further than a
// stream sequence known to lie past it (the next snapshot's), with
// ReadRange where the source has it; should the fold want more (a
// decision that goes on past the position), Read goes on reading from
// the source itself. It is a Source for one Read, of that product after
// that sequence; use it once, and stop it whether or not it was read.
type prefetch struct {
	src     Source
	product string
	after   uint64

	chunks chan []domain.Event
	cancel context.CancelFunc
	done   chan struct{}
	// err is what the source's Read returned, and more whether the
	// events may go on after what it read (it stopped at the position, or
	// at a bound); both are set before done is closed.
	err  error
	more bool

	stopOnce sync.Once
}

// errPrefetched ends a prefetch's read at the first event past its
// position.
var errPrefetched = errors.New("prefetched up to the position")

// startPrefetch starts reading the product's events after the sequence
// after from src, up to the first one past pos and at most up to the
// sequence upTo (math.MaxUint64: none known).
func startPrefetch(ctx context.Context, src Source, product string, after uint64, pos Position, upTo uint64) *prefetch {
	ctx, cancel := context.WithCancel(ctx)
	f := &prefetch{src: src, product: product, after: after,
		chunks: make(chan []domain.Event, prefetchChunks), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		defer close(f.chunks)
		cur := make([]domain.Event, 0, prefetchChunk)
		send := func() error {
			if len(cur) == 0 {
				return nil
			}
			select {
			case f.chunks <- cur:
				cur = make([]domain.Event, 0, prefetchChunk)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		each := func(e domain.Event) error {
			cur = append(cur, e)
			if pos.Past(e) {
				return errPrefetched
			}
			if len(cur) == prefetchChunk {
				return send()
			}
			return nil
		}
		var err error
		if r, ok := src.(rangeSource); ok {
			_, err = r.ReadRange(ctx, product, after, upTo, each)
			f.more = upTo != math.MaxUint64
		} else {
			_, err = src.Read(ctx, product, after, each)
		}
		if errors.Is(err, errPrefetched) {
			f.more, err = true, nil
		}
		if err == nil {
			err = send()
		}
		f.err = err
	}()
	return f
}

// Read delivers what the prefetch read, and then what follows it from the
// source, when it is asked for the product and sequence the prefetch
// started with; any other read goes to the source alone. It returns fn's
// first error, or the source's.
func (f *prefetch) Read(ctx context.Context, product string, after uint64, fn func(domain.Event) error) (uint64, error) {
	if product != f.product || after != f.after {
		f.stop()
		return f.src.Read(ctx, product, after, fn)
	}
	last := after
	for {
		select {
		case chunk, ok := <-f.chunks:
			if !ok {
				<-f.done
				if f.err != nil || !f.more {
					return last, f.err
				}
				// The prefetch stopped at the position or its bound, and
				// the fold wants more.
				return f.src.Read(ctx, product, last, fn)
			}
			for _, e := range chunk {
				if err := fn(e); err != nil {
					f.stop()
					return last, err
				}
				last = e.Seq
			}
		case <-ctx.Done():
			f.stop()
			return last, ctx.Err()
		}
	}
}

// stop ends the read and waits for its goroutine; a nil prefetch is
// stopped already.
func (f *prefetch) stop() {
	if f == nil {
		return
	}
	f.stopOnce.Do(func() {
		f.cancel()
		for range f.chunks {
			// Drained, so that a send the reader is blocked in returns.
		}
		<-f.done
	})
}
