package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Stored is what the stream says about an event beside its envelope: the
// subject it was stored under, the stream's own timestamp, the exact
// bytes, and the headers the ledger writes (its signature, and the
// product's previous sequence as the writer saw it). The event store fills
// it in when it reads; it is never part of the envelope.
type Stored struct {
	Subject string
	Time    time.Time
	Data    []byte
	// Sig is the ledger's signature of SignedMessage(Subject, Data); nil
	// when the event carries none. SigState says whether the reader could
	// check it against the ledger's verifier key, and how that went.
	Sig      []byte
	SigState SigState
	// Prev is the sequence of the product's previous event when the writer
	// appended this one; HasPrev is false for events written before the
	// ledger recorded it.
	Prev    uint64
	HasPrev bool
}

// SignedMessage is what the ledger signs for an event: a domain separator,
// the subject and the exact stored bytes, so that a signature can be moved
// neither to another subject nor to other bytes.
func SignedMessage(subject string, data []byte) []byte {
	msg := make([]byte, 0, len(signPrefix)+len(subject)+1+len(data))
	msg = append(msg, signPrefix...)
	msg = append(msg, subject...)
	msg = append(msg, '\n')
	return append(msg, data...)
}

const signPrefix = "decisionledger event v1\n"

// SigState is what a reader found of an event's signature.
type SigState int8

// The signature states.
const (
	// SigNone: the event carries no signature.
	SigNone SigState = iota
	// SigUnchecked: it carries one, but the reader has no verifier key.
	SigUnchecked
	// SigValid: the ledger's verifier key accepts it.
	SigValid
	// SigInvalid: the verifier key rejects it, or it cannot be read.
	SigInvalid
)

// Quarantined replaces the payload of an event that no rule allowed: it
// stays in the stream and in the log, with its reason, and no projection
// or write model applies it.
type Quarantined struct {
	Reason string
	// Original is the payload as read, nil when it could not be read.
	Original Payload
}

// EventType implements Payload; a quarantined event has no type of its own.
func (Quarantined) EventType() string { return "" }

// MarshalJSON writes the original payload, so that the log shows the
// event as it is stored.
func (q Quarantined) MarshalJSON() ([]byte, error) {
	if q.Original == nil {
		return []byte("null"), nil
	}
	return json.Marshal(q.Original)
}

// QuarantineReason returns why an event was quarantined, and whether it was.
func QuarantineReason(e Event) (string, bool) {
	q, ok := e.Data.(Quarantined)
	return q.Reason, ok
}

// Gap is a hole in a product's history: the event at Seq says the
// product's previous event was at Prev, but the last one read was at
// After. The events in between were deleted or lost.
type Gap struct {
	After uint64 `json:"after"`
	Prev  uint64 `json:"prev"`
	Seq   uint64 `json:"seq"`
}

// String says what is missing.
func (g Gap) String() string {
	return fmt.Sprintf("the product's history has a gap: the event at sequence %d follows sequence %d, but the last event read was at %d: events up to %d are missing (deleted or lost)", g.Seq, g.Prev, g.After, g.Prev)
}

// Gate is the validating fold's door: every event read from the stream
// passes it before a write model or projection applies it. It re-checks
// each event against the rules of its moment, on the state the events
// before it built: the subject, product and aggregate agree; the
// signature is valid where the ledger signs; business time neither goes
// backwards nor runs ahead of the stream's own clock; and the decision is
// exactly what the rules decide for that actor at that time (Decide, run
// again on the event's own decision). An event that fails is quarantined:
// returned with a Quarantined payload, never applied. The same stream
// gives the same verdicts everywhere. Not safe for concurrent use.
type Gate struct {
	st *State
	// pending holds the first events of a decision whose other events
	// (the rest of its atomic batch) have not been read yet; need is how
	// many the decision has.
	pending []Event
	need    int
	gaps    []Gap
	// runCmd and runLen are the command id of the last event folded and
	// how many events in a row carried it.
	runCmd string
	runLen int
}

// NewGate returns a gate that folds what it admits into st. The reader
// checks signatures (Stored.SigState); once a product has a validly
// signed event, every later event must be signed too.
func NewGate(st *State) *Gate {
	return &Gate{st: st}
}

// State is the state the gate folds into.
func (g *Gate) State() *State { return g.st }

// Gaps returns the holes found in the product's history, in order.
func (g *Gate) Gaps() []Gap { return g.gaps }

// Pending reports how many events of an incomplete decision wait for the
// rest of it.
func (g *Gate) Pending() int { return len(g.pending) }

// Trust folds an event this process decided and stored itself, without
// checking it again.
func (g *Gate) Trust(e Event) {
	if e.Stored != nil && e.Stored.SigState == SigValid {
		g.st.Signed = true
	}
	g.apply(e)
}

// Admit takes the next event of the product in stream order and returns
// the events to apply now, in order: admitted ones as they are,
// quarantined ones (events this version cannot read among them) with a
// Quarantined payload. It returns none while a decision's events are
// still arriving. Every returned event has been folded into the gate's
// state (quarantined ones only advance its position).
func (g *Gate) Admit(e Event) []Event {
	if e.Seq != 0 && (e.Seq <= g.st.LastSeq || len(g.pending) > 0 && e.Seq <= g.pending[len(g.pending)-1].Seq) {
		return nil // redelivered
	}
	g.checkChain(e)
	if reason := g.checkEnvelope(e); reason != "" {
		out := g.flushIncomplete()
		return append(out, g.quarantine(e, reason))
	}
	if seq, dup := g.duplicateOf(e); dup {
		out := g.flushIncomplete()
		return append(out, g.quarantine(e, fmt.Sprintf("duplicate of the event at sequence %d (same event id)", seq)))
	}
	if len(g.pending) > 0 {
		if e.CommandID == g.pending[0].CommandID {
			g.pending = append(g.pending, e)
			if len(g.pending) < g.need {
				return nil
			}
			group := g.pending
			g.pending, g.need = nil, 0
			return g.decideGroup(group)
		}
		out := g.flushIncomplete()
		return append(out, g.Admit(e)...)
	}
	return g.decideGroup([]Event{e})
}

// checkChain records a gap when the writer's previous sequence for the
// product lies beyond the last event read.
func (g *Gate) checkChain(e Event) {
	if e.Stored == nil || !e.Stored.HasPrev {
		return
	}
	last := g.st.LastSeq
	if len(g.pending) > 0 {
		last = g.pending[len(g.pending)-1].Seq
	}
	if e.Stored.Prev > last {
		g.gaps = append(g.gaps, Gap{After: last, Prev: e.Stored.Prev, Seq: e.Seq})
	}
}

// duplicateOf returns the sequence of an event already read with e's id:
// one admitted at the product's latest business time (State.DuplicateOf),
// or one of the decision still arriving. An event id names one event of
// the stream; a second message with it (published again byte for byte,
// or forged with a real event's id) is never believed twice.
func (g *Gate) duplicateOf(e Event) (uint64, bool) {
	if seq, ok := g.st.DuplicateOf(e); ok {
		return seq, true
	}
	for _, p := range g.pending {
		if p.ID == e.ID && e.ID != "" {
			return p.Seq, true
		}
	}
	return 0, false
}

// checkEnvelope checks what one event says about itself (Screen), and
// its signature against what the product's history requires.
func (g *Gate) checkEnvelope(e Event) string {
	if reason := Screen(e, g.st.Product.ID); reason != "" {
		return reason
	}
	sig := SigNone
	if e.Stored != nil {
		sig = e.Stored.SigState
	}
	switch {
	case sig == SigValid:
		g.st.Signed = true
	case sig == SigNone && g.st.Signed:
		return "it is not signed, though the ledger signs every event of this product"
	}
	return ""
}

func (k AggregateKind) valid() bool {
	return k == KindProduct || k == KindRoadmap || k == KindItem || k == KindRequest
}

// decideGroup runs the rules again for the decision that starts the group
// and admits its events when they are exactly what the rules decide.
func (g *Gate) decideGroup(group []Event) []Event {
	first := group[0]
	if first.Source != nil {
		return append(g.observed(first), g.readmit(group[1:])...)
	}
	c, ok := commandOf(first, group)
	if !ok {
		return append([]Event{g.quarantine(first, fmt.Sprintf("a %s cannot start a decision", first.Type))}, g.readmit(group[1:])...)
	}
	want, err := decideAgain(g.st, c)
	if err != nil {
		return append([]Event{g.quarantine(first, "no rule allowed it: "+err.Error())}, g.readmit(group[1:])...)
	}
	if len(want) > len(group) {
		// The rest of the atomic batch follows.
		g.pending, g.need = group, len(want)
		return nil
	}
	if len(want) < len(group) {
		rest := group[len(want):]
		return append(g.decideGroup(group[:len(want)]), g.readmit(rest)...)
	}
	// A decision's events are numbered from its first; a decision the
	// rules see as two (a PO handover: a revocation, then an assignment)
	// goes on numbering where the first left off.
	offset := 0
	if g.runCmd == first.CommandID {
		offset = g.runLen
	}
	for i := range want {
		want[i].ID = EventID(want[i].Product, want[i].CommandID, want[i].OccurredAt, offset+i)
		if reason := differs(want[i], group[i]); reason != "" {
			return append([]Event{g.quarantine(first, "it is not what the rules decide: "+reason)}, g.readmit(group[1:])...)
		}
	}
	for _, e := range group {
		g.apply(e)
	}
	return group
}

// apply folds an admitted or quarantined event and counts the run of
// events that share its command id.
func (g *Gate) apply(e Event) {
	if e.CommandID != "" && e.CommandID == g.runCmd {
		g.runLen++
	} else {
		g.runCmd, g.runLen = e.CommandID, 1
	}
	g.st.Apply(e)
}

// observed checks an event imported from a tracker: not by Decide (the
// decision was taken in the tracker, by whoever took it) but by Observe,
// which keeps the actor, names the role they really held, flags a decision
// outside their authority and refuses anything that would grant a role. The
// stored event must be exactly what Observe makes of it. Where the ledger
// signs, an imported event needs the ledger's signature like any other.
func (g *Gate) observed(e Event) []Event {
	want, err := Observe(g.st, e)
	if err != nil {
		return []Event{g.quarantine(e, "no rule allowed this imported event: "+err.Error())}
	}
	if reason := differs(want, e); reason != "" {
		return []Event{g.quarantine(e, "it is not what the import rules make of it: "+reason)}
	}
	if want.OutsideAuthority != e.OutsideAuthority {
		return []Event{g.quarantine(e, fmt.Sprintf("it says outsideAuthority %v, the recorded roles say %v", e.OutsideAuthority, want.OutsideAuthority))}
	}
	g.apply(e)
	return []Event{e}
}

// readmit passes events again through the gate, one by one.
func (g *Gate) readmit(evs []Event) []Event {
	var out []Event
	for _, e := range evs {
		out = append(out, g.Admit(e)...)
	}
	return out
}

// Flush ends a read that reached the end of the stream: a decision whose
// other events never came (they cannot be still on their way, an atomic
// batch is stored whole) has its first event quarantined and the rest
// admitted again. A read that stops at a position of its own choosing
// does not flush.
func (g *Gate) Flush() []Event { return g.flushIncomplete() }

// flushIncomplete quarantines the first event of a decision whose other
// events never came, and readmits the rest.
func (g *Gate) flushIncomplete() []Event {
	if len(g.pending) == 0 {
		return nil
	}
	group := g.pending
	g.pending, g.need = nil, 0
	out := []Event{g.quarantine(group[0], fmt.Sprintf("its decision has more events than the %d stored with it", len(group)))}
	return append(out, g.readmit(group[1:])...)
}

func (g *Gate) quarantine(e Event, reason string) Event {
	q := Quarantined{Reason: reason}
	if _, unknown := e.Data.(Unknown); !unknown {
		q.Original = e.Data
	}
	e.Data = q
	g.apply(e)
	return e
}

// decideAgain runs Decide for a command rebuilt from stored events, with
// the event's own time as now (the future is checked against the
// stream's clock instead), without the size check the stored bytes
// already passed.
func decideAgain(s *State, c Command) ([]Event, error) {
	return decideCommand(s, c, c.At)
}

// commandOf rebuilds the command whose decision starts with first, with
// the catalogue entry of its type; the rest of its group supplies what
// only a later event records (the title and roadmap of an item a request
// was accepted into). A type no action answers (one only an import
// records) starts no decision.
func commandOf(first Event, group []Event) (Command, bool) {
	s := specOf(first.Data)
	if s == nil || s.command == nil {
		return Command{}, false
	}
	c := Command{ID: first.CommandID, Product: first.Product, Actor: first.Actor.ID, At: first.OccurredAt, Why: first.Why, RelayedBy: first.RelayedBy}
	c.Action = s.command(first, group)
	return c, true
}

// differs says how a stored event differs from the one the rules decide,
// or "" when it does not.
func differs(want, got Event) string {
	switch {
	case want.Type != got.Type:
		return fmt.Sprintf("a %s, not a %s", want.Type, got.Type)
	case want.ID != got.ID:
		return fmt.Sprintf("event id %s, not %s", want.ID, got.ID)
	case want.Schema != got.Schema:
		return fmt.Sprintf("schema %d, not %d", want.Schema, got.Schema)
	case want.Aggregate != got.Aggregate:
		return fmt.Sprintf("about %s %s, not %s %s", want.Aggregate.Kind, want.Aggregate.ID, got.Aggregate.Kind, got.Aggregate.ID)
	case want.Actor != got.Actor:
		return fmt.Sprintf("%s acts as %q, not %q", got.Actor.ID, want.Actor.Role, got.Actor.Role)
	case !want.OccurredAt.Equal(got.OccurredAt):
		return fmt.Sprintf("dated %s, not %s", want.OccurredAt.Format(time.RFC3339Nano), got.OccurredAt.Format(time.RFC3339Nano))
	case want.Why != got.Why:
		return "another why"
	case want.Reason != got.Reason:
		return fmt.Sprintf("reason %q, not %q", want.Reason, got.Reason)
	case want.CommandID != got.CommandID:
		return "another command id"
	case want.RelayedBy != got.RelayedBy:
		return fmt.Sprintf("relayed by %q, not %q", want.RelayedBy, got.RelayedBy)
	}
	if reflect.DeepEqual(want.Data, got.Data) {
		return "" // the usual case, at a fraction of encoding both
	}
	// Values that differ in memory may still be the same data on the
	// wire (a nil and an empty list, one instant in two locations): the
	// encoding decides.
	a, err1 := json.Marshal(want.Data)
	b, err2 := json.Marshal(got.Data)
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		return fmt.Sprintf("data %s, not %s", a, b)
	}
	return ""
}

// GateVersion names the encoding of a Gate snapshot; it embeds the
// write-state version it contains. gate/2: events this version cannot read
// are quarantined, no longer passed on.
const GateVersion = "gate/2+" + StateVersion

// gateSnapshot is a Gate's state: the state it folds (without command ids,
// which a gate does not need), the events of a decision still arriving,
// and the gaps found so far.
type gateSnapshot struct {
	Version string            `json:"version"`
	State   json.RawMessage   `json:"state"`
	Pending []json.RawMessage `json:"pending,omitempty"`
	Seqs    []uint64          `json:"seqs,omitempty"`
	Need    int               `json:"need,omitempty"`
	RunCmd  string            `json:"runCmd,omitempty"`
	RunLen  int               `json:"runLen,omitempty"`
	Gaps    []Gap             `json:"gaps,omitempty"`
}

// gateCommandLimit is how many command ids a read model's gate keeps: the
// rules it runs again never look a command id up.
const gateCommandLimit = 1

// NewReadGate returns a gate for a read model of the product: it keeps no
// command ids, so that its snapshot stays small.
func NewReadGate(product string) *Gate {
	st := NewState(product)
	st.SetCommandLimit(gateCommandLimit)
	return NewGate(st)
}

// MarshalSnapshot writes the gate's state, deterministically.
func (g *Gate) MarshalSnapshot() ([]byte, error) {
	st, err := g.st.MarshalSnapshot()
	if err != nil {
		return nil, err
	}
	s := gateSnapshot{Version: GateVersion, State: st, Need: g.need, RunCmd: g.runCmd, RunLen: g.runLen, Gaps: g.gaps}
	for _, e := range g.pending {
		b, err := Encode(e)
		if err != nil {
			return nil, err
		}
		s.Pending = append(s.Pending, b)
		s.Seqs = append(s.Seqs, e.Seq)
	}
	return json.Marshal(s)
}

// RestoreGate reads a gate snapshot of a read model of the product.
func RestoreGate(product string, data []byte) (*Gate, error) {
	var s gateSnapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("gate snapshot does not decode: %w", err)
	}
	if s.Version != GateVersion {
		return nil, fmt.Errorf("gate snapshot has version %q, this ledger reads %q", s.Version, GateVersion)
	}
	st, err := RestoreState(product, s.State, gateCommandLimit)
	if err != nil {
		return nil, err
	}
	g := &Gate{st: st, need: s.Need, runCmd: s.RunCmd, runLen: s.RunLen, gaps: s.Gaps}
	if len(s.Seqs) != len(s.Pending) {
		return nil, fmt.Errorf("gate snapshot is inconsistent: %d pending events, %d sequences", len(s.Pending), len(s.Seqs))
	}
	for i, b := range s.Pending {
		e, err := Decode(b)
		if err != nil {
			return nil, fmt.Errorf("gate snapshot: pending event: %w", err)
		}
		e.Seq = s.Seqs[i]
		g.pending = append(g.pending, e)
	}
	return g, nil
}
