// Command ledger records product decisions as immutable events on a NATS
// JetStream stream and answers questions about them: the backlog, the
// roadmap, the requests and why each is where it is, now or as of any
// date, and whether the history was tampered with.
//
// It only parses flags, wires the packages together (eventstore, command,
// query, replay, audit, demo) and maps errors to exit codes; the rules and
// the queries live in those packages so that an HTTP server can share them.
// main calls run(ctx, args, stdin, stdout, stderr) so that tests drive the
// CLI the way a user does.
package main
