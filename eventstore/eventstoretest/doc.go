// Package eventstoretest rewrites a store's streams behind the ledger's
// back, for tests of the audit code only: it does what someone with
// access to the NATS account or the data files could do (replace the
// LEDGER stream with edited, reordered or truncated history, delete single
// messages, wipe the checkpoint stream) and then restores the stream
// settings so that eventstore.Open accepts the result.
//
// It lives beside eventstore, the only package allowed to import the NATS
// client, in the manner of net/http/httptest. Production code must never
// import it; it imports eventstore and the NATS client, nothing else of
// the ledger.
package eventstoretest
