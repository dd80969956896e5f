// Package service is the ledger's NATS edge: `ledger serve` registers a
// NATS micro service named "ledger" whose endpoints take a command or a
// view's options as JSON, call the command handler or the query facade,
// and reply with what the CLI prints with --json. Client is the other
// side, for the CLI and any Go program.
//
// Subjects (outside ledger.>, so that the LEDGER stream never captures a
// request):
//
//	ledgerapi.v1.command          {"action","product","actor","commandId","at","args"}
//	ledgerapi.v1.view.<name>      the view's options, {"product":"checkout","asOf":"2026-04-01"}
//
// Errors carry the micro error headers (Nats-Service-Error-Code 400, 403,
// 404, 409, 422 or 500) and the body {"error":{"code","kind","field","message"}}.
//
// It imports command and query, never replay, projections or another edge.
package service
