// Package httpapi is the HTTP edge of the ledger: the JSON API under
// /api/v1 (every view, CSV for the tabular ones, server-sent events, the
// one write route for decisions and the one for imports), /metrics for
// Prometheus, /healthz and /readyz, the
// OpenAPI document generated from its own route table, and the
// server-rendered dashboard with its embedded templates and assets.
//
// Like the CLI and the NATS service it only decodes a request into a
// command.Request, a command.ImportRequest or query.Options, calls
// command or query, and encodes
// the answer; an error kind becomes an HTTP status in one table
// (errors.go). It imports command, query, domain, access (who the caller
// is) and libraries only: it
// must not import eventstore, projections, replay or service.
package httpapi
