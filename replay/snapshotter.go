package replay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// DefaultEvery is how many of a product's events lie between two
// snapshots unless configured otherwise.
const DefaultEvery = 1000

// View is a projection a Snapshotter snapshots.
type View struct {
	Projection Projection
	// Keep is how many of this projection's snapshots to keep per
	// product, the newest; 0 keeps them all. A projection whose state
	// grows with history (a projections.Set, with its transparency log)
	// should keep few: keeping one every N events would make storage
	// grow with the square of the history.
	Keep int
}

// Snapshotter writes snapshots of projections while they fold a product's
// events: after every Every-th event of the product, counted from the
// start of its history, so that rebuilding the same history writes the
// same snapshots again rather than new ones. It is not safe for concurrent
// use; feed it events in the order the projections fold them.
type Snapshotter struct {
	store   SnapshotStore
	product string
	every   uint64
	views   []View

	events uint64    // product events the views hold
	seq    uint64    // the last event observed
	at     time.Time // its business time
	due    bool      // a snapshot is owed at the next event with a time
}

// NewSnapshotter returns a Snapshotter writing to store every every events
// (DefaultEvery when every is 0 or less).
func NewSnapshotter(store SnapshotStore, product string, every int, views ...View) *Snapshotter {
	if every <= 0 {
		every = DefaultEvery
	}
	return &Snapshotter{store: store, product: product, every: uint64(every), views: views}
}

// Every is the number of events between snapshots.
func (s *Snapshotter) Every() int { return int(s.every) }

// Start tells the Snapshotter where the views stand when they were not
// built from the first event: how many of the product's events they hold
// (Result.Events of the as-of answer that restored them).
func (s *Snapshotter) Start(res Result) {
	s.events, s.seq = res.Events, res.Seq
	if res.At != nil {
		s.at = *res.At
	}
}

// Observe records that the views have folded e and reports whether a
// snapshot is due. A snapshot is never taken at an event without a
// business time (bytes that are not an envelope): it waits for the next.
func (s *Snapshotter) Observe(e domain.Event) bool {
	s.events++
	s.seq, s.at = e.Seq, e.OccurredAt
	if s.events%s.every == 0 {
		s.due = true
	}
	return s.due && !s.at.IsZero()
}

// MaybeSnapshot is Observe, then Snapshot when one is due. It returns the
// snapshots written.
func (s *Snapshotter) MaybeSnapshot(ctx context.Context, e domain.Event) ([]SnapshotInfo, error) {
	if !s.Observe(e) {
		return nil, nil
	}
	return s.Snapshot(ctx)
}

// Snapshot writes a snapshot of every view now, at the last event
// observed, and prunes the views that keep few. Views folded up to
// another event than the last observed are refused: their snapshot would
// be misdescribed.
func (s *Snapshotter) Snapshot(ctx context.Context) ([]SnapshotInfo, error) {
	pending, err := s.Capture()
	if err != nil {
		return nil, err
	}
	return s.Write(ctx, pending)
}

// Pending is a captured snapshot not yet written.
type Pending struct {
	Info SnapshotInfo
	Data []byte
	keep int
}

// Capture marshals every view at the last event observed, so that the
// caller may hold a lock only while it does; Write stores the result.
func (s *Snapshotter) Capture() ([]Pending, error) {
	if s.seq == 0 || s.at.IsZero() {
		return nil, nil
	}
	s.due = false
	out := make([]Pending, 0, len(s.views))
	for _, v := range s.views {
		if got := v.Projection.Position(); got != s.seq {
			return nil, fmt.Errorf("snapshot of %s: it stands at sequence %d, the last event observed is %d", KindOf(v.Projection), got, s.seq)
		}
		data, err := v.Projection.MarshalSnapshot()
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", KindOf(v.Projection), err)
		}
		out = append(out, Pending{Data: data, keep: v.Keep, Info: SnapshotInfo{
			Product: s.product, Kind: KindOf(v.Projection), Version: v.Projection.Version(),
			Seq: s.seq, LastAt: s.at, Events: s.events,
		}})
	}
	return out, nil
}

// Write stores captured snapshots and prunes the views that keep few.
func (s *Snapshotter) Write(ctx context.Context, pending []Pending) ([]SnapshotInfo, error) {
	var written []SnapshotInfo
	var errs []error
	for _, p := range pending {
		info, err := s.store.Put(ctx, p.Info, p.Data)
		if err != nil {
			errs = append(errs, fmt.Errorf("writing snapshot %s: %w", p.Info.Name(), err))
			continue
		}
		written = append(written, info)
		if p.keep > 0 {
			if err := prune(ctx, s.store, s.product, p.Info.Kind, p.keep); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return written, errors.Join(errs...)
}

// prune deletes all but the newest keep snapshots of a kind.
func prune(ctx context.Context, store SnapshotStore, product, kind string, keep int) error {
	list, err := store.List(ctx, product, kind)
	if err != nil {
		return fmt.Errorf("pruning snapshots of %s/%s: %w", product, kind, err)
	}
	var errs []error
	for i := 0; i < len(list)-keep; i++ {
		if err := store.Delete(ctx, list[i]); err != nil {
			errs = append(errs, fmt.Errorf("pruning snapshot %s: %w", list[i].Name(), err))
		}
	}
	return errors.Join(errs...)
}
