// Package bench holds the ledger's history generator and its bench
// runner. The generator writes realistic, deterministic product histories
// (the demo's shape, scaled) that tests and benchmarks share; the runner
// measures each path of the ledger against the raw JetStream operation it
// rests on, with the same durability, interleaved in one process.
//
// bench sits above every other package (it wires eventstore, command,
// query and service the way serve does) and nothing but cmd/ledger and
// tests imports it. Its raw baselines talk to JetStream directly, on
// purpose. The instances rows (StartInstances) start a plain nats-server
// of their own and run the ledger binary as "serve --nats URL" children
// on it, as a deployment of several instances does.
package bench
