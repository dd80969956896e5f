package replay

import (
	"context"
	"strings"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/snapshot"
)

// Source reads a product's history; *eventstore.Store is one.
type Source interface {
	// Read calls fn, in stream order, for every event of product whose
	// sequence is greater than after, up to the product's last event when
	// Read was called, with Event.Seq set. An event this version cannot
	// read arrives with a domain.Unknown payload. Read stops at fn's first
	// error and returns it; it returns the last sequence delivered without
	// error (after when none). A product without events is not an error.
	// Safe for concurrent use.
	Read(ctx context.Context, product string, after uint64, fn func(domain.Event) error) (uint64, error)
}

// Follower delivers a product's events as they are stored;
// *eventstore.Store is one.
type Follower interface {
	// Follow is Read that does not stop at the end: it goes on delivering
	// events as they are stored until ctx is cancelled (then it returns
	// nil) or fn returns an error (then it returns that error).
	Follow(ctx context.Context, product string, after uint64, fn func(domain.Event) error) error
}

// tail is what Rebuild uses, when the source offers it, to know how far
// the product's history goes; *eventstore.Store has it.
type tail interface {
	LastSeq(ctx context.Context, product string) (uint64, error)
}

// rangeSource is what an as-of answer reads the events after a snapshot
// with, when the source offers it: Read that stops at a stream sequence,
// so that a short read can be set up more cheaply than one to the end;
// *eventstore.Store has it.
type rangeSource interface {
	// ReadRange is Read of the events whose sequence is greater than
	// after and at most upTo (math.MaxUint64: no bound but the end).
	ReadRange(ctx context.Context, product string, after, upTo uint64, fn func(domain.Event) error) (uint64, error)
}

// lossSource is what an answer checks a snapshot against the stream with,
// when the source offers it; *eventstore.Store has it.
type lossSource interface {
	// Lost returns how many sequences up to its last the stream is
	// missing (deleted or lost, any product's); it only grows.
	Lost(ctx context.Context) (uint64, error)
	// CountUpTo returns how many messages of the product's subjects the
	// stream holds at sequences up to seq.
	CountUpTo(ctx context.Context, product string, seq uint64) (uint64, error)
}

// lostBefore is what a fold about to read from src records in the
// snapshots it writes (SnapshotInfo.Lost): how many sequences the stream
// is missing now, 0 when src cannot tell (its snapshots are then counted
// whenever the stream misses any).
func lostBefore(ctx context.Context, src any) uint64 {
	if l, ok := src.(lossSource); ok {
		if n, err := l.Lost(ctx); err == nil {
			return n
		}
	}
	return 0
}

// Projection is a fold replay can rebuild and snapshot. Every projection
// of package projections satisfies it, projections.Set and Views too.
type Projection interface {
	// Apply folds one event; an event whose Seq is not above Position is
	// ignored. It never fails.
	Apply(e domain.Event)
	// Reset empties the projection.
	Reset()
	// Position is the Seq of the last event applied, 0 if none.
	Position() uint64
	// Version names the fold; its first segment, up to "/", names the
	// projection ("views", "set", "backlog") and is the snapshot's kind.
	Version() string
	// MarshalSnapshot writes the state; UnmarshalSnapshot replaces it
	// with a snapshot's, leaving it unchanged on any error (a snapshot of
	// another version among them).
	MarshalSnapshot() ([]byte, error)
	UnmarshalSnapshot(data []byte) error
}

// KindOf is the snapshot kind of a projection: the first segment of its
// version ("views/1+backlog/1+..." is "views").
func KindOf(p Projection) string {
	kind, _, _ := strings.Cut(p.Version(), "/")
	return strings.ToLower(kind)
}

// SnapshotInfo describes a stored snapshot; the store and replay share
// the type, so *eventstore.SnapshotStore is a SnapshotStore as it is.
type SnapshotInfo = snapshot.Info

// SnapshotReader finds and reads snapshots.
type SnapshotReader interface {
	// List returns the product's snapshots of a kind by Seq ascending;
	// none is an empty list and no error. Safe for concurrent use.
	List(ctx context.Context, product, kind string) ([]SnapshotInfo, error)
	// Get returns a listed snapshot's bytes, or an error when it cannot
	// be read (deleted since it was listed, for one).
	Get(ctx context.Context, info SnapshotInfo) ([]byte, error)
}

// SnapshotStore is a SnapshotReader that also writes and deletes.
type SnapshotStore interface {
	SnapshotReader
	// Put stores a snapshot, replacing one of the same product, kind and
	// Seq, and returns its info with Size set.
	Put(ctx context.Context, info SnapshotInfo, data []byte) (SnapshotInfo, error)
	// Delete removes a snapshot.
	Delete(ctx context.Context, info SnapshotInfo) error
}
