package query

import (
	"context"

	"github.com/decisionledger/ledger/replay"
)

// Result says where an answer stopped and how it was built.
type Result = replay.Result

// Rebuilt is what a rebuild read and wrote.
type Rebuilt = replay.Rebuilt

// DefaultSnapshotEvery is the number of events between snapshots.
const DefaultSnapshotEvery = replay.DefaultEvery

// SnapshotStore is where snapshots are kept; *eventstore.SnapshotStore is one.
type SnapshotStore = replay.SnapshotStore

// Rebuild reads the product's history up to pos, rebuilds the backlog,
// roadmap and requests from it (and the transparency log unless
// viewsOnly) and, when snaps is not nil and every > 0, writes snapshots
// every `every` events and at the end. progress, when set, hears of the
// sequence reached and the one it goes to.
func Rebuild(ctx context.Context, src Source, snaps SnapshotStore, product string, pos Position, every int, viewsOnly bool, progress func(done, total uint64)) (Rebuilt, error) {
	opt := replay.RebuildOptions{Every: every, Progress: progress, ViewsOnly: viewsOnly}
	if every > 0 {
		opt.Snapshots = snaps
	}
	_, res, err := replay.Rebuild(ctx, src, product, pos, opt)
	return res, err
}

// RebuildOptions configure RebuildAll: where snapshots go and how often,
// progress, and whether to leave out the transparency log (ViewsOnly).
type RebuildOptions = replay.RebuildOptions

// StreamSource reads the whole stream in one pass; *eventstore.Store is
// one.
type StreamSource = replay.StreamSource

// RebuildAll is Rebuild of every product of products from one read of the
// whole stream, the products folding side by side; the results are in the
// order of products.
func RebuildAll(ctx context.Context, src StreamSource, products []string, pos Position, opt RebuildOptions) ([]Rebuilt, error) {
	_, res, err := replay.RebuildAll(ctx, src, products, pos, opt)
	return res, err
}
