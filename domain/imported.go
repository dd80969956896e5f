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

func init() {
	reg[BacklogItemUnplanned]()
	reg[WorkReopened]()
	reg[BacklogItemReparented]()
}

// requiredRoles is the authority table by event type; a type missing here
// may be recorded by anyone holding a role.
var requiredRoles = map[string]Role{
	TypeRoleAssigned: RolePM, TypeRoleRevoked: RolePM, TypeVisionStated: RolePM,
	TypeProductGoalSet:     RolePO,
	TypeRoadmapItemPlanned: RolePM, TypeRoadmapItemRescheduled: RolePM,
	TypeRoadmapItemRanked: RolePM, TypeRoadmapItemDropped: RolePM,
	TypeBacklogItemAdded: RolePO, TypeBacklogItemRefined: RolePO, TypeBacklogItemRanked: RolePO,
	TypeBacklogItemRemoved: RolePO, TypeBacklogItemUnplanned: RolePO, TypeBacklogItemReparented: RolePO,
	TypeRequestAccepted: RolePO, TypeRequestRejected: RolePO, TypeRequestDeferred: RolePO,
	TypeBacklogItemEstimated: RoleTeam, TypeWorkStarted: RoleTeam, TypeWorkDelivered: RoleTeam,
	TypeWorkReopened: RoleTeam,
}

// RequiredRole is the role the authority table requires to record an event
// of type typ; ok is false when any role will do (a submission).
func RequiredRole(typ string) (role Role, ok bool) {
	role, ok = requiredRoles[typ]
	return role, ok
}

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
	e.Type, e.Schema = e.Data.EventType(), SchemaOf(e.Data.EventType())
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
	if e.Aggregate.Kind == KindProduct {
		return Event{}, invalid("type", "%s is a product decision: record it through Decide, not as an observation", e.Type)
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
	if err := observedAggregate(s, e); err != nil {
		return Event{}, err
	}
	e.Actor.Role, e.OutsideAuthority = "", false
	held := s.Product.RolesOf(e.Actor.ID)
	need, restricted := RequiredRole(e.Type)
	switch {
	case restricted && s.Product.Has(e.Actor.ID, need):
		e.Actor.Role = need
	case len(held) > 0:
		e.Actor.Role = held[0]
		e.OutsideAuthority = restricted
	default:
		e.OutsideAuthority = true
	}
	if _, ok := e.Data.(RequestWithdrawn); ok {
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
// creation does not, and that its texts are within the rules.
func observedAggregate(s *State, e Event) error {
	id := e.Aggregate.ID
	what := fmt.Sprintf("%s %s", e.Source.System, e.Source.Key)
	inUse := func() bool {
		_, a := s.Items[id]
		_, b := s.Roadmap[id]
		_, c := s.Requests[id]
		return a || b || c
	}
	switch p := e.Data.(type) {
	case RoadmapItemPlanned:
		if inUse() {
			return wrongState("%s: roadmap item %q exists already", what, id)
		}
		if err := checkPeriodYear(p.Period); err != nil {
			return err
		}
		return checkText("title", p.Title, true, MaxTitleLen)
	case RoadmapItemRescheduled:
		if err := checkPeriodYear(p.To); err != nil {
			return err
		}
	case BacklogItemAdded:
		if inUse() {
			return wrongState("%s: backlog item %q exists already", what, id)
		}
		if p.Roadmap != "" {
			if _, ok := s.Roadmap[p.Roadmap]; !ok {
				return notFound("%s: roadmap item %q not found in product %q", what, p.Roadmap, e.Product)
			}
		}
		if err := checkText("title", p.Title, true, MaxTitleLen); err != nil {
			return err
		}
		return checkText("detail", p.Detail, false, MaxTextLen)
	case RequestSubmitted:
		if inUse() {
			return wrongState("%s: request %q exists already", what, id)
		}
		if err := checkText("title", p.Title, true, MaxTitleLen); err != nil {
			return err
		}
		return checkText("detail", p.Detail, false, MaxTextLen)
	}
	switch e.Aggregate.Kind {
	case KindRoadmap:
		if _, ok := s.Roadmap[id]; !ok {
			return notFound("%s: roadmap item %q not found in product %q", what, id, e.Product)
		}
	case KindItem:
		it, ok := s.Items[id]
		if !ok {
			return notFound("%s: item %q not found in product %q", what, id, e.Product)
		}
		switch p := e.Data.(type) {
		case WorkReopened:
			if it.Status != StatusDelivered {
				return wrongState("%s: item %q is %s, not delivered: it cannot be reopened", what, id, it.Status)
			}
		case WorkDelivered, BacklogItemRemoved, BacklogItemRanked, WorkStarted:
			if !it.Status.Open() {
				return wrongState("%s: item %q is %s", what, id, it.Status)
			}
		case BacklogItemReparented:
			if p.Epic != "" {
				if err := CheckID("epic", p.Epic); err != nil {
					return err
				}
			}
		case BacklogItemRefined:
			if p.Roadmap != "" {
				if _, ok := s.Roadmap[p.Roadmap]; !ok {
					return notFound("%s: roadmap item %q not found in product %q", what, p.Roadmap, e.Product)
				}
			}
			return checkText("title", p.Title, false, MaxTitleLen)
		}
	case KindRequest:
		r, ok := s.Requests[id]
		if !ok {
			return notFound("%s: request %q not found in product %q", what, id, e.Product)
		}
		switch e.Data.(type) {
		case RequestAccepted, RequestRejected, RequestDeferred:
			if !r.Status.Undecided() {
				return wrongState("%s: request %q is %s already", what, id, r.Status)
			}
		}
	}
	return nil
}
