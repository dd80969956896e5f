// Package audit makes the ledger tamper-evident, following Certificate
// Transparency (RFC 6962) and Go's checksum database: the events of the
// LEDGER stream form a Merkle tree in stream order, signed checkpoints
// commit to the tree's root at a size, and anyone holding a checkpoint
// and the verifier key can check that the ledger still holds what the
// checkpoint saw, or that one event is in it, with no trust in the
// ledger's operator.
//
// The tree is built with golang.org/x/mod/sumdb/tlog and recomputed from
// the stream every time: nothing in storage is trusted. Leaf index i holds
// the message at stream sequence i+1; a sequence missing from the stream
// (a deleted message) is a gap that verification reports. Checkpoints are
// C2SP tlog-checkpoint notes (origin, tree size, base64 root hash) signed
// with Ed25519 through golang.org/x/mod/sumdb/note; the origin is the name
// of the signing key, by default DefaultOrigin. Each published checkpoint
// follows the leaf hashes it adds, in the LEDGER_CHECKPOINTS stream: they
// are trusted only once a signed root confirms them, and then let Verify
// name the exact sequence of a change.
//
// # Leaf layout
//
// A leaf commits to a stored message's sequence, subject, message id
// (first Nats-Msg-Id header value, "" when absent), event type (first
// Ledger-Type header value, "" when absent) and the SHA-256 of its payload
// (the stored bytes, the event's JSON envelope). Its canonical bytes are,
// with every integer big-endian and strings as their UTF-8 bytes:
//
//	"ledger-leaf-v1\n"                 15 bytes, the layout's tag
//	sequence                           8 bytes, uint64
//	len(subject)  subject              4 bytes uint32, then the bytes
//	len(msg id)   msg id               4 bytes uint32, then the bytes
//	len(type)     type                 4 bytes uint32, then the bytes
//	SHA-256(payload)                   32 bytes
//
// and the leaf hash is the RFC 6962 leaf hash SHA-256(0x00 || bytes).
// Interior nodes are SHA-256(0x01 || left || right), as RFC 6962. In Python:
//
//	import hashlib, struct
//	def leaf_hash(seq, subject, msg_id, type_, payload):
//	    b = b"ledger-leaf-v1\n" + struct.pack(">Q", seq)
//	    for f in (subject, msg_id, type_):
//	        f = f.encode()
//	        b += struct.pack(">I", len(f)) + f
//	    b += hashlib.sha256(payload).digest()
//	    return hashlib.sha256(b"\x00" + b).digest()
//
// # Dependencies
//
// audit imports domain (to decode events and report the invalid ones),
// stored (for the Raw, Info and CheckpointRecord types and the stream and
// header names) and golang.org/x/mod. It reads and writes a store only
// through the Source and Store interfaces, which *eventstore.Store
// implements, so an auditor's offline check (proofs, bundles) builds
// without eventstore, the NATS client or nats-server: TestOfflineImports
// holds it to that. It must not import eventstore, the NATS client,
// projections, replay, command or cmd.
package audit
