package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/stored"
)

// ProofFormat names the proof file layout; ParseProof accepts no other.
const ProofFormat = "decisionledger-proof-v1"

// maxProof bounds the proof files ParseProof reads.
const maxProof = 8 << 20

// Proof shows that one stored message is in the ledger as a signed
// checkpoint saw it: the fields its leaf is computed from, the inclusion
// proof from that leaf to the checkpoint's root, and the signed checkpoint.
// It is checked offline with only the verifier key.
//
// In JSON, hashes are standard base64 as in checkpoints. The payload (the
// stored bytes, the event's JSON envelope) is the string "payload" when
// it is valid UTF-8, which keeps the event readable (jq -r .payload), and
// base64 in "payloadBase64" otherwise; either way it is exact.
type Proof struct {
	Format     string
	Seq        uint64
	Subject    string
	MsgID      string
	Type       string
	Payload    []byte
	LeafHash   tlog.Hash
	TreeSize   int64
	Inclusion  []tlog.Hash
	Checkpoint string
}

// proofJSON is the file form of a Proof.
type proofJSON struct {
	Format        string      `json:"format"`
	Seq           uint64      `json:"seq"`
	Subject       string      `json:"subject"`
	MsgID         string      `json:"msgId"`
	Type          string      `json:"type"`
	Payload       *string     `json:"payload,omitempty"`
	PayloadBase64 []byte      `json:"payloadBase64,omitempty"`
	LeafHash      tlog.Hash   `json:"leafHash"`
	TreeSize      int64       `json:"treeSize"`
	Inclusion     []tlog.Hash `json:"inclusion"`
	Checkpoint    string      `json:"checkpoint"`
}

// MarshalJSON writes the file form.
func (p Proof) MarshalJSON() ([]byte, error) {
	j := proofJSON{Format: p.Format, Seq: p.Seq, Subject: p.Subject, MsgID: p.MsgID, Type: p.Type,
		LeafHash: p.LeafHash, TreeSize: p.TreeSize, Inclusion: p.Inclusion, Checkpoint: p.Checkpoint}
	if utf8.Valid(p.Payload) {
		s := string(p.Payload)
		j.Payload = &s
	} else {
		j.PayloadBase64 = p.Payload
	}
	if j.Inclusion == nil {
		j.Inclusion = []tlog.Hash{}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the file form, refusing unknown fields and a
// payload given both ways or not at all.
func (p *Proof) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j proofJSON
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*p = Proof{Format: j.Format, Seq: j.Seq, Subject: j.Subject, MsgID: j.MsgID, Type: j.Type,
		LeafHash: j.LeafHash, TreeSize: j.TreeSize, Inclusion: j.Inclusion, Checkpoint: j.Checkpoint}
	if p.Inclusion == nil {
		p.Inclusion = []tlog.Hash{} // a tree of one leaf needs no hash
	}
	switch {
	case j.Payload != nil && j.PayloadBase64 != nil:
		return errors.New("proof has both payload and payloadBase64")
	case j.Payload != nil:
		p.Payload = []byte(*j.Payload)
	case j.PayloadBase64 != nil:
		p.Payload = j.PayloadBase64
	default:
		return errors.New("proof has no payload")
	}
	return nil
}

// Leaf returns the leaf the proof is about.
func (p *Proof) Leaf() Leaf {
	return Leaf{Seq: p.Seq, Subject: p.Subject, MsgID: p.MsgID, Type: p.Type, Data: p.Payload}
}

// Marshal writes the proof as indented JSON ending in a newline.
func (p *Proof) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(*p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseProof reads a proof file. It checks the form only (known fields,
// the format, sizes in range); Check verifies it.
func ParseProof(b []byte) (*Proof, error) {
	if len(b) > maxProof {
		return nil, fmt.Errorf("proof is %d bytes, more than %d", len(b), maxProof)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Proof
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("not a proof file: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not a proof file: text after the proof")
	}
	switch {
	case p.Format != ProofFormat:
		return nil, fmt.Errorf("proof format %q is not %q", p.Format, ProofFormat)
	case p.Seq < 1:
		return nil, errors.New("proof has no sequence")
	case p.TreeSize < 1 || uint64(p.TreeSize) < p.Seq:
		return nil, fmt.Errorf("proof's tree size %d does not contain sequence %d", p.TreeSize, p.Seq)
	case len(p.Inclusion) > 64:
		return nil, fmt.Errorf("inclusion proof has %d hashes, more than a tree can need", len(p.Inclusion))
	case p.Checkpoint == "":
		return nil, errors.New("proof has no checkpoint")
	}
	return &p, nil
}

// ErrProof is wrapped by Check's error when a proof does not hold.
var ErrProof = errors.New("proof not valid")

// Checked is a proof that holds: the event it proves, as of the checkpoint.
type Checked struct {
	Checkpoint Checkpoint
	Leaf       Leaf
	// Event is the decoded event; Warning says why it is not a sound
	// ledger event, when it is not (the proof still holds for the bytes).
	Event   domain.Event
	Warning string
}

// Check verifies the proof with the verifier keys alone: the checkpoint's
// signature, the leaf hash recomputed from the event, and the inclusion
// proof from that leaf to the checkpoint's root.
func (p *Proof) Check(verifiers ...note.Verifier) (*Checked, error) {
	cp, err := OpenCheckpoint([]byte(p.Checkpoint), verifiers...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProof, err)
	}
	if p.TreeSize != cp.Size {
		return nil, fmt.Errorf("%w: the proof is for a tree of %d events, its checkpoint covers %d", ErrProof, p.TreeSize, cp.Size)
	}
	if p.Seq < 1 || p.Seq > uint64(cp.Size) {
		return nil, fmt.Errorf("%w: sequence %d is outside the checkpoint's %d events", ErrProof, p.Seq, cp.Size)
	}
	leaf := p.Leaf()
	h := leaf.Hash()
	if h != p.LeafHash {
		return nil, fmt.Errorf("%w: the leaf hash is not the hash of the event at sequence %d: the event or the hash was altered", ErrProof, p.Seq)
	}
	if err := tlog.CheckRecord(p.Inclusion, cp.Size, cp.Root, int64(p.Seq)-1, h); err != nil {
		return nil, fmt.Errorf("%w: the inclusion proof of sequence %d does not lead to the checkpoint's root: the event or the proof was altered", ErrProof, p.Seq)
	}
	c := &Checked{Checkpoint: cp, Leaf: leaf, Warning: check(leaf)}
	c.Event, _ = domain.Decode(p.Payload)
	c.Event.Seq = p.Seq
	return c, nil
}

// Prove builds the proof of the stored message r, which the scan of l
// read, against the signed checkpoint. The checkpoint must cover r and
// match the stream; its signature is not checked here (Check does that).
func (l *Ledger) Prove(r stored.Raw, signed []byte) (*Proof, error) {
	cp, err := ParseSigned(signed)
	if err != nil {
		return nil, err
	}
	t := &l.Tree
	switch {
	case r.Seq < 1 || r.Seq > uint64(t.Size()):
		return nil, fmt.Errorf("sequence %d is not in the stream (it ends at %d)", r.Seq, t.Size())
	case r.Seq > uint64(cp.Size):
		return nil, fmt.Errorf("checkpoint %s does not cover sequence %d: sign a newer one", cp, r.Seq)
	case cp.Size > t.Size():
		return nil, fmt.Errorf("%w: checkpoint %s covers more events than the stream's %d: run \"ledger audit verify\"", ErrDiverged, cp, t.Size())
	}
	if root, _ := t.RootAt(cp.Size); root != cp.Root {
		return nil, fmt.Errorf("%w: the stream's first %d events do not match checkpoint %s: run \"ledger audit verify\"", ErrDiverged, cp.Size, cp)
	}
	leaf := LeafOf(r)
	h := leaf.Hash()
	if h != t.Leaf(int64(r.Seq)-1) {
		return nil, fmt.Errorf("message %d changed while it was read: try again", r.Seq)
	}
	incl, err := t.InclusionProof(int64(r.Seq)-1, cp.Size)
	if err != nil {
		return nil, fmt.Errorf("proving sequence %d: %w", r.Seq, err)
	}
	return &Proof{
		Format: ProofFormat, Seq: r.Seq, Subject: leaf.Subject, MsgID: leaf.MsgID, Type: leaf.Type,
		Payload: leaf.Data, LeafHash: h, TreeSize: cp.Size, Inclusion: incl,
		Checkpoint: string(normalizeNewlines(signed)),
	}, nil
}

// Prove scans the ledger and builds the proof of the message at seq
// against the signed checkpoint, as Ledger.Prove does.
func Prove(ctx context.Context, src Source, seq uint64, signed []byte) (*Proof, error) {
	var raw *stored.Raw
	l, err := Scan(ctx, src, ScanOptions{Visit: func(r stored.Raw) error {
		if r.Seq == seq {
			raw = &r
		}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	if raw == nil {
		if seq >= 1 && seq <= uint64(l.Tree.Size()) {
			return nil, fmt.Errorf("sequence %d is missing from the stream: the message was deleted; run \"ledger audit verify\"", seq)
		}
		return nil, fmt.Errorf("sequence %d is not in the stream (it ends at %d)", seq, l.Tree.Size())
	}
	return l.Prove(*raw, signed)
}
