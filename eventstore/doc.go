// Package eventstore keeps the ledger's events in a NATS JetStream stream
// and is the only package that imports the NATS client or server.
//
// It owns the stream LEDGER (subjects ledger.>, file storage, no limits,
// deletes and purges denied, atomic batch publish on) and refuses to use an
// existing LEDGER stream that is weaker. Events are stored under
// domain.Event.Subject (ledger.<product>.<kind>.<id>), one message per
// event, with the event id as Nats-Msg-Id so that a retried append is
// recorded once. Append takes the product's last stream sequence the caller
// decided on and turns JetStream's "wrong last sequence" answers into
// domain conflict errors; several events are stored as one atomic batch.
//
// Open either embeds a nats-server in the process (a data directory that
// one process owns at a time, see Options.DataDir and Options.Listen) or
// connects to an existing server or cluster (Options.URL). A second process
// opening a data directory that a serving process owns connects to it
// through the URL that process published in DataDir/owner.json. With
// Options.Protect the serving process is the only writer: its own
// in-process connection logs in as a privileged user, and clients of the
// listener may read and call the ledger's service but not write, answer
// requests or change any stream (see listenerPermissions); a store opened
// as such a client refuses writes with ReadOnlyError.
//
// An acknowledgement is a core NATS reply that anyone subscribed to
// ledger.> could forge, so Append reads the acknowledged message back
// before it reports an event stored.
//
// eventstore imports domain and the NATS libraries; it must not import
// projections, replay, command or cmd. It decodes events with domain.Decode
// and never interprets them.
package eventstore
