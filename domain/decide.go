package domain

import (
	"fmt"
	"strings"
	"time"
)

// MaxClockSkew is how far into the future a decision's time may lie
// before it is refused: clocks differ a little, decisions are not
// recorded ahead of time.
const MaxClockSkew = time.Minute

// Decide turns a command into the events that record it, or refuses it
// with a *Error. It reads the state, never changes it, and reads no clock:
// now is the time to use when the command names none. All returned events
// belong to one product and are to be committed atomically.
func Decide(s *State, c Command, now time.Time) ([]Event, error) {
	evs, err := decideCommand(s, c, now)
	if err != nil {
		return nil, err
	}
	if err := checkSize(evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// decideCommand is Decide without the size check.
func decideCommand(s *State, c Command, now time.Time) ([]Event, error) {
	if c.Action == nil {
		return nil, invalid("action", "no decision given")
	}
	if err := CheckID("product", c.Product); err != nil {
		return nil, err
	}
	if err := CheckID("actor", c.Actor); err != nil {
		return nil, fmt.Errorf("who decides? name the actor: %w", err)
	}
	if c.ID == "" {
		return nil, invalid("commandId", "commandId is required")
	}
	if c.RelayedBy != "" {
		if err := CheckID("relayedBy", c.RelayedBy); err != nil {
			return nil, err
		}
	}
	if err := checkText("why", c.Why, false, MaxTextLen); err != nil {
		return nil, err
	}
	if !c.At.IsZero() && (c.At.Year() < MinYear || c.At.Year() > MaxYear) {
		return nil, invalid("at", "at %s is not a plausible time for a decision: give a year from %d to %d", c.At.UTC().Format(time.RFC3339), MinYear, MaxYear)
	}
	at, err := decisionTime(s, c.At, now)
	if err != nil {
		return nil, err
	}
	if _, ok := c.Action.(CreateProduct); !ok && !s.Product.Exists {
		return nil, notFound("product %q does not exist: create it with \"ledger product create %s --name ... --pm ... --po ...\"", c.Product, c.Product)
	}
	return (&decision{s: s, c: c, at: at}).decide()
}

// decide takes the decision with the decider of the catalogue entry
// that answers the action.
func (d *decision) decide() ([]Event, error) {
	if s := catalogue.deciders[d.c.Action.Verb()]; s != nil {
		return s.decide(d, d.c.Action)
	}
	return nil, invalid("action", "unknown decision %T", d.c.Action)
}

// decisionTime applies the business-time rules: default now, not in the
// future, never before the product's latest event (so that "as of T" is a
// prefix of the product's events).
func decisionTime(s *State, at, now time.Time) (time.Time, error) {
	now = now.UTC().Truncate(time.Millisecond)
	if at.IsZero() {
		at = now
		if at.Before(s.LastAt) {
			// The latest event was backdated into our future only by clock
			// skew between writers; keep the order rather than refuse.
			at = s.LastAt
		}
	}
	at = at.UTC().Truncate(time.Millisecond)
	if at.After(now.Add(MaxClockSkew)) {
		return time.Time{}, invalid("at", "at %s is in the future (now is %s): decisions are recorded when they are taken", at.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if at.Before(s.LastAt) {
		return time.Time{}, invalid("at", "at %s is earlier than the product's latest event (%s): within a product, decisions are recorded in time order", at.Format(time.RFC3339), s.LastAt.Format(time.RFC3339))
	}
	return at, nil
}

// decision carries what every decider needs: the state, the command and
// its resolved time.
type decision struct {
	s  *State
	c  Command
	at time.Time
	n  int // events built so far, for ids
}

// event builds the next event of the decision.
func (d *decision) event(kind AggregateKind, id string, role Role, data Payload) Event {
	e := Event{
		ID:         EventID(d.c.Product, d.c.ID, d.at, d.n),
		Type:       data.EventType(),
		Schema:     SchemaOf(data.EventType()),
		Product:    d.c.Product,
		Aggregate:  Aggregate{Kind: kind, ID: id},
		Actor:      Actor{ID: d.c.Actor, Role: role},
		OccurredAt: d.at,
		Why:        strings.TrimSpace(d.c.Why),
		Data:       data,
		CommandID:  d.c.ID,
		RelayedBy:  d.c.RelayedBy,
	}
	d.n++
	return e
}

// require checks the authority table: the actor must hold role now.
func (d *decision) require(role Role, what string) error {
	if d.s.Product.Has(d.c.Actor, role) {
		return nil
	}
	held := d.s.Product.RolesOf(d.c.Actor)
	holders := d.s.Product.Holders(role)
	msg := fmt.Sprintf("%s may not %s in product %q: only the %s (%s) may", d.c.Actor, what, d.c.Product, role.Title(), strings.Join(holders, ", "))
	if len(holders) == 0 {
		msg = fmt.Sprintf("%s may not %s in product %q: only a %s may, and the product has none", d.c.Actor, what, d.c.Product, role.Title())
	}
	if len(held) == 0 {
		msg += fmt.Sprintf("; %s holds no role in it", d.c.Actor)
	} else {
		msg += fmt.Sprintf("; %s acts as %s", d.c.Actor, listOf(held))
	}
	return unauthorized("%s", msg)
}

// idInUse refuses an id already used by another item, roadmap item or
// request of the product, so that "ledger why ID" is never ambiguous.
func (d *decision) idInUse(field, id string) error {
	if _, ok := d.s.Items[id]; ok {
		return wrongState("%s %q is already used by backlog item %q in product %q", field, id, id, d.c.Product)
	}
	if _, ok := d.s.Roadmap[id]; ok {
		return wrongState("%s %q is already used by roadmap item %q in product %q", field, id, id, d.c.Product)
	}
	if _, ok := d.s.Requests[id]; ok {
		return wrongState("%s %q is already used by request %q in product %q", field, id, id, d.c.Product)
	}
	if id == d.c.Product {
		return wrongState("%s %q is the product's own id; choose another", field, id)
	}
	return nil
}

func checkPosition(p Position, self string) error {
	switch p.Place {
	case PlaceTop, PlaceBottom:
		if p.Ref != "" {
			return invalid("position", "%s takes no item", p.Place)
		}
		return nil
	case PlaceAbove, PlaceBelow:
		if err := CheckID(string(p.Place), p.Ref); err != nil {
			return err
		}
		if p.Ref == self {
			return invalid(string(p.Place), "cannot rank %q %s itself", self, p.Place)
		}
		return nil
	case "":
		return invalid("position", "position is required: say where to (top, bottom, above an item or below an item)")
	}
	return invalid("position", "unknown placement %q: use top, bottom, above or below", p.Place)
}
