package domain

import (
	"fmt"
	"net/url"
	"time"
)

// Source is the provenance of an event imported from a tracker: the
// system (bugzilla, jira, github), the issue key or bug id, a link to it,
// the change it records (a history entry's id or time) and the original
// login of whoever made it there. Only imported events carry one.
type Source struct {
	System string `json:"system"`
	Key    string `json:"key"`
	URL    string `json:"url,omitempty"`
	Change string `json:"change,omitempty"`
	Author string `json:"author,omitempty"`
}

// SourceLinkOK reports whether u may be kept as a source's link: an
// absolute http or https URL with a host. Provenance is shown to people
// who follow it; a javascript:, data: or file: URL, or a relative path,
// is no link to a tracker but a trap, and an import drops it.
func SourceLinkOK(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Opaque == "" && p.Host != ""
}

// Event types that only an import needs: what a tracker records and the
// v1 catalogue cannot say. They are new types, so v1 events keep their
// meaning; readers that predate them skip them as unknown.
const (
	// TypeBacklogItemUnplanned: a target milestone cleared.
	TypeBacklogItemUnplanned = "BacklogItemUnplanned"
	// TypeWorkReopened: an item reopened after it was delivered.
	TypeWorkReopened = "WorkReopened"
	// TypeBacklogItemReparented: an item moved under another epic (a
	// tracker's Epic Link or parent changed).
	TypeBacklogItemReparented = "BacklogItemReparented"
)

// BacklogItemUnplanned takes an item off the roadmap item it served,
// leaving it in the backlog, serving none.
type BacklogItemUnplanned struct {
	Roadmap string `json:"roadmap"`
}

// WorkReopened puts a delivered item back into the backlog, at the
// bottom, as new; Release is the release it had been delivered in.
type WorkReopened struct {
	Release string `json:"release,omitempty"`
}

// BacklogItemReparented puts an item under another epic (its key in the
// tracker, as an item id), or under none when Epic is empty. The epic
// need not be in the ledger: a tracker export may hold an issue without
// its epic.
type BacklogItemReparented struct {
	Epic string `json:"epic,omitempty"`
}

// EventType implementations.
func (BacklogItemUnplanned) EventType() string  { return TypeBacklogItemUnplanned }
func (WorkReopened) EventType() string          { return TypeWorkReopened }
func (BacklogItemReparented) EventType() string { return TypeBacklogItemReparented }

// Observe checks an event imported from a tracker against the product's
// state and completes it: the actor's role is the one the rules require if
// the actor held it at that moment; otherwise the event is kept as the
// observation it is, with the role the actor did hold (none when none)
// and OutsideAuthority set. It is never re-attributed, and it grants no
// role: Observe refuses product and role events, which an import records
// as ordinary decisions through Decide. It refuses, with a *Error, an
// event without id, command id or source, one earlier than the product's
// latest event, one about an aggregate that does not exist (or, for a
// creation, that exists already), a relayedBy that is no actor id, and
// texts the rules would refuse. RelayedBy is kept as it is: who relayed
// the import is not who decided.
func Observe(s *State, e Event) (Event, error) {
	if e.Data == nil {
		return Event{}, invalid("data", "an imported event needs data")
	}
	spec := specOf(e.Data)
	if spec == nil {
		return Event{}, invalid("data", "an imported event's data is no event type of the catalogue (%T)", e.Data)
	}
	e.Type, e.Schema = spec.Type, spec.Schema
	switch {
	case e.ID == "":
		return Event{}, invalid("id", "an imported %s needs an id", e.Type)
	case e.CommandID == "":
		return Event{}, invalid("commandId", "an imported %s needs a command id", e.Type)
	case e.Source == nil || e.Source.System == "" || e.Source.Key == "":
		return Event{}, invalid("source", "an imported %s needs its source (system and key)", e.Type)
	case e.Source.URL != "" && !SourceLinkOK(e.Source.URL):
		return Event{}, invalid("source", "%s %s: the source link %q is not an http or https address: an import keeps no other link", e.Source.System, e.Source.Key, e.Source.URL)
	case e.Product != s.Product.ID:
		return Event{}, invalid("product", "event for product %q observed on product %q", e.Product, s.Product.ID)
	case !s.Product.Exists:
		return Event{}, notFound("product %q does not exist: an import creates it first", e.Product)
	}
	if e.Aggregate.Kind == KindProduct || spec.Kind == KindProduct {
		return Event{}, invalid("type", "%s is a product decision: record it through Decide, not as an observation", e.Type)
	}
	if e.Aggregate.Kind != spec.Kind {
		return Event{}, invalid("aggregate", "%s %s: a %s belongs to a %s aggregate, not to %s %s", e.Source.System, e.Source.Key, e.Type, spec.Kind, e.Aggregate.Kind, e.Aggregate.ID)
	}
	if err := CheckID("actor", e.Actor.ID); err != nil {
		return Event{}, err
	}
	if e.RelayedBy != "" {
		// Who brought the tracker's decision into the ledger (an
		// import through serve by a token that may act for others): kept
		// as Decide keeps it on a command, and held to the same rule.
		if err := CheckID("relayedBy", e.RelayedBy); err != nil {
			return Event{}, err
		}
	}
	if err := CheckID("id", e.Aggregate.ID); err != nil {
		return Event{}, err
	}
	e.OccurredAt = e.OccurredAt.UTC().Truncate(time.Millisecond)
	if e.OccurredAt.Year() < MinYear || e.OccurredAt.Year() > MaxYear {
		return Event{}, invalid("at", "%s of %s %s at %s is not a plausible time", e.Type, e.Source.System, e.Source.Key, e.OccurredAt.Format(time.RFC3339))
	}
	if e.OccurredAt.Before(s.LastAt) {
		return Event{}, invalid("at", "%s %s change %s at %s is earlier than the product's latest event (%s): within a product, history is recorded in time order",
			e.Source.System, e.Source.Key, e.Source.Change, e.OccurredAt.Format(time.RFC3339), s.LastAt.Format(time.RFC3339))
	}
	if err := checkText("why", e.Why, false, MaxTextLen); err != nil {
		return Event{}, err
	}
	if err := observedAggregate(s, e, spec); err != nil {
		return Event{}, err
	}
	e.Actor.Role, e.OutsideAuthority = "", false
	held := s.Product.RolesOf(e.Actor.ID)
	need, restricted := spec.Role, spec.Role != ""
	switch {
	case restricted && s.Product.Has(e.Actor.ID, need):
		e.Actor.Role = need
	case len(held) > 0:
		e.Actor.Role = held[0]
		e.OutsideAuthority = restricted
	default:
		e.OutsideAuthority = true
	}
	if spec.Requester {
		if r := s.Requests[e.Aggregate.ID]; r.Requester != e.Actor.ID {
			e.OutsideAuthority = true
		}
	}
	if err := checkSize([]Event{e}); err != nil {
		return Event{}, err
	}
	return e, nil
}

// observedAggregate checks that the event's aggregate exists, or for a
// creation does not, and then what the type's entry checks besides
// (EventSpec's observe: statuses, texts, the links it makes).
func observedAggregate(s *State, e Event, spec *EventSpec) error {
	id := e.Aggregate.ID
	what := sourceOf(e)
	if spec.Creates {
		_, a := s.Items[id]
		_, b := s.Roadmap[id]
		_, c := s.Requests[id]
		if a || b || c {
			return wrongState("%s: %s %q exists already", what, createdNoun[e.Aggregate.Kind], id)
		}
	} else {
		var ok bool
		switch e.Aggregate.Kind {
		case KindRoadmap:
			_, ok = s.Roadmap[id]
		case KindItem:
			_, ok = s.Items[id]
		case KindRequest:
			_, ok = s.Requests[id]
		}
		if !ok {
			return notFound("%s: %s %q not found in product %q", what, foundNoun[e.Aggregate.Kind], id, e.Product)
		}
	}
	if spec.observe != nil {
		return spec.observe(s, e)
	}
	return nil
}

// How errors name an aggregate of each kind an import observes.
var (
	createdNoun = map[AggregateKind]string{KindRoadmap: "roadmap item", KindItem: "backlog item", KindRequest: "request"}
	foundNoun   = map[AggregateKind]string{KindRoadmap: "roadmap item", KindItem: "item", KindRequest: "request"}
)

// sourceOf names an imported event's source in errors: "bugzilla 1234".
func sourceOf(e Event) string { return fmt.Sprintf("%s %s", e.Source.System, e.Source.Key) }

// The checks of imported events by type (the catalogue's Observe).

func observePlanned(_ *State, _ Event, p RoadmapItemPlanned) error {
	if err := checkPeriodYear(p.Period); err != nil {
		return err
	}
	return checkText("title", p.Title, true, MaxTitleLen)
}

func observeRescheduled(_ *State, _ Event, p RoadmapItemRescheduled) error {
	return checkPeriodYear(p.To)
}

func observeAdded(s *State, e Event, p BacklogItemAdded) error {
	if p.Roadmap != "" {
		if _, ok := s.Roadmap[p.Roadmap]; !ok {
			return notFound("%s: roadmap item %q not found in product %q", sourceOf(e), p.Roadmap, e.Product)
		}
	}
	if err := checkText("title", p.Title, true, MaxTitleLen); err != nil {
		return err
	}
	return checkText("detail", p.Detail, false, MaxTextLen)
}

func observeRefined(s *State, e Event, p BacklogItemRefined) error {
	if p.Roadmap != "" {
		if _, ok := s.Roadmap[p.Roadmap]; !ok {
			return notFound("%s: roadmap item %q not found in product %q", sourceOf(e), p.Roadmap, e.Product)
		}
	}
	return checkText("title", p.Title, false, MaxTitleLen)
}

func observeSubmitted(_ *State, _ Event, p RequestSubmitted) error {
	if err := checkText("title", p.Title, true, MaxTitleLen); err != nil {
		return err
	}
	return checkText("detail", p.Detail, false, MaxTextLen)
}

// observeOpenItem refuses a decision on an item no longer in the backlog.
func observeOpenItem[P Payload](s *State, e Event, _ P) error {
	if it := s.Items[e.Aggregate.ID]; !it.Status.Open() {
		return wrongState("%s: item %q is %s", sourceOf(e), e.Aggregate.ID, it.Status)
	}
	return nil
}

func observeReopened(s *State, e Event, _ WorkReopened) error {
	if it := s.Items[e.Aggregate.ID]; it.Status != StatusDelivered {
		return wrongState("%s: item %q is %s, not delivered: it cannot be reopened", sourceOf(e), e.Aggregate.ID, it.Status)
	}
	return nil
}

func observeReparented(_ *State, _ Event, p BacklogItemReparented) error {
	if p.Epic != "" {
		return CheckID("epic", p.Epic)
	}
	return nil
}

// observeUndecided refuses a PO's decision on a request decided already.
func observeUndecided[P Payload](s *State, e Event, _ P) error {
	if r := s.Requests[e.Aggregate.ID]; !r.Status.Undecided() {
		return wrongState("%s: request %q is %s already", sourceOf(e), e.Aggregate.ID, r.Status)
	}
	return nil
}
