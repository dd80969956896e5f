package stored

import "time"

// The streams of the ledger.
const (
	// StreamName is the stream that holds the events.
	StreamName = "LEDGER"
	// CheckpointStreamName is the stream that holds the audit records:
	// signed checkpoints of the ledger and the leaf hashes they cover. It
	// is separate from LEDGER so that the ledger's own stream holds
	// nothing but events.
	CheckpointStreamName = "LEDGER_CHECKPOINTS"
)

// The headers of a stored event.
const (
	// HeaderMsgID carries the event's id, which is JetStream's
	// deduplication id (nats.go's jetstream.MsgIDHeader).
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderType carries the event's type, so that a plain NATS client can
	// filter without decoding.
	HeaderType = "Ledger-Type"
	// HeaderSchema carries the event's schema version.
	HeaderSchema = "Ledger-Schema"
	// HeaderPrev carries the sequence of the product's previous event as
	// the writer saw it (for the first event of a batch), or "batch" (the
	// message just before it in the stream, for the others): a reader
	// that finds a different previous event knows events are missing.
	HeaderPrev = "Ledger-Prev"
	// HeaderSignature carries the ledger's Ed25519 signature of the event
	// (domain.SignedMessage of its subject and bytes), base64, when the
	// ledger signs.
	HeaderSignature = "Ledger-Signature"
	// HeaderState carries, on the first event of an append, what its
	// writer attests about the product's state it decided on: the command
	// handler writes "<seq> sha256:<hex>", the sequence and the digest of
	// the write-state snapshot of that state, so that a snapshot can be
	// checked against the stream before it is trusted.
	HeaderState = "Ledger-State"
)

// Kinds of audit record, the last token of their subject in the
// checkpoint stream.
const (
	// KindCheckpoint is a signed checkpoint note.
	KindCheckpoint = "note"
	// KindLeaves is a batch of leaf hashes, in the audit package's encoding.
	KindLeaves = "leaves"
)

// Raw is one stored message as JetStream holds it, for the audit code.
type Raw struct {
	Seq     uint64              // stream sequence
	Subject string              // ledger.<product>.<kind>.<id> for an event
	Header  map[string][]string // Nats-Msg-Id, Ledger-Type, Ledger-Schema and any JetStream headers
	Data    []byte              // the envelope as stored
	Time    time.Time           // when the server stored it
}

// Info describes the LEDGER stream.
type Info struct {
	Name       string
	Subjects   []string
	Messages   uint64
	FirstSeq   uint64
	LastSeq    uint64
	Replicas   int
	DenyDelete bool
	DenyPurge  bool
	Storage    string // "file" or "memory"
}

// CheckpointRecord is one message of the checkpoint stream. The store does
// not interpret Data: the audit package writes and verifies it.
type CheckpointRecord struct {
	Seq  uint64
	Kind string // KindCheckpoint or KindLeaves
	Data []byte
	Time time.Time // when the server stored it
}
