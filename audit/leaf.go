package audit

import (
	"crypto/sha256"
	"encoding/binary"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/decisionledger/ledger/stored"
)

// leafTag opens every leaf's canonical bytes: it names the layout, so that
// a future layout can never produce the same bytes.
const leafTag = "ledger-leaf-v1\n"

// Leaf is what the tree commits to for one stored message: everything an
// auditor needs to recompute its leaf hash. Data is the message's payload
// exactly as stored (the event's JSON envelope).
type Leaf struct {
	Seq     uint64 // stream sequence; the leaf's index in the tree is Seq-1
	Subject string // NATS subject, ledger.<product>.<kind>.<id>
	MsgID   string // first Nats-Msg-Id header value, the event id; "" when absent
	Type    string // first Ledger-Type header value, the event type; "" when absent
	Data    []byte
}

// LeafOf reads the leaf of a stored message.
func LeafOf(r stored.Raw) Leaf {
	return Leaf{Seq: r.Seq, Subject: r.Subject, MsgID: first(r.Header, stored.HeaderMsgID),
		Type: first(r.Header, stored.HeaderType), Data: r.Data}
}

func first(h map[string][]string, key string) string {
	if vs := h[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Bytes returns the leaf's canonical bytes, laid out as the package
// documentation describes: the tag, the sequence as 8 bytes big-endian,
// subject, message id and type each as a 4-byte big-endian length and the
// bytes, then the 32-byte SHA-256 of the payload.
func (l Leaf) Bytes() []byte {
	return leafBytes(l.Seq, l.Subject, l.MsgID, l.Type, sha256.Sum256(l.Data))
}

// leafBytes lays out a leaf from the digest of its payload, so that a
// leaf can be checked without the payload.
func leafBytes(seq uint64, subject, msgID, typ string, sum [sha256.Size]byte) []byte {
	b := make([]byte, 0, len(leafTag)+8+12+len(subject)+len(msgID)+len(typ)+sha256.Size)
	b = append(b, leafTag...)
	b = binary.BigEndian.AppendUint64(b, seq)
	for _, f := range []string{subject, msgID, typ} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return append(b, sum[:]...)
}

// Hash returns the leaf's RFC 6962 leaf hash, SHA-256(0x00 || Bytes()).
func (l Leaf) Hash() tlog.Hash {
	return tlog.RecordHash(l.Bytes())
}
