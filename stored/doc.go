// Package stored describes what the ledger's streams hold, in plain data:
// a message as JetStream stores it (Raw), the LEDGER stream's settings and
// state (Info) and a record of the checkpoint stream (CheckpointRecord),
// with the names the event store and the audit code agree on: the
// streams, the headers a stored event carries and the kinds of audit
// record.
//
// It is the shared vocabulary of the code that stores messages
// (eventstore, which declares its own types as aliases of these) and the
// code that checks them (audit), so that audit reads a store through
// small interfaces and an offline check (a proof, a bundle) builds
// without eventstore, the NATS client or nats-server, in the manner of
// package snapshot.
//
// stored imports only the standard library.
package stored
