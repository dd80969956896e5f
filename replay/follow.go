package replay

import (
	"context"
	"fmt"
	"sync"

	"github.com/decisionledger/ledger/domain"
)

// FollowOptions configures Follow; the zero value follows without locking
// or snapshots.
type FollowOptions struct {
	// Lock, when set, is held while an event is applied and while
	// snapshots are captured; whoever reads the projection meanwhile
	// holds it too.
	Lock sync.Locker
	// Snapshots, when set, snapshots its views as events arrive; its
	// views are the projection followed or share its state (ViewsOf). Set
	// it up with Start when the projection was restored, not built from
	// the first event.
	Snapshots *Snapshotter
	// OnApply, when set, is called after each event is applied, outside
	// Lock (to wake up readers waiting for a change, for one).
	OnApply func(domain.Event)
	// OnSnapshotError, when set, hears of snapshots that could not be
	// written. Following goes on: snapshots are a cache.
	OnSnapshotError func(error)
}

// Follow keeps p current with the product's events as they are stored,
// from p.Position() on, until ctx ends (it returns nil) or reading fails.
//
// A live server restores its projections with AsOf (or AsOfInto) at
// Latest, hands the Result to its Snapshotter's Start, then follows:
//
//	set, res, err := replay.AsOf(ctx, store, snaps, product, replay.Latest)
//	sn := replay.NewSnapshotter(snaps, product, every, replay.View{Projection: replay.ViewsOf(set)})
//	sn.Start(res)
//	err = replay.Follow(ctx, store, product, set, replay.FollowOptions{Lock: &mu, Snapshots: sn})
func Follow(ctx context.Context, src Follower, product string, p Projection, opt FollowOptions) error {
	lock := opt.Lock
	if lock == nil {
		lock = noLock{}
	}
	lock.Lock()
	after := p.Position()
	lock.Unlock()
	err := src.Follow(ctx, product, after, func(e domain.Event) error {
		var pending []Pending
		var capErr error
		lock.Lock()
		p.Apply(e)
		if opt.Snapshots != nil && opt.Snapshots.Observe(e) {
			pending, capErr = opt.Snapshots.Capture()
		}
		lock.Unlock()
		if opt.OnApply != nil {
			opt.OnApply(e)
		}
		if len(pending) > 0 {
			_, capErr = opt.Snapshots.Write(ctx, pending)
		}
		if capErr != nil && opt.OnSnapshotError != nil && ctx.Err() == nil {
			opt.OnSnapshotError(capErr)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("following product %q: %w", product, err)
	}
	return nil
}

// holds reports whether p is a validating fold holding the first events
// of a decision whose last is not read yet: its views stand before them,
// so a snapshot that falls due waits for the rest (Snapshotter.Capture).
func holds(p Projection) bool {
	h, ok := p.(interface{ Pending() bool })
	return ok && h.Pending()
}

type noLock struct{}

func (noLock) Lock()   {}
func (noLock) Unlock() {}
