package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// WriteStateKind is the snapshot kind of the command handler's write
// model (domain.State), stored in SnapshotBucket beside the projections'
// snapshots.
const WriteStateKind = "writestate"

// writeStateKeep is how many write-state snapshots a product keeps: the
// handler only ever restores the newest, and one more covers a writer
// that reads the index while another replaces it.
const writeStateKeep = 2

// WriteStates keeps the write-state snapshots of the command handler
// (command.Snapshots). Safe for concurrent use.
type WriteStates struct {
	ss *SnapshotStore
}

// WriteStates returns the store's write-state snapshots.
func (s *Store) WriteStates() *WriteStates { return &WriteStates{ss: s.Snapshots()} }

// Latest returns the newest write-state snapshot of product and its
// bytes; ok is false when there is none. A snapshot that is listed but
// gone is an error wrapping ErrSnapshotNotFound.
func (w *WriteStates) Latest(ctx context.Context, product string) (info SnapshotInfo, data []byte, ok bool, err error) {
	info, ok, err = w.ss.LatestAtOrBefore(ctx, product, WriteStateKind, 0, time.Time{})
	if err != nil || !ok {
		return info, nil, false, err
	}
	data, err = w.ss.Get(ctx, info)
	if err != nil {
		return info, nil, false, err
	}
	return info, data, true, nil
}

// Put stores data as a write-state snapshot of info.Product at info.Seq
// (info.Kind is set to WriteStateKind; info.Version defaults to
// domain.StateVersion), then deletes all but the newest writeStateKeep of
// the product's write-state snapshots, so that their storage stays that
// of two states however long the history.
func (w *WriteStates) Put(ctx context.Context, info SnapshotInfo, data []byte) error {
	info.Kind = WriteStateKind
	if info.Version == "" {
		info.Version = domain.StateVersion
	}
	if _, err := w.ss.Put(ctx, info, data); err != nil {
		return err
	}
	list, err := w.ss.List(ctx, info.Product, WriteStateKind)
	if err != nil {
		return fmt.Errorf("pruning write-state snapshots of %q: %w", info.Product, err)
	}
	for _, old := range list[:max(len(list)-writeStateKeep, 0)] {
		// Another writer pruning at the same time may have got there first.
		if err := w.ss.Delete(ctx, old); err != nil && !errors.Is(err, ErrSnapshotNotFound) {
			return fmt.Errorf("pruning write-state snapshots of %q: %w", info.Product, err)
		}
	}
	return nil
}
