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
	// written. Following goes on: snapshots are a cache. It may be called
	// from another goroutine than OnApply, never two calls at once.
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
	report := func(err error) {
		if err != nil && opt.OnSnapshotError != nil && ctx.Err() == nil {
			opt.OnSnapshotError(err)
		}
	}
	// A snapshot is captured under the lock (a copy of the views' state)
	// and encoded and stored in the background, one at a time and in
	// order, so that neither holds up the events that follow: a Views
	// snapshot of 20,000 items took tens of milliseconds. Following waits
	// for the one in flight before it returns, and lets it finish even
	// when ctx ends (the store bounds each write with its own timeout).
	var writing chan struct{} // closed once the snapshot in flight is stored
	defer func() {
		if writing != nil {
			<-writing
		}
	}()
	wctx := context.WithoutCancel(ctx)
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
		report(capErr)
		if len(pending) > 0 {
			if writing != nil {
				<-writing
			}
			done := make(chan struct{})
			writing = done
			go func() {
				defer close(done)
				_, err := opt.Snapshots.Write(wctx, pending)
				report(err)
			}()
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
