package domain

import (
	"slices"
	"time"
)

// ItemStatus is a backlog item's place in its life.
type ItemStatus string

// The backlog item statuses.
const (
	StatusNew        ItemStatus = "new"
	StatusInProgress ItemStatus = "in-progress"
	StatusDelivered  ItemStatus = "delivered"
	StatusRemoved    ItemStatus = "removed"
)

// Open reports whether the item is still in the ordered backlog.
func (s ItemStatus) Open() bool { return s == StatusNew || s == StatusInProgress }

// RequestStatus is a request's fate.
type RequestStatus string

// The request statuses.
const (
	StatusPending   RequestStatus = "pending"
	StatusAccepted  RequestStatus = "accepted"
	StatusRejected  RequestStatus = "rejected"
	StatusDeferred  RequestStatus = "deferred"
	StatusWithdrawn RequestStatus = "withdrawn"
)

// Undecided reports whether the PO can still decide on the request.
func (s RequestStatus) Undecided() bool { return s == StatusPending || s == StatusDeferred }

// Product is the product aggregate's state: who holds which role.
type Product struct {
	ID     string
	Name   string
	Exists bool
	Roles  map[string]map[Role]bool // actor -> roles held now
}

// Has reports whether actor holds role now.
func (p Product) Has(actor string, role Role) bool { return p.Roles[actor][role] }

// RolesOf lists the roles actor holds, in the brief's order.
func (p Product) RolesOf(actor string) []Role {
	var out []Role
	for _, r := range Roles {
		if p.Roles[actor][r] {
			out = append(out, r)
		}
	}
	return out
}

// Holders lists the actors holding role, sorted.
func (p Product) Holders(role Role) []string {
	var out []string
	for a, rs := range p.Roles {
		if rs[role] {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// RoadmapItem is a roadmap item aggregate's state.
type RoadmapItem struct {
	ID      string
	Title   string
	Period  string
	Dropped bool
}

// Item is a backlog item aggregate's state.
type Item struct {
	ID      string
	Title   string
	Kind    ItemKind
	Status  ItemStatus
	Epic    string
	Roadmap string
}

// Request is a request aggregate's state.
type Request struct {
	ID            string
	Requester     string
	RequesterRole Role
	Title         string
	Status        RequestStatus
}

// State is what the deciders need to know about one product: its roles,
// and every roadmap item, backlog item and request by id. It is built by
// applying the product's events in stream order; it is the write model,
// not a read model (those live in projections).
type State struct {
	Product  Product
	Roadmap  map[string]RoadmapItem
	Items    map[string]Item
	Requests map[string]Request
	// commands remembers the ids of the product's last commands (see
	// Recorded), so that a retried command is recorded once.
	commands commandLog
	// LastSeq and LastAt are the sequence and business time of the
	// product's latest event: the expected version of the next append and
	// the earliest time it may carry.
	LastSeq uint64
	LastAt  time.Time
	// Signed is true once the product has an event validly signed by the
	// ledger: from then on the validating fold (Gate) requires a
	// signature on every event.
	Signed bool
	// latest remembers the ids of the events admitted at LastAt, so that
	// a copy of one is recognised (DuplicateOf).
	latest instant
}

// NewState returns the empty state of a product that has no events yet.
// It remembers the ids of the product's last DefaultCommandLimit
// commands; SetCommandLimit changes that.
func NewState(product string) *State {
	return &State{
		Product:  Product{ID: product, Roles: map[string]map[Role]bool{}},
		Roadmap:  map[string]RoadmapItem{},
		Items:    map[string]Item{},
		Requests: map[string]Request{},
		commands: newCommandLog(DefaultCommandLimit),
	}
}

// Recorded reports whether a command with this id is among the product's
// last CommandLimit commands, and the sequence of its first event. An
// older command is forgotten: a retry of it is decided again.
func (s *State) Recorded(commandID string) (uint64, bool) {
	seq, ok := s.commands.seqs[commandID]
	return seq, ok
}

// CommandLimit is how many of the product's last command ids Recorded
// remembers.
func (s *State) CommandLimit() int { return s.commands.limit }

// SetCommandLimit makes Recorded remember the product's last n command
// ids (DefaultCommandLimit when n <= 0), forgetting the oldest that no
// longer fit.
func (s *State) SetCommandLimit(n int) { s.commands.setLimit(n) }

// Apply folds one stored event into the state. Events of another product
// and events this version cannot read only advance the position.
func (s *State) Apply(e Event) {
	if e.Seq > s.LastSeq {
		s.LastSeq = e.Seq
	}
	if e.Product != s.Product.ID {
		return
	}
	if _, unknown := e.Data.(Unknown); unknown || e.Data == nil {
		return
	}
	if _, q := e.Data.(Quarantined); q {
		return
	}
	if e.OccurredAt.After(s.LastAt) {
		s.LastAt = e.OccurredAt
		s.latest.reset()
	}
	if e.OccurredAt.Equal(s.LastAt) {
		s.latest.add(e.ID, e.Seq)
	}
	if e.CommandID != "" {
		s.commands.add(e.CommandID, e.Seq)
	}
	if spec := specOf(e.Data); spec != nil && spec.Kind == e.Aggregate.Kind {
		evolve.Apply(s, e)
	}
}

// EvolveProduct folds a product event into the product's state: the
// write state's fold, for the product alone. It copies the role map it
// changes, so p is left as it was.
func EvolveProduct(p Product, e Event) Product {
	if spec := specOf(e.Data); spec == nil || spec.Kind != KindProduct {
		return p
	}
	s := State{Product: p}
	evolve.Apply(&s, e)
	return s.Product
}

// evolve is the write state's fold: what the deciders need to know of
// each event. Role changes copy the role map they change, so a Product
// copied before is left as it was.
var evolve = NewFold("the write state (State.Apply)",
	On(func(s *State, e Event, d ProductCreated) {
		p := &s.Product
		p.ID, p.Name, p.Exists = e.Product, d.Name, true
		p.Roles = withRole(p.Roles, d.PM, RolePM, true)
		p.Roles = withRole(p.Roles, d.PO, RolePO, true)
	}),
	On(func(s *State, _ Event, d RoleAssigned) {
		s.Product.Roles = withRole(s.Product.Roles, d.Actor, d.Role, true)
	}),
	On(func(s *State, _ Event, d RoleRevoked) {
		s.Product.Roles = withRole(s.Product.Roles, d.Actor, d.Role, false)
	}),
	Skip[*State](TypeVisionStated, TypeProductGoalSet),

	On(func(s *State, e Event, d RoadmapItemPlanned) {
		s.Roadmap[e.Aggregate.ID] = RoadmapItem{ID: e.Aggregate.ID, Title: d.Title, Period: d.Period}
	}),
	On(func(s *State, e Event, d RoadmapItemRescheduled) {
		r := s.Roadmap[e.Aggregate.ID]
		r.Period = d.To
		s.Roadmap[e.Aggregate.ID] = r
	}),
	On(func(s *State, e Event, _ RoadmapItemDropped) {
		r := s.Roadmap[e.Aggregate.ID]
		r.Dropped = true
		s.Roadmap[e.Aggregate.ID] = r
	}),
	Skip[*State](TypeRoadmapItemRanked),

	On(func(s *State, e Event, d BacklogItemAdded) {
		s.Items[e.Aggregate.ID] = Item{ID: e.Aggregate.ID, Title: d.Title, Kind: d.Kind, Status: StatusNew, Epic: d.Epic, Roadmap: d.Roadmap}
	}),
	On(func(s *State, e Event, d BacklogItemRefined) {
		it := s.Items[e.Aggregate.ID]
		if d.Title != "" {
			it.Title = d.Title
		}
		if d.Roadmap != "" {
			it.Roadmap = d.Roadmap
		}
		s.Items[e.Aggregate.ID] = it
	}),
	On(func(s *State, e Event, _ BacklogItemRemoved) { s.setStatus(e, StatusRemoved) }),
	On(func(s *State, e Event, _ WorkStarted) { s.setStatus(e, StatusInProgress) }),
	On(func(s *State, e Event, _ WorkDelivered) { s.setStatus(e, StatusDelivered) }),
	On(func(s *State, e Event, _ BacklogItemUnplanned) {
		it := s.Items[e.Aggregate.ID]
		it.Roadmap = ""
		s.Items[e.Aggregate.ID] = it
	}),
	On(func(s *State, e Event, d BacklogItemReparented) {
		it := s.Items[e.Aggregate.ID]
		it.Epic = d.Epic
		s.Items[e.Aggregate.ID] = it
	}),
	On(func(s *State, e Event, _ WorkReopened) {
		if s.Items[e.Aggregate.ID].Status == StatusDelivered {
			s.setStatus(e, StatusNew)
		}
	}),
	Skip[*State](TypeBacklogItemRanked, TypeBacklogItemEstimated),

	On(func(s *State, e Event, d RequestSubmitted) {
		s.Requests[e.Aggregate.ID] = Request{ID: e.Aggregate.ID, Requester: d.Requester, RequesterRole: e.Actor.Role, Title: d.Title, Status: StatusPending}
	}),
	On(func(s *State, e Event, _ RequestAccepted) { s.setRequestStatus(e, StatusAccepted) }),
	On(func(s *State, e Event, _ RequestRejected) { s.setRequestStatus(e, StatusRejected) }),
	On(func(s *State, e Event, _ RequestDeferred) { s.setRequestStatus(e, StatusDeferred) }),
	On(func(s *State, e Event, _ RequestWithdrawn) { s.setRequestStatus(e, StatusWithdrawn) }),
)

func (s *State) setStatus(e Event, st ItemStatus) {
	it := s.Items[e.Aggregate.ID]
	it.Status = st
	s.Items[e.Aggregate.ID] = it
}

func (s *State) setRequestStatus(e Event, st RequestStatus) {
	r := s.Requests[e.Aggregate.ID]
	r.Status = st
	s.Requests[e.Aggregate.ID] = r
}

func withRole(roles map[string]map[Role]bool, actor string, role Role, on bool) map[string]map[Role]bool {
	out := make(map[string]map[Role]bool, len(roles)+1)
	for a, rs := range roles {
		out[a] = rs
	}
	held := make(map[Role]bool, len(out[actor])+1)
	for r, v := range out[actor] {
		held[r] = v
	}
	if on {
		held[role] = true
	} else {
		delete(held, role)
	}
	if len(held) == 0 {
		delete(out, actor)
	} else {
		out[actor] = held
	}
	return out
}
