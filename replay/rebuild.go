package replay

import (
	"context"
	"fmt"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// RebuildOptions configures Rebuild; the zero value rebuilds without
// writing snapshots or reporting progress.
type RebuildOptions struct {
	// Snapshots, when set, receives a Views snapshot every Every events
	// and one at the end, thinned out as they age (Thin). Snapshots of
	// the whole Set, which older versions wrote, are deleted: the Set's
	// transparency log grows with history, so its snapshots would soon
	// outweigh the stream.
	Snapshots SnapshotStore
	// Every is the number of events between snapshots; DefaultEvery when
	// 0 or less.
	Every int
	// Progress, when set, is called now and then with the sequence
	// reached and the sequence the rebuild goes to (0 when unknown), and
	// once more at the end.
	Progress func(done, total uint64)
	// ViewsOnly leaves the transparency log out: the Set folds the
	// backlog, roadmap and requests (the Views, which is what snapshots
	// hold) and its Log stays nil. The log is the one projection that
	// grows with history rather than with the product, so a rebuild that
	// only writes snapshots (ledger replay) has no use for it.
	ViewsOnly bool
}

// progressEvery is how many events lie between two progress calls.
const progressEvery = 256

// Rebuilt is what Rebuild did.
type Rebuilt struct {
	Result
	// Snapshots counts the snapshots written.
	Snapshots int `json:"snapshots"`
}

// Rebuild builds every projection of the product from its first event up
// to pos, reading every event (no snapshot is read: this is the rebuild
// that snapshots are checked against), and writes snapshots on the way
// when asked. A snapshot that cannot be written is a warning, not a
// failure.
func Rebuild(ctx context.Context, src Source, product string, pos Position, opt RebuildOptions) (*projections.Set, Rebuilt, error) {
	total := pos.Seq
	if t, ok := src.(tail); ok {
		if last, err := t.LastSeq(ctx, product); err == nil && (total == 0 || last < total) {
			total = last
		}
	}
	rb := newRebuilder(product, pos, opt)
	rb.startLost(lostBefore(ctx, src))
	err := foldUpTo(ctx, src, product, 0, pos, &rb.out.Result, rb.set, nil, func(e domain.Event) error {
		rb.apply(ctx, e)
		if opt.Progress != nil && rb.out.Events%progressEvery == 0 {
			opt.Progress(e.Seq, total)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, rb.out, fmt.Errorf("rebuilding product %q: %w", product, err)
	}
	if opt.Progress != nil {
		opt.Progress(rb.out.Seq, max(total, rb.out.Seq))
	}
	rb.finish(ctx)
	return rb.set, rb.out, nil
}

// rebuilder is one product's rebuild: its Set, its snapshots and what it
// did. It is not safe for concurrent use.
type rebuilder struct {
	set      *projections.Set
	sn       *Snapshotter
	snaps    SnapshotStore
	out      Rebuilt
	snapErrs []error
}

func newRebuilder(product string, pos Position, opt RebuildOptions) *rebuilder {
	rb := &rebuilder{set: projections.NewSet(), snaps: opt.Snapshots, out: Rebuilt{Result: Result{Product: product, AsOf: pos}}}
	if opt.ViewsOnly {
		rb.set = projections.NewSetWithoutLog(projections.NewBacklog(), projections.NewRoadmap(), projections.NewRequests(), nil)
	}
	if opt.Snapshots != nil {
		rb.sn = NewSnapshotter(opt.Snapshots, product, opt.Every, View{Projection: ViewsOf(rb.set)})
	}
	return rb
}

// startLost records how many sequences the stream misses as the rebuild
// begins to read it (SnapshotInfo.Lost of the snapshots it writes).
func (rb *rebuilder) startLost(lost uint64) {
	rb.out.lost = lost
	if rb.sn != nil {
		rb.sn.lost = lost
	}
}

// apply folds one event and writes the snapshot it makes due.
func (rb *rebuilder) apply(ctx context.Context, e domain.Event) {
	rb.set.Apply(e)
	if rb.sn != nil {
		rb.wrote(rb.sn.MaybeSnapshot(ctx, e))
	}
}

func (rb *rebuilder) wrote(ws []SnapshotInfo, err error) {
	rb.out.Snapshots += len(ws)
	if err != nil {
		rb.snapErrs = append(rb.snapErrs, err)
	}
}

// finish writes the snapshot of the end, deletes the whole-Set snapshots
// older versions wrote, and turns snapshot failures into warnings.
func (rb *rebuilder) finish(ctx context.Context) {
	if rb.sn != nil && rb.out.Events > 0 && (rb.out.Events%rb.sn.every != 0 || rb.sn.due) {
		rb.wrote(rb.sn.Snapshot(ctx)) // the Views at the end, unless just written
	}
	if rb.sn != nil {
		if err := prune(ctx, rb.snaps, rb.out.Product, KindOf(rb.set), func(l []SnapshotInfo) []SnapshotInfo { return l }); err != nil {
			rb.snapErrs = append(rb.snapErrs, err)
		}
	}
	for _, e := range rb.snapErrs {
		rb.out.warnf("%v", e)
	}
}
