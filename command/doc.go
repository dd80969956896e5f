// Package command records decisions: it loads a product's state from the
// event store, asks the domain to decide, and appends the resulting events
// with optimistic concurrency, retrying when only an unrelated part of the
// product moved on. The CLI and the HTTP API share it.
//
// command imports domain and declares the small Store interface it needs;
// it must not import the NATS client, projections or any presentation code.
package command
