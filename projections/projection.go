package projections

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Projection is a deterministic fold over the events of one product.
type Projection interface {
	// Apply folds one event. Events arrive in stream order (Seq
	// increasing); an event whose Seq is not above Position is a
	// redelivery and is ignored. Apply never panics and never fails: an
	// unreadable payload is skipped and counted (see Skipped).
	Apply(e domain.Event)
	// Reset returns the projection to its empty state.
	Reset()
	// Position is the Seq of the last event applied, 0 if none.
	Position() uint64
}

// ErrSnapshotVersion is wrapped by UnmarshalSnapshot when the snapshot was
// written by a different fold version: the caller rebuilds from history.
var ErrSnapshotVersion = errors.New("snapshot version mismatch")

// Citation is how the ledger cites a recorded decision wherever it shows
// one: the event at stream sequence Seq, of Type, taken by Actor in Role
// at At (business time), and why. DecisionRef, Decision and
// replay.Decision embed it and add what each needs, so their JSON has
// these fields, flattened, under the same names.
type Citation struct {
	Seq   uint64      `json:"seq"`
	Type  string      `json:"type"`
	Actor string      `json:"actor"`
	Role  domain.Role `json:"role"`
	At    time.Time   `json:"at"`
	Why   string      `json:"why"`
	// Source and OutsideAuthority are an imported decision's provenance
	// and its flag (domain.Event); absent on every other decision.
	Source           *domain.Source `json:"source,omitempty"`
	OutsideAuthority bool           `json:"outsideAuthority,omitempty"`
}

// CitationOf cites the decision that e records.
func CitationOf(e domain.Event) Citation {
	return Citation{Seq: e.Seq, Type: e.Data.EventType(), Actor: e.Actor.ID,
		Role: e.Actor.Role, At: e.OccurredAt, Why: e.Why,
		Source: e.Source, OutsideAuthority: e.OutsideAuthority}
}

// DecisionRef is the short form of a decision as an item carries it: the
// last decision about a backlog or roadmap item.
type DecisionRef struct {
	Citation
	// Overrides lists the items a rank decision jumped over although their
	// score, in the same framework, was higher.
	Overrides []Override `json:"overrides,omitempty"`
}

// Override is an item that a rank decision put below the ranked item
// although its latest score was higher.
type Override struct {
	ID        string  `json:"id"`
	Framework string  `json:"framework"`
	Score     float64 `json:"score"`
}

func refOf(e domain.Event) DecisionRef { return DecisionRef{Citation: CitationOf(e)} }

func (d DecisionRef) clone() DecisionRef {
	d.Overrides = cloneSlice(d.Overrides)
	return d
}

// cursor is the bookkeeping every projection shares: where it stands in
// the stream and what it could not read.
type cursor struct {
	Pos          uint64 `json:"position"`
	Skipped      int    `json:"skipped,omitempty"`
	FirstSkipped uint64 `json:"firstSkipped,omitempty"`
	// Quarantined counts the events the validating fold refused.
	Quarantined      int    `json:"quarantined,omitempty"`
	FirstQuarantined uint64 `json:"firstQuarantined,omitempty"`
}

// admit advances the cursor over e and reports whether e should be folded:
// not for a redelivered event (Seq not above the position) nor for a
// payload this version cannot read, which is counted instead.
func (c *cursor) admit(e domain.Event) bool {
	if e.Seq != 0 && e.Seq <= c.Pos {
		return false
	}
	if e.Seq > c.Pos {
		c.Pos = e.Seq
	}
	if q, ok := e.Data.(domain.Quarantined); ok {
		if c.Quarantined == 0 {
			c.FirstQuarantined = e.Seq
		}
		c.Quarantined++
		if q.Original == nil {
			// Quarantined because this version cannot read it.
			c.skip(e.Seq)
		}
		return false
	}
	if !domain.Known(e.Data) {
		c.skip(e.Seq)
		return false
	}
	return true
}

func (c *cursor) skip(seq uint64) {
	if c.Skipped == 0 {
		c.FirstSkipped = seq
	}
	c.Skipped++
}

// snapshot is the envelope of every snapshot: the fold version and the
// state it wrote.
type snapshot struct {
	Version string          `json:"version"`
	State   json.RawMessage `json:"state"`
}

// marshalSnapshot writes the envelope around the state in one pass: the
// state is marshalled once and the envelope written around it, the bytes
// json.Marshal of snapshot{version, state} gives, without compacting and
// copying the state a second time.
func marshalSnapshot(version string, state any) ([]byte, error) {
	b, err := json.Marshal(state)
	if err != nil {
		return nil, fmt.Errorf("marshal %s snapshot: %w", version, err)
	}
	return envelope(len(b), "version", version, "state", b), nil
}

// envelope writes a JSON object of one string field and then raw fields
// (name, value pairs of already compact JSON), in that order: the bytes
// json.Marshal gives for a struct of a string and json.RawMessage fields
// holding compact JSON, in one pass. size is a hint of the raw bytes.
func envelope(size int, name, value string, raw ...any) []byte {
	v, _ := json.Marshal(value) // a string always marshals
	out := make([]byte, 0, size+len(v)+len(name)+64)
	out = append(out, '{', '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	out = append(out, v...)
	for i := 0; i+1 < len(raw); i += 2 {
		out = append(out, ',', '"')
		out = append(out, raw[i].(string)...)
		out = append(out, '"', ':')
		out = append(out, raw[i+1].([]byte)...)
	}
	return append(out, '}')
}

// unmarshalSnapshot reads a snapshot of version into state, a pointer to a
// fresh value. It reads the envelope and the state in one pass; only when
// that fails, or the version differs, does it read the envelope first
// (into a fresh value, so state is only ever set whole), to report a
// snapshot of another version as ErrSnapshotVersion whatever its state.
func unmarshalSnapshot(version string, b []byte, state any) error {
	one := struct {
		Version string `json:"version"`
		State   any    `json:"state"`
	}{State: state}
	if err := json.Unmarshal(b, &one); err == nil && one.Version == version {
		return nil
	}
	fresh := reflect.New(reflect.TypeOf(state).Elem())
	var s snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("read %s snapshot: %w", version, err)
	}
	if s.Version != version {
		return fmt.Errorf("snapshot written by %q, this fold is %q; rebuild from history: %w",
			s.Version, version, ErrSnapshotVersion)
	}
	if err := json.Unmarshal(s.State, fresh.Interface()); err != nil {
		return fmt.Errorf("read %s snapshot state: %w", version, err)
	}
	reflect.ValueOf(state).Elem().Set(fresh.Elem())
	return nil
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func timePtr(t time.Time) *time.Time { return &t }
