package projections

import (
	"encoding/json"
	"strings"

	"github.com/decisionledger/ledger/domain"
)

// MaxListedQuarantine bounds the quarantined events a projection lists by
// sequence; all of them are counted.
const MaxListedQuarantine = 100

// Quarantine is an event the validating fold refused, as views list it.
type Quarantine struct {
	Seq     uint64 `json:"seq"`
	Type    string `json:"type"`
	Subject string `json:"subject"`
	Actor   string `json:"actor"`
	Reason  string `json:"reason"`
}

// Gate is the validating fold in front of a Set or Views: every event
// passes domain.Gate, which decides it again by the rules of its moment,
// and only what it admits reaches the members; a quarantined event reaches
// them with a domain.Quarantined payload, which they count and never fold.
// The zero value is ready; it learns the product from the first event.
type Gate struct {
	g     *domain.Gate
	count int
	list  []Quarantine
}

// NewGate returns an empty gate.
func NewGate() *Gate { return &Gate{} }

// Admit returns the events to fold now, in order (none while a
// decision's atomic batch is still arriving).
func (g *Gate) Admit(e domain.Event) []domain.Event {
	if g.g == nil {
		g.g = domain.NewReadGate(productOf(e))
	}
	out := g.g.Admit(e)
	g.note(out)
	return out
}

// note counts and lists the quarantined events among evs.
func (g *Gate) note(evs []domain.Event) {
	for _, a := range evs {
		reason, q := domain.QuarantineReason(a)
		if !q {
			continue
		}
		g.count++
		if len(g.list) < MaxListedQuarantine {
			subject := a.Subject()
			if a.Stored != nil && a.Stored.Subject != "" {
				subject = a.Stored.Subject
			}
			g.list = append(g.list, Quarantine{Seq: a.Seq, Type: a.Type, Subject: subject, Actor: a.Actor.ID, Reason: reason})
		}
	}
}

// productOf is the product an event was stored under.
func productOf(e domain.Event) string {
	if e.Stored != nil {
		if parts := strings.Split(e.Stored.Subject, "."); len(parts) == 4 && parts[0] == "ledger" {
			return parts[1]
		}
	}
	return e.Product
}

// Flush ends a read that reached the end of the stream (see
// domain.Gate.Flush) and returns the events it releases.
func (g *Gate) Flush() []domain.Event {
	if g.g == nil {
		return nil
	}
	out := g.g.Flush()
	g.note(out)
	return out
}

// Quarantined returns how many events the fold refused, and the first
// MaxListedQuarantine of them.
func (g *Gate) Quarantined() (int, []Quarantine) {
	return g.count, append([]Quarantine(nil), g.list...)
}

// Pending reports whether the gate holds the first events of a decision
// whose other events have not been read yet.
func (g *Gate) Pending() bool { return g.g != nil && g.g.Pending() > 0 }

// Gaps returns the holes found in the product's history.
func (g *Gate) Gaps() []domain.Gap {
	if g.g == nil {
		return nil
	}
	return append([]domain.Gap(nil), g.g.Gaps()...)
}

type gateSnapshot struct {
	Product     string          `json:"product,omitempty"`
	Gate        json.RawMessage `json:"gate,omitempty"`
	Count       int             `json:"count,omitempty"`
	Quarantined []Quarantine    `json:"quarantined,omitempty"`
}

// MarshalSnapshot writes the gate's state.
func (g *Gate) MarshalSnapshot() ([]byte, error) {
	s := gateSnapshot{Count: g.count, Quarantined: g.list}
	if g.g != nil {
		b, err := g.g.MarshalSnapshot()
		if err != nil {
			return nil, err
		}
		s.Product, s.Gate = g.g.State().Product.ID, b
	}
	return json.Marshal(s)
}

// UnmarshalSnapshot replaces the gate's state; on error it is unchanged.
func (g *Gate) UnmarshalSnapshot(data []byte) error {
	var s gateSnapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	n := Gate{count: s.Count, list: s.Quarantined}
	if len(s.Gate) > 0 {
		dg, err := domain.RestoreGate(s.Product, s.Gate)
		if err != nil {
			return err
		}
		n.g = dg
	}
	*g = n
	return nil
}
