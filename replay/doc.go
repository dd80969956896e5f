// Package replay rebuilds projections from a product's history and
// answers questions about the past: any view as of a date, an RFC 3339
// time or a stream position (Position, AsOf, AsOfViews, AsOfViewsOf,
// AsOfInto), the roadmap as planned at one date against what was
// delivered by a later one (Compare), and what changed between two dates
// (Diff).
//
// A product's events are stored in non-decreasing business time (the
// domain refuses a decision dated before the product's latest), so "as of
// T" is a prefix of the product's events: reading stops at the first event
// past T.
//
// Snapshots make long histories cheap: a Snapshotter writes a projection's
// state every N events, and an as-of question starts from the nearest
// snapshot at or before its position and replays only the rest. A snapshot
// is a cache, never the record: one written by another projection version,
// one that fails to decode, or one that disagrees with the stream is
// ignored, reported in Result.Warnings, and the answer is rebuilt from
// events, so deleting snapshots changes no answer. The Views (backlog,
// roadmap, requests) grow with the number of items, not with the length of
// history, so their snapshots keep as-of questions flat as history grows.
// A Views snapshot is its members' compact binary encoding compressed with
// zstd, and they are thinned out as they age (Thin: the newest few, then
// one every MaxGap intervals), so that an as-of question anywhere replays
// a bounded number of events while the snapshots of a product stay a
// fraction of its stream. The events after a snapshot are read while it
// is restored, and an answer about one view (AsOfViewsOf) restores and
// folds that view alone. The transparency log holds every decision, so it is never
// snapshotted, and a Set as of a position costs in proportion to the
// history before it.
//
// replay owns positions, the snapshot policy (what, when, which snapshot
// to trust) and the compare and diff rules. It declares the small
// interfaces it needs (Source, Follower, Projection, SnapshotReader,
// SnapshotStore) and imports only domain, projections, the standard
// library and klauspost/compress's zstd (for its snapshots): it must not
// import eventstore, the NATS client or cmd.
package replay
