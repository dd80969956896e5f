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
//	ledgerapi.v1.import           {"format","product","map","files","dryRun"}, map and files in base64
//	ledgerapi.v1.import.upload    {"size":N}: opens the upload of an import over 1 MiB, naming
//	                              ledgerapi.v1.import.upload.<instance>, where its parts go in
//	                              order (headers Ledger-Upload, Ledger-Part); the last part's
//	                              answer is the import's
//	ledgerapi.v1.audit.checkpoint {} or nothing: signs an audit checkpoint of the ledger now
//	                              with serve's key; the answer is a Checkpoint
//
// An import records the decisions of many people, so its caller needs the
// right to act for others (access.Relay); its events record who relayed
// them. Uploads are held in memory, at most command.MaxImport bytes in
// all, and dropped after UploadIdle without a part. Signing a checkpoint
// with the ledger's key needs the right to audit (access.Audit).
//
// Errors carry the micro error headers (Nats-Service-Error-Code 400, 403,
// 404, 409, 422 or 500) and the body {"error":{"code","kind","field","message"}}.
//
// It imports command and query, never replay, projections or another edge.
package service
