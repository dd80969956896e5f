// Package command records decisions: it loads a product's state from the
// event store, asks the domain to decide, and appends the resulting events
// with optimistic concurrency, retrying when only an unrelated part of the
// product moved on. The CLI and the HTTP API share it.
//
// A Handler keeps each product's write model (domain.State) in memory.
// Given a Snapshots store (WithSnapshots) it starts a product from its
// newest write-state snapshot instead of its first event and stores a new
// one every DefaultSnapshotEvery events, so that a one-shot write costs
// about the same on a long history as on a short one.
//
// Import is the one write path of a tracker's history: it reads an export
// through importer/trackers, leaves out what the product records already
// (importer.Apply) and appends the rest in atomic batches through the same
// store and write state as every decision, for the CLI, the NATS service
// and the HTTP API alike.
//
// command imports domain, snapshot and importer (with importer/trackers)
// and declares the small Store and Snapshots interfaces it needs; it must
// not import the NATS client, projections or any presentation code.
package command
