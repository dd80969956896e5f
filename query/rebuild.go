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

// Rebuild reads the product's history up to pos, rebuilds every projection
// from it and, when snaps is not nil and every > 0, writes snapshots every
// `every` events and at the end. progress, when set, hears of the sequence
// reached and the one it goes to.
func Rebuild(ctx context.Context, src Source, snaps SnapshotStore, product string, pos Position, every int, progress func(done, total uint64)) (Rebuilt, error) {
	opt := replay.RebuildOptions{Every: every, Progress: progress}
	if every > 0 {
		opt.Snapshots = snaps
	}
	_, res, err := replay.Rebuild(ctx, src, product, pos, opt)
	return res, err
}
