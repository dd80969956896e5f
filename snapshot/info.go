package snapshot

import (
	"fmt"
	"time"
)

// Info describes a stored snapshot.
type Info struct {
	Product string `json:"product"`
	// Kind names what was snapshotted (a projection, such as "views").
	Kind string `json:"kind"`
	// Version is the version of the fold that wrote the snapshot.
	Version string `json:"version"`
	// Seq is the stream sequence of the last event folded in.
	Seq uint64 `json:"seq"`
	// LastAt is the business time of that event.
	LastAt time.Time `json:"lastAt"`
	// Events is how many of the product's events were folded in.
	Events uint64 `json:"events"`
	// Lost is how many sequences up to its last the stream was missing
	// (deleted or lost, any product's) when the fold that wrote the
	// snapshot began reading. While the stream misses no more, none of
	// the events the snapshot folded can have gone since, and a reader
	// takes it as it is; once it misses more, the reader counts the
	// product's events up to Seq against Events before using it, so that
	// an answer restored from a snapshot names a gap lost to corruption
	// as one folded from the events does.
	Lost uint64 `json:"lost,omitempty"`
	// Size is the snapshot's length in bytes, set when it is stored.
	Size uint64 `json:"size"`
	// Digest is "sha256:" and the hex SHA-256 of the stored bytes, set when
	// it is stored; a snapshot whose bytes do not match is never used.
	Digest string `json:"digest,omitempty"`
	// Sig is the ledger's signature of SignedMessage, base64, when the
	// ledger signs: a reader with the verifier key uses no unsigned or
	// wrongly signed snapshot, so editing one needs the ledger's key.
	Sig string `json:"sig,omitempty"`
}

// SignedMessage is what the ledger signs for a snapshot: a domain
// separator, its name, version, position and digest.
func (i Info) SignedMessage() []byte {
	b := fmt.Appendf(nil, "decisionledger snapshot v1\n%s\n%s\n%d\n%s\n%s\n", i.Name(), i.Version, i.Seq,
		i.LastAt.UTC().Format(time.RFC3339Nano), i.Digest)
	if i.Lost != 0 {
		// Only when set, so that the snapshots signed before it was
		// recorded still verify; a changed Lost changes the message.
		b = fmt.Appendf(b, "lost %d\n", i.Lost)
	}
	return b
}

// Name is how the store, warnings and the CLI name a snapshot:
// <product>/<kind>/<seq, 20 digits>.
func (i Info) Name() string {
	return fmt.Sprintf("%s/%s/%020d", i.Product, i.Kind, i.Seq)
}
