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
	set := projections.NewSet()
	out := Rebuilt{Result: Result{Product: product, AsOf: pos}}
	total := pos.Seq
	if t, ok := src.(tail); ok {
		if last, err := t.LastSeq(ctx, product); err == nil && (total == 0 || last < total) {
			total = last
		}
	}
	var sn *Snapshotter
	if opt.Snapshots != nil {
		sn = NewSnapshotter(opt.Snapshots, product, opt.Every, View{Projection: ViewsOf(set)})
	}
	var snapErrs []error
	write := func(ws []SnapshotInfo, err error) {
		out.Snapshots += len(ws)
		if err != nil {
			snapErrs = append(snapErrs, err)
		}
	}
	err := foldUpTo(ctx, src, product, 0, pos, &out.Result, set, nil, func(e domain.Event) error {
		set.Apply(e)
		if sn != nil {
			write(sn.MaybeSnapshot(ctx, e))
		}
		if opt.Progress != nil && out.Events%progressEvery == 0 {
			opt.Progress(e.Seq, total)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, out, fmt.Errorf("rebuilding product %q: %w", product, err)
	}
	if opt.Progress != nil {
		opt.Progress(out.Seq, max(total, out.Seq))
	}
	if sn != nil && out.Events > 0 && out.Events%sn.every != 0 {
		write(sn.Snapshot(ctx)) // the Views at the end, unless just written
	}
	if sn != nil {
		kind := KindOf(set)
		if err := prune(ctx, opt.Snapshots, product, kind, func(l []SnapshotInfo) []SnapshotInfo { return l }); err != nil {
			snapErrs = append(snapErrs, err)
		}
	}
	for _, e := range snapErrs {
		out.warnf("%v", e)
	}
	return set, out, nil
}
