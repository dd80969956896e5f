package domain

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// Category says what an event type decides about: the brief's groups of
// decisions, and the types only an import records.
type Category string

// The categories of the catalogue.
const (
	CategoryProduct  Category = "product"  // the product itself: its creation, vision and goal
	CategoryRole     Category = "role"     // who holds which role
	CategoryRoadmap  Category = "roadmap"  // the PM's roadmap
	CategoryBacklog  Category = "backlog"  // the PO's backlog
	CategoryRequest  Category = "request"  // stakeholders' requests and their fate
	CategoryDelivery Category = "delivery" // the team's estimates, starts and deliveries
	// CategoryImport holds what a tracker records and the v1 catalogue
	// cannot say: observed in an import, never decided in the ledger.
	CategoryImport Category = "import-only"
)

// EventSpec is an event type's entry in the catalogue: everything the
// ledger knows about the type besides its payload's fields. Every place
// that must know each event type (the payload registry, Decide, the
// gate, the write state, the folds of projections and replay, the edges)
// finds it here, or in a Fold checked against the catalogue, rather than
// in a switch of its own that can forget a case.
type EventSpec struct {
	// Type is the event type's name on the wire.
	Type string
	// Schema is the schema version the ledger writes; older ones are
	// upcast when read (schema.go).
	Schema int
	// Kind is the kind of aggregate an event of the type is about.
	Kind AggregateKind
	// Category says what the type decides about.
	Category Category
	// Role is the role that may decide it (the brief's authority table);
	// "" when any role will do (a submission), when only the request's
	// requester may (Requester), or, for a product's creation, anyone.
	Role Role
	// Requester is true when only the request's requester may decide it.
	Requester bool
	// Creates is true for the event that brings its aggregate into being.
	Creates bool
	// Ranks is true for a rank decision: it moves its aggregate in an
	// order (RankPosition says where to).
	Ranks bool
	// Links is true for a type that can change which roadmap item its
	// backlog item serves (Relinks says whether an event does, and to
	// which); that link is all it can change about a roadmap item.
	Links bool
	// Promises is true for a type that can change what say/do and
	// compare count: what the roadmap promises (its periods and items),
	// which backlog items exist and serve it, and what was delivered or
	// dropped. A rank, an estimate, a start, roles, the vision and goal,
	// and the fate of a request that makes no item cannot; every type
	// only an import records is taken to.
	Promises bool
	// Short is the type's short name, as filters take it and narrow
	// tables show it: its last word in lower case ("ranked").
	Short string
	// Answers is the verb of the action whose decision the type records
	// ("item rank"); "" for a type only an import records.
	Answers string

	newPayload func() Payload
	deref      func(Payload) Payload
	typed      func([]byte) (Event, bool)
	is         func(Payload) bool
	upcast     map[int]func(json.RawMessage) (Payload, error)
	command    func(first Event, group []Event) Action
	decide     func(*decision, Action) ([]Event, error)
	observe    func(s *State, e Event) error
	position   func(Payload) Position
	relinks    func(Payload) (string, bool)
}

// Imported reports whether only an import records the type.
func (s EventSpec) Imported() bool { return s.Category == CategoryImport }

// catalogue is the one declaration of the event types: one entry per
// type. Adding a type is adding its payload (payload.go, imported.go)
// and its entry here; the tests that walk the catalogue then name every
// fold that has yet to say what it does with it.
var catalogue events

// The catalogue is built in init, not in its declaration: its deciders
// read the catalogue (SchemaOf) when they run, which Go's initialisation
// order would take for a cycle.
func init() {
	catalogue = newCatalogue(catalogueEntries()...)
}

func catalogueEntries() []entry {
	return []entry{
		decidedEvent[ProductCreated, CreateProduct]{Kind: KindProduct, Category: CategoryProduct, Creates: true, Promises: true,
			Decide: (*decision).createProduct,
			Command: func(_ Event, p ProductCreated, _ []Event) Action {
				return CreateProduct{Name: p.Name, PM: p.PM, PO: p.PO}
			}},
		decidedEvent[RoleAssigned, AssignRole]{Kind: KindProduct, Category: CategoryRole, Role: RolePM,
			Decide: (*decision).assignRole,
			Command: func(_ Event, p RoleAssigned, _ []Event) Action {
				return AssignRole{Actor: p.Actor, Role: p.Role}
			}},
		decidedEvent[RoleRevoked, RevokeRole]{Kind: KindProduct, Category: CategoryRole, Role: RolePM,
			Decide: (*decision).revokeRole, Command: revokeCommand},
		decidedEvent[VisionStated, StateVision]{Kind: KindProduct, Category: CategoryProduct, Role: RolePM,
			Decide: (*decision).stateVision,
			Command: func(_ Event, p VisionStated, _ []Event) Action {
				return StateVision{Vision: p.Vision, Metrics: p.Metrics}
			}},
		decidedEvent[ProductGoalSet, SetGoal]{Kind: KindProduct, Category: CategoryProduct, Role: RolePO,
			Decide:  (*decision).setGoal,
			Command: func(_ Event, p ProductGoalSet, _ []Event) Action { return SetGoal{Goal: p.Goal} }},

		decidedEvent[RoadmapItemPlanned, PlanRoadmapItem]{Kind: KindRoadmap, Category: CategoryRoadmap, Role: RolePM, Creates: true, Promises: true,
			Decide: (*decision).planRoadmapItem, Observe: observePlanned,
			Command: func(e Event, p RoadmapItemPlanned, _ []Event) Action {
				return PlanRoadmapItem{ID: e.Aggregate.ID, Title: p.Title, Objective: p.Objective, Period: p.Period}
			}},
		decidedEvent[RoadmapItemRescheduled, RescheduleRoadmapItem]{Kind: KindRoadmap, Category: CategoryRoadmap, Role: RolePM, Promises: true,
			Decide: (*decision).rescheduleRoadmapItem, Observe: observeRescheduled,
			Command: func(e Event, p RoadmapItemRescheduled, _ []Event) Action {
				return RescheduleRoadmapItem{ID: e.Aggregate.ID, Period: p.To}
			}},
		decidedEvent[RoadmapItemRanked, RankRoadmapItem]{Kind: KindRoadmap, Category: CategoryRoadmap, Role: RolePM,
			Decide:   (*decision).rankRoadmapItem,
			Position: func(p RoadmapItemRanked) Position { return p.Position },
			Command: func(e Event, p RoadmapItemRanked, _ []Event) Action {
				return RankRoadmapItem{ID: e.Aggregate.ID, Position: p.Position}
			}},
		decidedEvent[RoadmapItemDropped, DropRoadmapItem]{Kind: KindRoadmap, Category: CategoryRoadmap, Role: RolePM, Promises: true,
			Decide:  (*decision).dropRoadmapItem,
			Command: func(e Event, _ RoadmapItemDropped, _ []Event) Action { return DropRoadmapItem{ID: e.Aggregate.ID} }},

		decidedEvent[BacklogItemAdded, AddItem]{Kind: KindItem, Category: CategoryBacklog, Role: RolePO, Creates: true, Promises: true,
			Decide: (*decision).addItem, Observe: observeAdded,
			Relinks: func(p BacklogItemAdded) (string, bool) { return p.Roadmap, true },
			Command: func(e Event, p BacklogItemAdded, _ []Event) Action {
				return AddItem{ID: e.Aggregate.ID, Title: p.Title, Kind: p.Kind, Detail: p.Detail, Epic: p.Epic, Roadmap: p.Roadmap}
			}},
		decidedEvent[BacklogItemRefined, RefineItem]{Kind: KindItem, Category: CategoryBacklog, Role: RolePO, Promises: true,
			Decide: (*decision).refineItem, Observe: observeRefined,
			Relinks: func(p BacklogItemRefined) (string, bool) { return p.Roadmap, p.Roadmap != "" },
			Command: func(e Event, p BacklogItemRefined, _ []Event) Action {
				return RefineItem{ID: e.Aggregate.ID, Title: p.Title, Detail: p.Detail, Roadmap: p.Roadmap}
			}},
		decidedEvent[BacklogItemRanked, RankItem]{Kind: KindItem, Category: CategoryBacklog, Role: RolePO,
			Decide: (*decision).rankItem, Observe: observeOpenItem[BacklogItemRanked],
			Position: func(p BacklogItemRanked) Position { return p.Position },
			Command: func(e Event, p BacklogItemRanked, _ []Event) Action {
				return RankItem{ID: e.Aggregate.ID, Position: p.Position, Score: p.Score}
			}},
		decidedEvent[BacklogItemRemoved, RemoveItem]{Kind: KindItem, Category: CategoryBacklog, Role: RolePO, Promises: true,
			Decide: (*decision).removeItem, Observe: observeOpenItem[BacklogItemRemoved],
			Command: func(e Event, _ BacklogItemRemoved, _ []Event) Action { return RemoveItem{ID: e.Aggregate.ID} }},

		decidedEvent[RequestSubmitted, SubmitRequest]{Kind: KindRequest, Category: CategoryRequest, Creates: true,
			Decide: (*decision).submitRequest, Observe: observeSubmitted,
			Command: func(e Event, p RequestSubmitted, _ []Event) Action {
				return SubmitRequest{ID: e.Aggregate.ID, Title: p.Title, Detail: p.Detail, BusinessCase: p.BusinessCase, Repeats: p.Repeats}
			}},
		decidedEvent[RequestAccepted, AcceptRequest]{Kind: KindRequest, Category: CategoryRequest, Role: RolePO, Promises: true,
			Decide: (*decision).acceptRequest, Observe: observeUndecided[RequestAccepted], Command: acceptCommand},
		decidedEvent[RequestRejected, RejectRequest]{Kind: KindRequest, Category: CategoryRequest, Role: RolePO,
			Decide: (*decision).rejectRequest, Observe: observeUndecided[RequestRejected],
			Command: func(e Event, _ RequestRejected, _ []Event) Action {
				return RejectRequest{ID: e.Aggregate.ID, Reason: e.Reason}
			}},
		decidedEvent[RequestDeferred, DeferRequest]{Kind: KindRequest, Category: CategoryRequest, Role: RolePO,
			Decide: (*decision).deferRequest, Observe: observeUndecided[RequestDeferred],
			Command: func(e Event, p RequestDeferred, _ []Event) Action {
				return DeferRequest{ID: e.Aggregate.ID, Until: p.Until}
			}},
		decidedEvent[RequestWithdrawn, WithdrawRequest]{Kind: KindRequest, Category: CategoryRequest, Requester: true,
			Decide: (*decision).withdrawRequest,
			Command: func(e Event, _ RequestWithdrawn, _ []Event) Action {
				return WithdrawRequest{ID: e.Aggregate.ID}
			}},

		decidedEvent[BacklogItemEstimated, EstimateItem]{Kind: KindItem, Category: CategoryDelivery, Role: RoleTeam,
			Schema: SchemaBacklogItemEstimatedV2, Upcast: map[int]func(json.RawMessage) (Payload, error){SchemaV1: estimateV1},
			Decide: (*decision).estimateItem,
			Command: func(e Event, p BacklogItemEstimated, _ []Event) Action {
				return EstimateItem{ID: e.Aggregate.ID, Points: p.Points}
			}},
		decidedEvent[WorkStarted, StartWork]{Kind: KindItem, Category: CategoryDelivery, Role: RoleTeam,
			Decide: (*decision).startWork, Observe: observeOpenItem[WorkStarted],
			Command: func(e Event, _ WorkStarted, _ []Event) Action { return StartWork{ID: e.Aggregate.ID} }},
		decidedEvent[WorkDelivered, DeliverWork]{Kind: KindItem, Category: CategoryDelivery, Role: RoleTeam, Promises: true,
			Decide: (*decision).deliverWork, Observe: observeOpenItem[WorkDelivered],
			Command: func(e Event, p WorkDelivered, _ []Event) Action {
				return DeliverWork{ID: e.Aggregate.ID, Release: p.Release}
			}},

		importedEvent[BacklogItemUnplanned]{Kind: KindItem, Role: RolePO,
			Relinks: func(BacklogItemUnplanned) (string, bool) { return "", true }},
		importedEvent[WorkReopened]{Kind: KindItem, Role: RoleTeam, Observe: observeReopened},
		importedEvent[BacklogItemReparented]{Kind: KindItem, Role: RolePO, Observe: observeReparented},
	}
}

// revokeCommand rebuilds a revocation, or the PO handover it starts: a
// handover revokes the old PO and assigns the new one in one decision,
// and the assignment is the action.
func revokeCommand(_ Event, p RoleRevoked, group []Event) Action {
	if len(group) > 1 {
		if a, ok := group[len(group)-1].Data.(RoleAssigned); ok && a.Role == RolePO && p.Role == RolePO {
			return AssignRole{Actor: a.Actor, Role: a.Role}
		}
	}
	return RevokeRole{Actor: p.Actor, Role: p.Role}
}

// acceptCommand rebuilds an acceptance; the item it created, when it
// created one, supplies the title and roadmap the action named.
func acceptCommand(first Event, p RequestAccepted, group []Event) Action {
	id := first.Aggregate.ID
	a := AcceptRequest{ID: id, Item: p.Item}
	for _, e := range group[1:] {
		if added, ok := e.Data.(BacklogItemAdded); ok && e.Aggregate.ID == p.Item && added.Request == id {
			a.Title, a.Roadmap = added.Title, added.Roadmap
		}
	}
	return a
}

// Events lists the catalogue's entries in its order.
func Events() []EventSpec {
	out := make([]EventSpec, len(catalogue.list))
	for i, s := range catalogue.list {
		out[i] = *s
	}
	return out
}

// SpecOf returns the entry of event type typ, and whether the catalogue
// has one.
func SpecOf(typ string) (EventSpec, bool) {
	s, ok := catalogue.byType[typ]
	if !ok {
		return EventSpec{}, false
	}
	return *s, true
}

// EventTypes lists the event types, in the catalogue's order.
func EventTypes() []string {
	out := make([]string, len(catalogue.list))
	for i, s := range catalogue.list {
		out[i] = s.Type
	}
	return out
}

// Actions lists the verbs of the actions the catalogue's types answer
// ("product create", "item rank", ...), in the catalogue's order.
func Actions() []string {
	var out []string
	for _, s := range catalogue.list {
		if s.Answers != "" {
			out = append(out, s.Answers)
		}
	}
	return out
}

// Known reports whether p is a payload of the catalogue in the value
// form that Decode and Decide produce. Anything else (Unknown,
// Quarantined, nil, a pointer form) is something this version cannot
// read, or must not apply.
func Known(p Payload) bool { return specOf(p) != nil }

// specOf is the entry of payload p, nil when p is not a catalogue
// payload in its value form.
func specOf(p Payload) *EventSpec {
	if p == nil {
		return nil
	}
	s := catalogue.byType[p.EventType()]
	if s == nil || !s.is(p) {
		return nil
	}
	return s
}

// KindOfType is the kind of aggregate an event type is recorded on, ""
// for a type that is not in the catalogue.
func KindOfType(t string) AggregateKind {
	if s, ok := catalogue.byType[t]; ok {
		return s.Kind
	}
	return ""
}

// ShortType is the short name of an event type: the catalogue's Short
// for its types ("ranked" for BacklogItemRanked and RoadmapItemRanked),
// else the name's last word in lower case.
func ShortType(t string) string {
	if s, ok := catalogue.byType[t]; ok {
		return s.Short
	}
	return shortOf(t)
}

func shortOf(t string) string {
	i := strings.LastIndexFunc(t, unicode.IsUpper)
	if i < 0 {
		return strings.ToLower(t)
	}
	return strings.ToLower(t[i:])
}

// RequiredRole is the role the authority table requires to record an event
// of type typ; ok is false when any role will do (a submission).
func RequiredRole(typ string) (role Role, ok bool) {
	s, found := catalogue.byType[typ]
	if !found || s.Role == "" {
		return "", false
	}
	return s.Role, true
}

// SchemaOf is the schema version the ledger writes for an event type.
func SchemaOf(eventType string) int {
	if s, ok := catalogue.byType[eventType]; ok {
		return s.Schema
	}
	return SchemaV1
}

// RankPosition is where a rank decision moves its aggregate to; ok is
// false when p is no rank decision.
func RankPosition(p Payload) (pos Position, ok bool) {
	if s := specOf(p); s != nil && s.position != nil {
		return s.position(p), true
	}
	return Position{}, false
}

// Promises reports whether event e can change what say/do and compare
// count (EventSpec.Promises): an event of a type that Links does only
// when it relinks its item (a title refined changes no count); an event
// of a type the catalogue does not know may.
func Promises(e Event) bool {
	s, ok := SpecOf(e.Type)
	if !ok {
		return true
	}
	if !s.Promises {
		return false
	}
	if s.Links && e.Data != nil {
		_, relinks := Relinks(e.Data)
		return relinks
	}
	return true
}

// Relinks reports whether an event with payload p sets which roadmap
// item its backlog item serves, and which one ("" for none).
func Relinks(p Payload) (roadmap string, ok bool) {
	if s := specOf(p); s != nil && s.relinks != nil {
		return s.relinks(p)
	}
	return "", false
}

// entry is one declaration of the catalogue: a decidedEvent or an importedEvent.
type entry interface{ spec() *EventSpec }

// decidedEvent declares an event type that records a decision taken in the
// ledger: P is its payload, A the action it answers.
type decidedEvent[P Payload, A Action] struct {
	Kind      AggregateKind
	Category  Category
	Role      Role
	Requester bool
	Creates   bool
	// Promises: see EventSpec.Promises.
	Promises bool
	// Schema is the current schema when it is past SchemaV1, and Upcast
	// reads each older one.
	Schema int
	Upcast map[int]func(json.RawMessage) (Payload, error)
	// Decide takes the action's decision (product.go, roadmap.go,
	// backlog.go, request.go).
	Decide func(*decision, A) ([]Event, error)
	// Command rebuilds the action from the decision's stored events:
	// first, of this type, starts it; group is all of them. The gate
	// runs Decide again on it.
	Command func(first Event, p P, group []Event) Action
	// Observe checks an imported event of the type beyond what every
	// imported event is checked for (Observe in imported.go); nil when
	// there is nothing more.
	Observe func(s *State, e Event, p P) error
	// Position is where a rank decision moves its aggregate; set for rank
	// decisions only.
	Position func(P) Position
	// Relinks says which roadmap item the event makes its backlog item
	// serve, when it changes that.
	Relinks func(P) (string, bool)
}

func (d decidedEvent[P, A]) spec() *EventSpec {
	if d.Decide == nil || d.Command == nil {
		var zero P
		panic(fmt.Sprintf("domain: decided event type %s needs Decide and Command", zero.EventType()))
	}
	s := payloadSpec[P](d.Kind, d.Category, d.Role, d.Schema, d.Upcast, d.Observe, d.Position, d.Relinks)
	s.Requester, s.Creates, s.Promises = d.Requester, d.Creates, d.Promises
	var a A
	s.Answers = a.Verb()
	decide, command := d.Decide, d.Command
	s.decide = func(dc *decision, act Action) ([]Event, error) {
		a, ok := act.(A)
		if !ok {
			return nil, invalid("action", "unknown decision %T", act)
		}
		return decide(dc, a)
	}
	s.command = func(first Event, group []Event) Action { return command(first, first.Data.(P), group) }
	return s
}

// importedEvent declares an event type that only an import records: what a
// tracker records and the v1 catalogue cannot say.
type importedEvent[P Payload] struct {
	Kind    AggregateKind
	Role    Role
	Observe func(s *State, e Event, p P) error
	Relinks func(P) (string, bool)
}

func (o importedEvent[P]) spec() *EventSpec {
	s := payloadSpec[P](o.Kind, CategoryImport, o.Role, 0, nil, o.Observe, nil, o.Relinks)
	s.Promises = true
	return s
}

// payloadSpec fills in what every entry derives from its payload type.
func payloadSpec[P Payload](kind AggregateKind, cat Category, role Role, schema int,
	upcast map[int]func(json.RawMessage) (Payload, error),
	observe func(*State, Event, P) error, position func(P) Position, relinks func(P) (string, bool)) *EventSpec {
	var zero P
	s := &EventSpec{Type: zero.EventType(), Schema: max(schema, SchemaV1), Kind: kind, Category: cat, Role: role,
		Short: shortOf(zero.EventType()), upcast: upcast,
		newPayload: func() Payload { return any(new(P)).(Payload) },
		deref:      func(p Payload) Payload { return *any(p).(*P) },
		typed:      decodeTyped[P],
		is:         func(p Payload) bool { _, ok := p.(P); return ok },
	}
	if observe != nil {
		s.observe = func(st *State, e Event) error { return observe(st, e, e.Data.(P)) }
	}
	if position != nil {
		s.Ranks = true
		s.position = func(p Payload) Position { return position(p.(P)) }
	}
	if relinks != nil {
		s.Links = true
		s.relinks = func(p Payload) (string, bool) { return relinks(p.(P)) }
	}
	return s
}

// events is the catalogue: its entries in order, by type, and the
// deciders by the verb of the action they take.
type events struct {
	list     []*EventSpec
	byType   map[string]*EventSpec
	deciders map[string]*EventSpec
}

// newCatalogue builds the catalogue from its declarations. A type or a
// verb declared twice, or an entry without what its kind of entry needs,
// is a mistake in this file: it panics when the package loads, so that no
// test or binary runs with it.
func newCatalogue(entries ...entry) events {
	c := events{byType: map[string]*EventSpec{}, deciders: map[string]*EventSpec{}}
	for _, e := range entries {
		s := e.spec()
		if s.Type == "" || !s.Kind.valid() || s.Category == "" {
			panic(fmt.Sprintf("domain: catalogue entry %q needs a type, an aggregate kind and a category", s.Type))
		}
		if _, dup := c.byType[s.Type]; dup {
			panic(fmt.Sprintf("domain: event type %s is in the catalogue twice", s.Type))
		}
		if s.Role != "" && !s.Role.Valid() {
			panic(fmt.Sprintf("domain: event type %s names role %q", s.Type, s.Role))
		}
		if s.Answers != "" {
			if _, dup := c.deciders[s.Answers]; dup {
				panic(fmt.Sprintf("domain: action %q is answered by two event types", s.Answers))
			}
			c.deciders[s.Answers] = s
		}
		c.byType[s.Type] = s
		c.list = append(c.list, s)
	}
	return c
}
