package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DecisionFilter selects decisions (events) of one product. It is the one
// definition of "this decision matches" that the decisions query and the
// offline audit check share, so that a bundle's claim "no matching
// decision was left out" means what the query means. Every field is
// optional; set fields combine with AND, and Types with OR among them.
//
// Overrides (a rank that jumped over a higher score) is not here: it
// depends on the whole backlog at the time, which only a projection
// knows.
type DecisionFilter struct {
	Product string   `json:"product"`
	Types   []string `json:"types,omitempty"` // full event type names
	Item    string   `json:"item,omitempty"`
	// Epic selects the epic itself and every item whose epic was Epic when
	// the decision was taken.
	Epic    string     `json:"epic,omitempty"`
	Roadmap string     `json:"roadmap,omitempty"`
	Request string     `json:"request,omitempty"`
	Actor   string     `json:"actor,omitempty"`
	Role    Role       `json:"role,omitempty"`
	Reason  ReasonCode `json:"reason,omitempty"`
	// From (included) and To (excluded) bound the business time.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// AsOfSeq and AsOfAt (both included) stop at a position: what the
	// ledger held then.
	AsOfSeq uint64    `json:"asOfSeq,omitempty"`
	AsOfAt  time.Time `json:"asOfAt,omitzero"`
}

// ExpandTypes turns type names as people write them (a short name such as
// "ranked" or "rejected", or an event type name, in any case) into event
// type names, sorted and without repeats. An unknown name is an invalid
// field error naming field.
func ExpandTypes(field string, names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		found := false
		for _, t := range EventTypes() {
			if strings.EqualFold(n, t) || strings.EqualFold(n, ShortType(t)) {
				out = append(out, t)
				found = true
			}
		}
		if !found {
			return nil, Invalid(field, "%s %q is not an event type: use a short name (%s) or a type name such as BacklogItemRanked",
				field, n, strings.Join(shortTypes(), ", "))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func shortTypes() []string {
	var out []string
	for _, t := range EventTypes() {
		out = append(out, ShortType(t))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Check refuses values that cannot match anything, naming the field.
func (f DecisionFilter) Check() error {
	if f.Role != "" && !f.Role.Valid() {
		return Invalid("role", "role %q is not a role: use pm, po, stakeholder or team", f.Role)
	}
	if f.Reason != "" && !ValidReason(f.Reason) {
		return Invalid("reason", "reason %q is not a reason code: use one of %s", f.Reason, listOf(ReasonCodes))
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return Invalid("from", "from %s is not before to %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	for field, id := range map[string]string{"item": f.Item, "epic": f.Epic, "roadmap": f.Roadmap, "request": f.Request} {
		if id != "" && !ValidID(id) {
			return Invalid(field, "%s %q is not an id", field, id)
		}
	}
	return nil
}

// Past reports whether e comes after what the filter can select: at or
// after To, or past the as-of position. In a product's stream order
// business time never goes backwards, so every later event is past too.
func (f DecisionFilter) Past(e Event) bool {
	return (!f.To.IsZero() && !e.OccurredAt.Before(f.To)) ||
		(f.AsOfSeq != 0 && e.Seq > f.AsOfSeq) ||
		(!f.AsOfAt.IsZero() && e.OccurredAt.After(f.AsOfAt))
}

// Before reports whether e occurred before From.
func (f DecisionFilter) Before(e Event) bool {
	return !f.From.IsZero() && e.OccurredAt.Before(f.From)
}

// Match reports whether e is a decision the filter selects. epic is the
// epic of e's backlog item when e was taken ("" when e is not about a
// backlog item or the item has none).
func (f DecisionFilter) Match(e Event, epic string) bool {
	if e.Product != f.Product || f.Past(e) || f.Before(e) {
		return false
	}
	if !f.matchSubject(e.Aggregate.Kind, e.Aggregate.ID, e.Type, epic) {
		return false
	}
	return (f.Actor == "" || e.Actor.ID == f.Actor) &&
		(f.Role == "" || e.Actor.Role == f.Role) &&
		(f.Reason == "" || e.Reason == f.Reason)
}

// NeedsEpic reports whether matching needs the epic of an item.
func (f DecisionFilter) NeedsEpic() bool { return f.Epic != "" }

// MatchLeaf reports whether a stored message known only by its subject
// and type could be a decision the filter selects: false means it surely
// is not. epic is the epic of the item the subject names and epicKnown
// whether that is known; an unknown epic could be Epic.
func (f DecisionFilter) MatchLeaf(subject, typ, epic string, epicKnown bool) bool {
	product, kind, id, ok := SplitSubject(subject)
	if !ok || product != f.Product {
		return false
	}
	if f.Epic != "" && kind == KindItem && id != f.Epic && !epicKnown {
		return f.matchSubject(kind, id, typ, f.Epic)
	}
	return f.matchSubject(kind, id, typ, epic)
}

func (f DecisionFilter) matchSubject(kind AggregateKind, id, typ, epic string) bool {
	if len(f.Types) > 0 && !slices.Contains(f.Types, typ) {
		return false
	}
	switch {
	case f.Item != "" && (kind != KindItem || id != f.Item),
		f.Roadmap != "" && (kind != KindRoadmap || id != f.Roadmap),
		f.Request != "" && (kind != KindRequest || id != f.Request),
		f.Epic != "" && (kind != KindItem || (id != f.Epic && epic != f.Epic)):
		return false
	}
	return true
}

// SplitSubject reads ledger.<product>.<kind>.<id>.
func SplitSubject(subject string) (product string, kind AggregateKind, id string, ok bool) {
	parts := strings.Split(subject, ".")
	if len(parts) != 4 || parts[0] != "ledger" {
		return "", "", "", false
	}
	return parts[1], AggregateKind(parts[2]), parts[3], true
}

// String describes the filter as a person reads it.
func (f DecisionFilter) String() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+" "+v)
		}
	}
	add("product", f.Product)
	add("type", strings.Join(f.Types, "|"))
	add("item", f.Item)
	add("epic", f.Epic)
	add("roadmap", f.Roadmap)
	add("request", f.Request)
	add("actor", f.Actor)
	add("role", string(f.Role))
	add("reason", string(f.Reason))
	if !f.From.IsZero() {
		add("from", f.From.UTC().Format(time.RFC3339))
	}
	if !f.To.IsZero() {
		add("to", f.To.UTC().Format(time.RFC3339))
	}
	if f.AsOfSeq != 0 {
		add("as of", fmt.Sprintf("seq:%d", f.AsOfSeq))
	}
	if !f.AsOfAt.IsZero() {
		add("as of", f.AsOfAt.UTC().Format(time.RFC3339Nano))
	}
	return strings.Join(parts, ", ")
}
