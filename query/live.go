package query

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

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
// runs: it restores each product from the nearest snapshot, follows the
// stream from the last sequence it applied, writes a snapshot every N
// events, and picks up products created while it runs. Safe for
// concurrent use.
type Live struct {
	src   LiveSource
	snaps replay.SnapshotStore
	every int
	logf  func(format string, args ...any)

	mu       sync.Mutex
	products map[string]*liveProduct
}

type liveProduct struct {
	mu       sync.RWMutex
	set      *projections.Set
	restored replay.Result // where the restore stopped, for the snapshotter
}

// NewLive returns a Live over src; snaps may be nil (no snapshots), every
// is the number of events between snapshots (replay.DefaultEvery when 0),
// logf hears of failures that do not stop it.
func NewLive(src LiveSource, snaps replay.SnapshotStore, every int, logf func(string, ...any)) *Live {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Live{src: src, snaps: snaps, every: every, logf: logf, products: map[string]*liveProduct{}}
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
		for _, id := range ps {
			if l.tracked(id) {
				continue
			}
			lp, err := l.start(ctx, id)
			if err != nil {
				if ctx.Err() == nil {
					l.logf("live projections: %v", err)
				}
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				l.follow(ctx, id, lp)
			}()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (l *Live) tracked(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.products[id]
	return ok
}

// start restores a product's projections up to now.
func (l *Live) start(ctx context.Context, id string) (*liveProduct, error) {
	var snaps replay.SnapshotReader
	if l.snaps != nil {
		snaps = l.snaps
	}
	set, res, err := replay.AsOf(ctx, l.src, snaps, id, replay.Latest)
	if err != nil {
		return nil, fmt.Errorf("restoring product %q: %w", id, err)
	}
	for _, w := range res.Warnings {
		l.logf("live projections: %s", w)
	}
	lp := &liveProduct{set: set, restored: res}
	l.mu.Lock()
	l.products[id] = lp
	l.mu.Unlock()
	return lp, nil
}

func (l *Live) follow(ctx context.Context, id string, lp *liveProduct) {
	opt := replay.FollowOptions{
		Lock:            &lp.mu,
		OnSnapshotError: func(err error) { l.logf("live projections: snapshot of %q: %v", id, err) },
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

// Position returns the last sequence applied for product, 0 if not followed.
func (l *Live) Position(product string) uint64 {
	var pos uint64
	l.Read(product, func(s *projections.Set) { pos = s.Position() })
	return pos
}
