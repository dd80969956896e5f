// Package query answers the questions people bring to the ledger: the
// backlog, the roadmap, the requests and why an item is where it is, now
// or as of a past position. It builds projections from the event source
// and shapes them into views whose JSON form is a documented, stable
// contract shared by the CLI and the HTTP API.
//
// query imports domain, projections and replay; it must not import the
// NATS client or any presentation code.
package query
