package query

import (
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Notification is what a requester is told about their request: one
// decision on it (accepted, rejected, deferred, withdrawn) or the delivery
// of the backlog item it became, with who decided, in which role, why and
// the reason code. Its JSON form is the data of an outgoing webhook
// (docs/notify.md) and a stable contract.
type Notification struct {
	// Type is the notification's kind: one of NotificationKinds' types.
	Type    string `json:"type"`
	Product string `json:"product"`
	// Request is the request the notification is about; Title its title
	// and Requester who submitted it.
	Request   string `json:"request"`
	Title     string `json:"title"`
	Requester string `json:"requester"`
	// DecidedBy is who decided and the role they decided in (the team
	// member who delivered, for a delivery).
	DecidedBy domain.Actor `json:"decidedBy"`
	// RelayedBy is who relayed the decision for DecidedBy, when someone
	// did (an importer, a tracker's webhook).
	RelayedBy string            `json:"relayedBy,omitempty"`
	Why       string            `json:"why,omitempty"`
	Reason    domain.ReasonCode `json:"reason,omitempty"`
	// Until is when a deferred request is looked at again (YYYY-MM-DD).
	Until string `json:"until,omitempty"`
	// Item is the backlog item the request became (accepted, delivered);
	// Release what it was delivered in.
	Item    string `json:"item,omitempty"`
	Release string `json:"release,omitempty"`
	// OutsideAuthority marks a decision imported from a tracker that was
	// taken there without the authority the ledger requires.
	OutsideAuthority bool `json:"outsideAuthority,omitempty"`
	// At is when the decision was taken; Event the id of the event that
	// records it and Seq its stream sequence.
	At    time.Time `json:"at"`
	Event string    `json:"event"`
	Seq   uint64    `json:"seq"`
}

// NotificationKind is one kind of notification: the event type that
// causes it and what it adds to the notification.
type NotificationKind struct {
	// Type is the notification's type, as subscriptions filter on it
	// ("request.rejected").
	Type string
	// Event is the event type that causes it.
	Event string
	// fill adds what the event says beyond the envelope.
	fill func(*Notification, domain.Event)
}

// NotificationKinds is the catalogue of notifications, in the order of a
// request's life: every place that lists or filters them (the CLI's
// --type, the docs' table) is derived from it.
var NotificationKinds = []NotificationKind{
	{Type: "request.accepted", Event: domain.TypeRequestAccepted, fill: func(n *Notification, e domain.Event) {
		if p, ok := e.Data.(domain.RequestAccepted); ok {
			n.Item = p.Item
		}
	}},
	{Type: "request.rejected", Event: domain.TypeRequestRejected},
	{Type: "request.deferred", Event: domain.TypeRequestDeferred, fill: func(n *Notification, e domain.Event) {
		if p, ok := e.Data.(domain.RequestDeferred); ok {
			n.Until = p.Until
		}
	}},
	{Type: "request.withdrawn", Event: domain.TypeRequestWithdrawn},
	{Type: "request.delivered", Event: domain.TypeWorkDelivered, fill: func(n *Notification, e domain.Event) {
		if p, ok := e.Data.(domain.WorkDelivered); ok {
			n.Release = p.Release
		}
	}},
}

// NotificationTypes lists the catalogue's types, in its order.
func NotificationTypes() []string {
	out := make([]string, len(NotificationKinds))
	for i, k := range NotificationKinds {
		out[i] = k.Type
	}
	return out
}

// notificationKind finds the kind an event type causes.
func notificationKind(eventType string) (NotificationKind, bool) {
	for _, k := range NotificationKinds {
		if k.Event == eventType {
			return k, true
		}
	}
	return NotificationKind{}, false
}

// Stakeholders is the fold that tells which events concern which request
// and its requester. It takes one product's events as stored, in stream
// order, passes them through the validating fold (domain's read gate: a
// quarantined event never notifies anyone) and returns the notifications
// each admitted event causes. It is deterministic: the same events give
// the same notifications. Not safe for concurrent use.
type Stakeholders struct {
	gate *domain.Gate
	// items holds, per backlog item, the requests accepted into it, in
	// order: a delivery tells each of their requesters.
	items map[string][]string
}

// NewStakeholders returns an empty fold; it learns the product from the
// first event.
func NewStakeholders() *Stakeholders {
	return &Stakeholders{items: map[string][]string{}}
}

// Apply folds the product's next event and returns the notifications the
// events it admits cause, in order: none while a decision's atomic batch
// is still arriving, none for a quarantined or already seen event.
func (s *Stakeholders) Apply(e domain.Event) []Notification {
	if s.gate == nil {
		s.gate = domain.NewReadGate(storedProduct(e))
	}
	return s.notify(s.gate.Admit(e))
}

// Flush ends a read that reached the end of the stream (domain.Gate.Flush)
// and returns the notifications of the events it releases.
func (s *Stakeholders) Flush() []Notification {
	if s.gate == nil {
		return nil
	}
	return s.notify(s.gate.Flush())
}

// LastSeq is the stream sequence of the last event the fold admitted or
// quarantined (0 before any).
func (s *Stakeholders) LastSeq() uint64 {
	if s.gate == nil {
		return 0
	}
	return s.gate.State().LastSeq
}

func (s *Stakeholders) notify(admitted []domain.Event) []Notification {
	var out []Notification
	st := s.gate.State()
	for _, e := range admitted {
		if _, q := domain.QuarantineReason(e); q {
			continue
		}
		switch p := e.Data.(type) {
		case domain.RequestAccepted:
			s.link(p.Item, e.Aggregate.ID)
		case domain.BacklogItemAdded:
			if p.Request != "" {
				s.link(e.Aggregate.ID, p.Request)
			}
		}
		k, ok := notificationKind(e.Type)
		if !ok {
			continue
		}
		requests := []string{e.Aggregate.ID}
		if e.Aggregate.Kind == domain.KindItem {
			requests = s.items[e.Aggregate.ID]
		}
		for _, id := range requests {
			r := st.Requests[id]
			n := Notification{Type: k.Type, Product: e.Product, Request: id, Title: r.Title, Requester: r.Requester,
				DecidedBy: e.Actor, RelayedBy: e.RelayedBy, Why: e.Why, Reason: e.Reason, OutsideAuthority: e.OutsideAuthority,
				At: e.OccurredAt, Event: e.ID, Seq: e.Seq}
			if e.Aggregate.Kind == domain.KindItem {
				n.Item = e.Aggregate.ID
			}
			if k.fill != nil {
				k.fill(&n, e)
			}
			out = append(out, n)
		}
	}
	return out
}

// link records that request became item, once.
func (s *Stakeholders) link(item, request string) {
	for _, r := range s.items[item] {
		if r == request {
			return
		}
	}
	s.items[item] = append(s.items[item], request)
}

// storedProduct is the product an event was stored under.
func storedProduct(e domain.Event) string {
	if e.Stored != nil {
		if parts := strings.Split(e.Stored.Subject, "."); len(parts) == 4 && parts[0] == "ledger" {
			return parts[1]
		}
	}
	return e.Product
}

// StakeholderNotifications returns every notification one product's
// history causes, in order: events as stored, in stream order, the whole
// history (the end of the slice is the end of the stream).
func StakeholderNotifications(events []domain.Event) []Notification {
	s := NewStakeholders()
	var out []Notification
	for _, e := range events {
		out = append(out, s.Apply(e)...)
	}
	return append(out, s.Flush()...)
}
