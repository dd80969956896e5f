// Package bench holds the ledger's history generator and its bench
// runner. The generator writes realistic, deterministic product histories
// (the demo's shape, scaled) that tests and benchmarks share; the runner
// measures each path of the ledger against the raw JetStream operation it
// rests on, with the same durability, interleaved in one process.
//
// bench sits above every other package (it wires eventstore, command,
// query and service the way serve does) and nothing but cmd/ledger and
// tests imports it. It talks to JetStream itself only through
// eventstore/eventstoretest, the home of the raw baselines.
package bench
