// Package projections holds the read models of the decision ledger: the
// ordered Backlog, the Roadmap by period, the Requests with their fate and
// the transparency Log of every decision chain. Each is a deterministic
// fold over domain events: Apply reads no clock, draws no randomness and
// does no I/O, so the same events always give the same state, and every
// projection can be written to and restored from a snapshot: JSON
// (MarshalSnapshot), and for the backlog, roadmap, requests and gate also
// a compact binary form (AppendBinary, see codec.go) that as-of answers
// restore an order of magnitude faster.
//
// Events reaching a projection have already been validated by the domain
// deciders; a projection still never panics. An event whose payload this
// version cannot read (domain.Unknown) is skipped and counted, and an event
// that names an item the projection does not know is ignored.
//
// projections imports only domain and the standard library. It must not
// import eventstore, replay or cmd: those feed it events and read its
// state, never the other way round. Projections are not safe for
// concurrent use; the caller serialises Apply and the queries.
package projections
