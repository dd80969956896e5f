// Package eventstoretest is what the ledger's tests share to work against
// a real event store, in the manner of net/http/httptest:
//
//   - set-up: Open starts a store with its own embedded nats-server and
//     JetStream file storage in t.TempDir(); SeedDemo and Demo record the
//     demo history through command; Events reads a product's events;
//     Context bounds a test's calls.
//   - tampering, for tests of the audit code: rewriting a store's streams
//     behind the ledger's back, as someone with access to the NATS account
//     or the data files could (replace the LEDGER stream with edited,
//     reordered or truncated history, delete single messages, wipe the
//     checkpoint stream), then restoring the stream settings so that
//     eventstore.Open accepts the result.
//
// It lives beside eventstore, the only package allowed to import the NATS
// client. Production code must never import it (TestOnlyTestsImport
// checks); it imports eventstore, command, demo, domain, the NATS client
// and testify, nothing else of the ledger. eventstore's own tests cannot
// use it (they are in package eventstore, which this package imports).
package eventstoretest
