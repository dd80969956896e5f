// Package server composes the running ledger once: over an open store,
// the live projections, the query facade answering from them, the write
// states caught up in the background, the NATS micro service, and the
// HTTP API and dashboard, with the Prometheus metrics both edges count
// into, and the outgoing webhooks of package notify (Options.Notify). "ledger serve", the bench runner and the tests start the same
// composition, so what one measures or tests is what the other runs.
//
// It sits above the edges (it imports service and httpapi, which never
// import each other or it) and below cmd/ledger and bench; nothing else
// imports it. It reads no flags and prints nothing: the caller says what
// to start and reports it.
package server
