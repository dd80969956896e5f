package query

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// LiveSource is what Live reads: history, new events as they are stored,
// and the list of products.
type LiveSource interface {
	replay.Source
	replay.Follower
	// Products lists the ids of the products that have events, in any
	// order; an empty ledger gives an empty list.
	Products(ctx context.Context) ([]string, error)
}

// Live keeps the projections of every product current while a server
// runs: it restores each product's backlog, roadmap and requests from the
// nearest Views snapshot, follows the stream from the last sequence it
// applied, writes a snapshot every N events, and picks up products
// created while it runs. The transparency log, which only a fold of the
// whole history gives, is built in the background and attached once it
// has caught up; until then why is answered from the stream. Safe for
// concurrent use.
type Live struct {
	src   LiveSource
	snaps replay.SnapshotStore
	every int
	logf  func(format string, args ...any)

	mu       sync.Mutex
	products map[string]*liveProduct
	wake     chan struct{} // asks Run to look for new products now
	// logs lets one transparency log be built at a time, so that the
	// builds, a fold of each product's whole history, leave the other
	// cores to answering.
	logs chan struct{}
}

type liveProduct struct {
	mu       sync.RWMutex
	set      *projections.Set
	restored replay.Result // where the restore stopped, for the snapshotter
	events   uint64        // events folded in, restored ones included
	at       *time.Time    // business time of the last event applied
	changed  chan struct{} // closed and replaced after each event
	// tally is the overview's and metrics' running figures, built with
	// the transparency log and attached with it (nil until then), then
	// kept by the Set's folds (Set.Observe).
	tally *tally
}

// NewLive returns a Live over src; snaps may be nil (no snapshots), every
// is the number of events between snapshots (replay.DefaultEvery when 0),
// logf hears of failures that do not stop it.
func NewLive(src LiveSource, snaps replay.SnapshotStore, every int, logf func(string, ...any)) *Live {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Live{src: src, snaps: snaps, every: every, logf: logf, products: map[string]*liveProduct{},
		wake: make(chan struct{}, 1), logs: make(chan struct{}, 1)}
}

// ProductPoll is how often Run looks for new products.
const ProductPoll = 2 * time.Second

// Run follows every product until ctx ends; it returns nil then.
func (l *Live) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(ProductPoll)
	defer tick.Stop()
	for {
		ps, err := l.src.Products(ctx)
		if err != nil && ctx.Err() == nil {
			l.logf("live projections: listing products: %v", err)
		}
		sort.Strings(ps)
		// Products start side by side (restoring a snapshot is CPU work),
		// so that serve answers for all of them sooner than one after
		// another would.
		var starting sync.WaitGroup
		slots := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
		for _, id := range ps {
			if l.tracked(id) {
				continue
			}
			starting.Go(func() {
				slots <- struct{}{}
				lp, err := l.start(ctx, id)
				<-slots
				if err != nil {
					if ctx.Err() == nil {
						l.logf("live projections: %v", err)
					}
					return
				}
				wg.Go(func() { l.follow(ctx, id, lp) })
				wg.Go(func() { l.buildLog(ctx, id, lp) })
			})
		}
		starting.Wait()
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-l.wake:
		}
	}
}

func (l *Live) tracked(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.products[id]
	return ok
}

// start restores a product's backlog, roadmap and requests up to now,
// from the nearest snapshot; its Set has no transparency log yet.
func (l *Live) start(ctx context.Context, id string) (*liveProduct, error) {
	var snaps replay.SnapshotReader
	if l.snaps != nil {
		snaps = l.snaps
	}
	v, res, err := replay.AsOfViews(ctx, l.src, snaps, id, replay.Latest)
	if err != nil {
		return nil, fmt.Errorf("restoring product %q: %w", id, err)
	}
	set := projections.NewSetWithoutLog(v.Backlog, v.Roadmap, v.Requests, v.Gate)
	for _, w := range res.Warnings {
		l.logf("live projections: %s", w)
	}
	lp := &liveProduct{set: set, restored: res, events: res.Events, at: res.At, changed: make(chan struct{})}
	l.mu.Lock()
	l.products[id] = lp
	l.mu.Unlock()
	return lp, nil
}

// errCaughtUp ends buildLog's read at the Set's position.
var errCaughtUp = errors.New("caught up")

// logRetry is how long buildLog waits after a failed read.
const logRetry = time.Second

// buildLog folds the product's history from its first event into a
// transparency log of its own, up to where the live Set stands, and
// attaches it under the Set's lock once the two stand at the same
// sequence (reading again what the Set applied meanwhile). It returns
// then, or when ctx ends.
func (l *Live) buildLog(ctx context.Context, id string, lp *liveProduct) {
	select {
	case l.logs <- struct{}{}:
		defer func() { <-l.logs }()
	case <-ctx.Done():
		return
	}
	// The log folds through a validating fold of its own: it must leave
	// out exactly what the views left out.
	log, gate, t := projections.NewLog(), projections.NewGate(), newTally()
	for ctx.Err() == nil {
		lp.mu.RLock()
		target := lp.set.Position()
		lp.mu.RUnlock()
		if log.Position() < target {
			_, err := l.src.Read(ctx, id, log.Position(), func(e domain.Event) error {
				if e.Seq > target {
					return errCaughtUp
				}
				for _, a := range gate.Admit(e) {
					log.Apply(a)
					t.apply(a)
				}
				if e.Seq >= target && !gate.Pending() {
					return errCaughtUp
				}
				return nil
			})
			if err != nil && !errors.Is(err, errCaughtUp) {
				if ctx.Err() == nil {
					l.logf("live projections: transparency log of %q: %v", id, err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(logRetry):
				}
				continue
			}
		}
		lp.mu.Lock()
		if log.Position() == lp.set.Position() {
			err := lp.set.AttachLog(log)
			if err == nil {
				lp.tally = t
				lp.set.Observe(t.apply)
			}
			lp.mu.Unlock()
			if err != nil {
				l.logf("live projections: transparency log of %q: %v", id, err)
			}
			return
		}
		lp.mu.Unlock()
	}
}

func (l *Live) follow(ctx context.Context, id string, lp *liveProduct) {
	opt := replay.FollowOptions{
		Lock:            &lp.mu,
		OnSnapshotError: func(err error) { l.logf("live projections: snapshot of %q: %v", id, err) },
		OnApply: func(e domain.Event) {
			lp.mu.Lock()
			lp.events++
			at := e.OccurredAt.UTC()
			lp.at = &at
			close(lp.changed)
			lp.changed = make(chan struct{})
			lp.mu.Unlock()
		},
	}
	if l.snaps != nil {
		lp.mu.RLock()
		sn := replay.NewSnapshotter(l.snaps, id, l.every, replay.View{Projection: replay.ViewsOf(lp.set)})
		sn.Start(lp.restored)
		var pending []replay.Pending
		var err error
		if lp.restored.Replayed >= uint64(sn.Every()) {
			// Restored from a long stretch of events: snapshot the restore
			// point now rather than after the next N events.
			pending, err = sn.Capture()
		}
		lp.mu.RUnlock()
		if err == nil && len(pending) > 0 {
			_, err = sn.Write(ctx, pending)
		}
		if err != nil {
			l.logf("live projections: snapshot of %q: %v", id, err)
		}
		opt.Snapshots = sn
	}
	if err := replay.Follow(ctx, l.src, id, lp.set, opt); err != nil && ctx.Err() == nil {
		l.logf("live projections: %v", err)
		l.mu.Lock()
		delete(l.products, id) // picked up again at the next poll
		l.mu.Unlock()
	}
}

// Read runs fn on the product's live projections under a read lock; fn
// must not keep them. It reports whether the product is followed.
func (l *Live) Read(product string, fn func(*projections.Set)) bool {
	l.mu.Lock()
	lp, ok := l.products[product]
	l.mu.Unlock()
	if !ok {
		return false
	}
	lp.mu.RLock()
	defer lp.mu.RUnlock()
	fn(lp.set)
	return true
}

// readAtLeast runs fn on the product's projections, with the Meta of a
// view built from them, once they have applied seq; it waits at most wait
// (asking Run to pick a new product up at once) and reports whether fn ran.
func (l *Live) readAtLeast(ctx context.Context, product string, seq uint64, wait time.Duration, fn func(*projections.Set, Meta)) bool {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		lp, ok := l.products[product]
		l.mu.Unlock()
		var changed <-chan struct{}
		if ok {
			lp.mu.RLock()
			if lp.set.Position() >= seq && lp.events > 0 {
				n, first := lp.set.Skipped()
				m := Meta{Product: product, Position: lp.set.Position(), At: lp.at, Events: lp.events,
					Skipped: n, FirstSkipped: first}
				m.addTrust(lp.set.Gate())
				func() {
					// Released even if fn panics (a panic in one request
					// must not leave every later one waiting on the lock).
					defer lp.mu.RUnlock()
					fn(lp.set, m)
				}()
				return true
			}
			changed = lp.changed
			lp.mu.RUnlock()
		} else {
			if seq == 0 {
				// Nothing written here to wait for: a product Run has not
				// picked up (or none at all) is answered from the stream.
				return false
			}
			select {
			case l.wake <- struct{}{}:
			default:
			}
		}
		var poll <-chan time.Time
		if changed == nil {
			poll = time.After(20 * time.Millisecond)
		}
		select {
		case <-changed:
		case <-poll:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// readAt runs fn on the product's projections, with the Meta of a view
// built from them, if they stand at exactly seq now; it reports whether
// fn ran.
func (l *Live) readAt(product string, seq uint64, fn func(*projections.Set, Meta)) bool {
	l.mu.Lock()
	lp, ok := l.products[product]
	l.mu.Unlock()
	if !ok {
		return false
	}
	lp.mu.RLock()
	defer lp.mu.RUnlock()
	if lp.set.Position() != seq || lp.events == 0 {
		return false
	}
	n, first := lp.set.Skipped()
	m := Meta{Product: product, Position: seq, At: lp.at, Events: lp.events, Skipped: n, FirstSkipped: first}
	m.addTrust(lp.set.Gate())
	fn(lp.set, m)
	return true
}

// tallyOf returns the running figures kept with set, the product's live
// projections, nil when they are not built yet. Call it from a function
// readAtLeast or readAt runs (under the product's read lock).
func (l *Live) tallyOf(product string, set *projections.Set) *tally {
	l.mu.Lock()
	lp, ok := l.products[product]
	l.mu.Unlock()
	if !ok || lp.set != set {
		return nil
	}
	return lp.tally
}

// LogReady reports whether the product's live projections include its
// transparency log, so that why is answered from them.
func (l *Live) LogReady(product string) bool {
	ready := false
	l.Read(product, func(s *projections.Set) { ready = s.HasLog() })
	return ready
}

// Position returns the last sequence applied for product, 0 if not followed.
func (l *Live) Position(product string) uint64 {
	var pos uint64
	l.Read(product, func(s *projections.Set) { pos = s.Position() })
	return pos
}
