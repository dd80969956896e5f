package replay

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
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
	// product, the newest; 0 thins them out by age instead (Thin), which
	// is what views whose size does not grow with history want.
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
	lost   uint64    // the stream's missing sequences when the views' fold began (SnapshotInfo.Lost)
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
	s.events, s.seq, s.lost = res.Events, res.Seq, res.lost
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
	// Data is the snapshot, nil until Write encodes it when the view
	// captured it in two steps (twoStep).
	Data []byte
	keep int
	// encode, when set, turns raw, the view's state as captured, into
	// Data.
	raw    []byte
	encode func([]byte) []byte
}

// twoStep is a view whose snapshot is taken in two steps: capture copies
// its state into bytes, under the lock that keeps the view still, and
// encode turns those bytes into the snapshot, outside it, while the view
// goes on folding (a Views snapshot compresses its body: Views.capture).
// encode(raw) is the view's MarshalSnapshot at the time of capture.
type twoStep interface {
	capture() (raw []byte, encode func([]byte) []byte, err error)
}

// Capture copies every view's state at the last event observed, so that
// the caller may hold a lock only while it does; Write encodes what
// needs encoding and stores the result, and may run outside the lock.
func (s *Snapshotter) Capture() ([]Pending, error) {
	if s.seq == 0 || s.at.IsZero() {
		return nil, nil
	}
	for _, v := range s.views {
		if holds(v.Projection) {
			// The validating fold holds the first events of a decision
			// (a request accepted, before the item it became is read):
			// the views stand before them, so the snapshot stays due
			// until the decision is whole.
			return nil, nil
		}
	}
	s.due = false
	out := make([]Pending, 0, len(s.views))
	for _, v := range s.views {
		if got := v.Projection.Position(); got != s.seq {
			return nil, fmt.Errorf("snapshot of %s: it stands at sequence %d, the last event observed is %d", KindOf(v.Projection), got, s.seq)
		}
		p := Pending{keep: v.Keep, Info: SnapshotInfo{
			Product: s.product, Kind: KindOf(v.Projection), Version: v.Projection.Version(),
			Seq: s.seq, LastAt: s.at, Events: s.events, Lost: s.lost,
		}}
		var err error
		if ts, ok := v.Projection.(twoStep); ok {
			p.raw, p.encode, err = ts.capture()
		} else {
			p.Data, err = v.Projection.MarshalSnapshot()
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", KindOf(v.Projection), err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Write encodes and stores captured snapshots and prunes the views that
// keep few. It reads nothing Capture changes: it may run in another
// goroutine than Capture, one Write at a time.
func (s *Snapshotter) Write(ctx context.Context, pending []Pending) ([]SnapshotInfo, error) {
	var written []SnapshotInfo
	var errs []error
	for _, p := range pending {
		if p.encode != nil {
			p.Data, p.raw, p.encode = p.encode(p.raw), nil, nil
		}
		info, err := s.store.Put(ctx, p.Info, p.Data)
		if err != nil {
			errs = append(errs, fmt.Errorf("writing snapshot %s: %w", p.Info.Name(), err))
			continue
		}
		written = append(written, info)
		if err := prune(ctx, s.store, s.product, p.Info.Kind, func(list []SnapshotInfo) []SnapshotInfo {
			if p.keep > 0 {
				return list[:max(len(list)-p.keep, 0)]
			}
			return Thin(list, s.every)
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return written, errors.Join(errs...)
}

// prune deletes the snapshots of a kind that drop picks from the list of
// them (by Seq ascending).
func prune(ctx context.Context, store SnapshotStore, product, kind string, drop func([]SnapshotInfo) []SnapshotInfo) error {
	list, err := store.List(ctx, product, kind)
	if err != nil {
		return fmt.Errorf("pruning snapshots of %s/%s: %w", product, kind, err)
	}
	var errs []error
	for _, info := range drop(list) {
		if err := store.Delete(ctx, info); err != nil {
			errs = append(errs, fmt.Errorf("pruning snapshot %s: %w", info.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// KeepRecent is how many of the newest snapshots of a kind Thin always
// keeps, so that questions about the recent past replay at most about
// one snapshot interval of events.
const KeepRecent = 3

// MaxGap bounds, in snapshot intervals, how far apart Thin leaves two
// kept snapshots, whatever their age: an as-of question anywhere in the
// history replays at most MaxGap intervals of events (2,000 at the
// default), a few milliseconds' worth, after the snapshot it starts from.
// The snapshots this keeps, one every MaxGap intervals, are what the
// compact Views encoding pays for: about a tenth of the bytes of the
// events between them for a product of 5,000 items.
const MaxGap = 2

// Thin is the retention policy for snapshots written every every events:
// it returns the snapshots of list (one product and kind, by Seq
// ascending) to delete. It keeps the KeepRecent newest and, of the older
// ones, the first of each aligned window of events: a snapshot whose age
// (how many events the newest has folded in beyond it) is between
// 2^(b-1) and 2^b intervals of every events falls in windows of 2^(b-2)
// intervals (one interval while b < 2), and windows are never wider than
// MaxGap intervals. The first snapshot of a product is always kept, and a
// snapshot dropped once is not wanted again: windows only widen as
// snapshots age.
//
// So n intervals of history keep about KeepRecent + 2*log2(MaxGap) +
// n/MaxGap snapshots (53 of 100 at the default, 503 of 1,000), and an
// as-of question D events before the newest snapshot replays at most
// min(max(every, D), MaxGap*every) events after the snapshot it starts
// from.
func Thin(list []SnapshotInfo, every uint64) []SnapshotInfo {
	if every == 0 {
		every = DefaultEvery
	}
	if len(list) <= KeepRecent {
		return nil
	}
	newest := list[len(list)-1].Events
	type window struct{ bucket, index uint64 }
	seen := map[window]bool{}
	var drop []SnapshotInfo
	for _, s := range list[:len(list)-KeepRecent] {
		var age uint64
		if s.Events < newest {
			age = (newest - s.Events) / every
		}
		b := uint64(bits.Len64(age)) // age in [2^(b-1), 2^b), 0 for age 0
		width := min(every<<max(b, 2)>>2, every*MaxGap)
		w := window{b, s.Events / width}
		if seen[w] {
			drop = append(drop, s)
			continue
		}
		seen[w] = true
	}
	return drop
}
