package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"
)

// SchemaV1 is the schema version of every event in the v1 catalogue.
const SchemaV1 = 1

// AggregateKind names the kind of aggregate an event belongs to; it is also
// the third token of the event's subject.
type AggregateKind string

// The aggregate kinds.
const (
	KindProduct AggregateKind = "product"
	KindRoadmap AggregateKind = "roadmap"
	KindItem    AggregateKind = "item"
	KindRequest AggregateKind = "request"
)

// Aggregate identifies the aggregate an event belongs to.
type Aggregate struct {
	Kind AggregateKind `json:"kind"`
	ID   string        `json:"id"`
}

// Actor is who decided, and the role they decided in.
type Actor struct {
	ID   string `json:"id"`
	Role Role   `json:"role,omitempty"`
}

// ReasonCode classifies why a request was rejected.
type ReasonCode string

// The reason codes of the domain brief.
const (
	ReasonOutOfScope          ReasonCode = "out-of-scope"
	ReasonLowValue            ReasonCode = "low-value"
	ReasonDuplicate           ReasonCode = "duplicate"
	ReasonNotFeasible         ReasonCode = "not-feasible"
	ReasonConflictsWithVision ReasonCode = "conflicts-with-vision"
	ReasonOther               ReasonCode = "other"
)

// ReasonCodes lists every reason code.
var ReasonCodes = []ReasonCode{ReasonOutOfScope, ReasonLowValue, ReasonDuplicate,
	ReasonNotFeasible, ReasonConflictsWithVision, ReasonOther}

// Event is one immutable fact in the ledger. Its JSON form is the wire
// envelope (pinned by golden files); Seq is the stream sequence, known only
// once the event has been stored and never part of the envelope.
type Event struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Schema     int        `json:"schema"`
	Product    string     `json:"product"`
	Aggregate  Aggregate  `json:"aggregate"`
	Actor      Actor      `json:"actor"`
	OccurredAt time.Time  `json:"occurredAt"`
	Why        string     `json:"why,omitempty"`
	Reason     ReasonCode `json:"reason,omitempty"`
	Data       Payload    `json:"data"`
	CommandID  string     `json:"commandId"`
	// Source and OutsideAuthority are set on events imported from a
	// tracker only (see imported.go); absent from every other event, so
	// the v1 envelope is unchanged.
	Source           *Source `json:"source,omitempty"`
	OutsideAuthority bool    `json:"outsideAuthority,omitempty"`
	// RelayedBy is who relayed the decision for the actor (Command's
	// RelayedBy); absent when the actor decided through a credential of
	// their own, so every earlier event reads the same.
	RelayedBy string `json:"relayedBy,omitempty"`

	Seq uint64 `json:"-"`
	// Stored is what the stream says about the event, when it was read
	// from one; never part of the envelope.
	Stored *Stored `json:"-"`
}

// Subject is the NATS subject the event is stored under:
// ledger.<product>.<aggregate-kind>.<id>. Ids are validated to be single
// subject tokens before any event is built.
func (e Event) Subject() string {
	return Subject(e.Product, e.Aggregate.Kind, e.Aggregate.ID)
}

// Subject builds ledger.<product>.<kind>.<id>.
func Subject(product string, kind AggregateKind, id string) string {
	return "ledger." + product + "." + string(kind) + "." + id
}

// ProductSubjects is the subject filter that matches every event of a product.
func ProductSubjects(product string) string { return "ledger." + product + ".>" }

// SubjectProduct is the product whose subjects (ProductSubjects) hold
// subject: the token after "ledger.", "" when subject is not on a
// product's subjects.
func SubjectProduct(subject string) string {
	rest, ok := strings.CutPrefix(subject, "ledger.")
	if !ok {
		return ""
	}
	p, _, ok := strings.Cut(rest, ".")
	if !ok {
		return "" // ledger.<product> alone is not on the product's subjects
	}
	return p
}

// Payload is the type-specific data of an event. Each v1 event type has
// one payload struct; EventType names it.
type Payload interface {
	EventType() string
}

// Unknown is the payload of an event this version cannot read: a type it
// does not know, a newer schema, or a message that is not a ledger event.
// Readers never fail on it: the validating fold quarantines it, with
// Reason, and the log lists it with its bytes.
type Unknown struct {
	Raw json.RawMessage `json:"-"`
	Err error           `json:"-"`
}

// EventType implements Payload.
func (Unknown) EventType() string { return "" }

// MarshalJSON writes the raw bytes back unchanged when they are JSON (the
// data of an envelope of a type this version does not know), null when
// they are not (bytes that are no envelope: the log gives them whole, in
// base64).
func (u Unknown) MarshalJSON() ([]byte, error) {
	if len(u.Raw) == 0 || !json.Valid(u.Raw) {
		return []byte("null"), nil
	}
	return u.Raw, nil
}

// Reason says why this version cannot read the event: what the bytes are
// and what is wrong with them. It is the one wording of every reader (the
// validating fold's quarantine, the log, the event stream, audit verify).
func (u Unknown) Reason() string {
	var r *unreadable
	if errors.As(u.Err, &r) {
		return r.reason
	}
	if u.Err != nil {
		return "this version cannot read it: " + u.Err.Error()
	}
	return "this version cannot read it"
}

// ErrUnknownEvent is wrapped by Decode's error for an event that this
// version cannot read; the returned Event still carries what was readable.
var ErrUnknownEvent = errors.New("unknown event")

// unreadable is Decode's error for bytes this version cannot read: it
// matches ErrUnknownEvent and carries the reason readers show.
type unreadable struct {
	reason string
	cause  error
}

func (u *unreadable) Error() string        { return ErrUnknownEvent.Error() + ": " + u.reason }
func (u *unreadable) Is(target error) bool { return target == ErrUnknownEvent }
func (u *unreadable) Unwrap() error        { return u.cause }

// notEnvelope says what bytes that do not decode as an envelope are.
func notEnvelope(b []byte, err error) *unreadable {
	switch {
	case !utf8.Valid(b) || bytes.ContainsFunc(b, func(r rune) bool { return r < ' ' && r != '\n' && r != '\r' && r != '\t' }):
		return &unreadable{reason: fmt.Sprintf("not a ledger event: %d bytes of binary data, not JSON", len(b)), cause: err}
	case !json.Valid(b):
		return &unreadable{reason: fmt.Sprintf("not a ledger event: %d bytes of text that is not JSON", len(b)), cause: err}
	}
	return &unreadable{reason: fmt.Sprintf("not a ledger event: JSON that is not an event envelope (%v)", err), cause: err}
}

// Decode reads an envelope. For an unknown type or schema it returns the
// envelope with an Unknown payload and an error wrapping ErrUnknownEvent;
// for bytes that are not an envelope at all, an Event with only Data set.
// Either way the Unknown payload's Reason says what is wrong.
func Decode(b []byte) (Event, error) {
	var w struct {
		Event
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		u := notEnvelope(b, err)
		return Event{Data: Unknown{Raw: b, Err: u}}, u
	}
	e := w.Event
	if e.Type == "" {
		u := &unreadable{reason: "not a ledger event: JSON without an event type"}
		e.Data = Unknown{Raw: w.Data, Err: u}
		return e, u
	}
	spec, ok := catalogue.byType[e.Type]
	if !ok {
		u := &unreadable{reason: fmt.Sprintf("event type %q (schema %d) is not one this version reads", e.Type, e.Schema)}
		e.Data = Unknown{Raw: w.Data, Err: u}
		return e, u
	}
	if up, old := spec.upcast[e.Schema]; old {
		p, err := up(w.Data)
		if err != nil {
			u := &unreadable{reason: fmt.Sprintf("its %s schema %d data does not decode: %v", e.Type, e.Schema, err), cause: err}
			e.Data = Unknown{Raw: w.Data, Err: u}
			return e, u
		}
		e.Schema, e.Data = spec.Schema, p
		return e, nil
	}
	if e.Schema != spec.Schema {
		u := &unreadable{reason: fmt.Sprintf("%s schema %d is not one this version reads (it reads schema %d)", e.Type, e.Schema, spec.Schema)}
		e.Data = Unknown{Raw: w.Data, Err: u}
		return e, u
	}
	p := spec.newPayload()
	if len(w.Data) > 0 && string(w.Data) != "null" {
		if err := json.Unmarshal(w.Data, p); err != nil {
			u := &unreadable{reason: fmt.Sprintf("its %s data does not decode: %v", e.Type, err), cause: err}
			e.Data = Unknown{Raw: w.Data, Err: u}
			return e, u
		}
	}
	e.Data = spec.deref(p)
	return e, nil
}

// DecodeAs is Decode for an event whose type the caller already knows
// (the Ledger-Type header of a stored message): it reads the envelope and
// the payload in one pass over b, where Decode reads the payload's bytes
// twice. Its result is Decode's: when typ is not a v1 type, or b is not
// an envelope of that type and schema with a payload of that shape, it
// returns what Decode returns.
func DecodeAs(b []byte, typ string) (Event, error) {
	if spec, ok := catalogue.byType[typ]; ok {
		if e, ok := spec.typed(b); ok && e.Type == typ && e.Schema == SchemaV1 {
			return e, nil
		}
	}
	return Decode(b)
}

func decodeTyped[T Payload](b []byte) (Event, bool) {
	var w struct {
		Event
		Data T `json:"data"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return Event{}, false
	}
	e := w.Event
	e.Data = w.Data
	return e, true
}

// Encode writes the wire envelope.
func Encode(e Event) ([]byte, error) {
	if e.Data == nil {
		return nil, fmt.Errorf("event %s has no data", e.ID)
	}
	return json.Marshal(e)
}

// EventID derives the id of the i-th event of a command: a ULID whose time
// is the event's business time and whose entropy is a hash of the product
// and command id. A retried command therefore yields the same ids, which
// JetStream's duplicate window and the ledger's command index both
// recognise, while the same command id in another product (the demo's,
// say) yields other ids: event ids are unique across the stream.
func EventID(product, commandID string, at time.Time, i int) string {
	// The bytes hashed are "<product>\x00<commandID>\x00<i>", built
	// without fmt: the validating fold derives an id for every event it
	// reads.
	b := make([]byte, 0, len(product)+len(commandID)+24)
	b = append(append(append(append(b, product...), 0), commandID...), 0)
	h := sha256.Sum256(strconv.AppendInt(b, int64(i), 10))
	var id ulid.ULID
	ms := at.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	_ = id.SetTime(uint64(ms))
	_ = id.SetEntropy(h[:10])
	return id.String()
}
