package domain

// The payloads of the v1 event catalogue (catalogue.go holds each type's
// entry). Field names and meanings never change once published: a new
// shape is a new schema version. Decision rationale (why) and the reject
// reason code live in the envelope, not here.

// Event type names.
const (
	TypeProductCreated         = "ProductCreated"
	TypeRoleAssigned           = "RoleAssigned"
	TypeRoleRevoked            = "RoleRevoked"
	TypeVisionStated           = "VisionStated"
	TypeProductGoalSet         = "ProductGoalSet"
	TypeRoadmapItemPlanned     = "RoadmapItemPlanned"
	TypeRoadmapItemRescheduled = "RoadmapItemRescheduled"
	TypeRoadmapItemRanked      = "RoadmapItemRanked"
	TypeRoadmapItemDropped     = "RoadmapItemDropped"
	TypeBacklogItemAdded       = "BacklogItemAdded"
	TypeBacklogItemRefined     = "BacklogItemRefined"
	TypeBacklogItemRanked      = "BacklogItemRanked"
	TypeBacklogItemRemoved     = "BacklogItemRemoved"
	TypeRequestSubmitted       = "RequestSubmitted"
	TypeRequestAccepted        = "RequestAccepted"
	TypeRequestRejected        = "RequestRejected"
	TypeRequestDeferred        = "RequestDeferred"
	TypeRequestWithdrawn       = "RequestWithdrawn"
	TypeBacklogItemEstimated   = "BacklogItemEstimated"
	TypeWorkStarted            = "WorkStarted"
	TypeWorkDelivered          = "WorkDelivered"
)

// ProductCreated starts a product and names its first PM and PO.
type ProductCreated struct {
	Name string `json:"name"`
	PM   string `json:"pm"`
	PO   string `json:"po"`
}

// RoleAssigned gives an actor a role on the product.
type RoleAssigned struct {
	Actor string `json:"actor"`
	Role  Role   `json:"role"`
}

// RoleRevoked takes a role away from an actor.
type RoleRevoked struct {
	Actor string `json:"actor"`
	Role  Role   `json:"role"`
}

// VisionStated records the PM's vision and success metrics.
type VisionStated struct {
	Vision  string   `json:"vision"`
	Metrics []string `json:"metrics,omitempty"`
}

// ProductGoalSet records the PO's product goal.
type ProductGoalSet struct {
	Goal string `json:"goal"`
}

// RoadmapItemPlanned puts an item on the roadmap for a period (2027-Q1).
type RoadmapItemPlanned struct {
	Title     string `json:"title"`
	Objective string `json:"objective,omitempty"`
	Period    string `json:"period"`
}

// RoadmapItemRescheduled moves a roadmap item to another period.
type RoadmapItemRescheduled struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Placement names where a ranked item moves to. A relative move keeps
// ranks meaningful however often the order changes.
type Placement string

// The placements of a rank decision.
const (
	PlaceTop    Placement = "top"
	PlaceBottom Placement = "bottom"
	PlaceAbove  Placement = "above"
	PlaceBelow  Placement = "below"
)

// Position is a relative move: to the top, to the bottom, or above or
// below another item (Ref).
type Position struct {
	Place Placement `json:"place"`
	Ref   string    `json:"ref,omitempty"`
}

// RoadmapItemRanked moves a roadmap item in the PM's strategic order.
type RoadmapItemRanked struct {
	Position Position `json:"position"`
}

// RoadmapItemDropped takes an item off the roadmap for good.
type RoadmapItemDropped struct{}

// ItemKind is the kind of a backlog item.
type ItemKind string

// The backlog item kinds.
const (
	ItemStory ItemKind = "story"
	ItemEpic  ItemKind = "epic"
	ItemBug   ItemKind = "bug"
	ItemSpike ItemKind = "spike"
)

// ItemKinds lists every backlog item kind.
var ItemKinds = []ItemKind{ItemStory, ItemEpic, ItemBug, ItemSpike}

// BacklogItemAdded adds an item to the bottom of the backlog.
type BacklogItemAdded struct {
	Title   string   `json:"title"`
	Kind    ItemKind `json:"kind"`
	Detail  string   `json:"detail,omitempty"`
	Epic    string   `json:"epic,omitempty"`
	Roadmap string   `json:"roadmap,omitempty"`
	Request string   `json:"request,omitempty"`
}

// BacklogItemRefined changes an item's scope; empty fields are unchanged.
type BacklogItemRefined struct {
	Title   string `json:"title,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Roadmap string `json:"roadmap,omitempty"`
}

// Score is a prioritisation score's provenance: the framework and its
// inputs. The value is recomputed by the projections with a named,
// versioned formula, never stored.
type Score struct {
	Framework string             `json:"framework"`
	Inputs    map[string]float64 `json:"inputs"`
}

// BacklogItemRanked moves an item in the backlog order, optionally with
// the score that supports the move.
type BacklogItemRanked struct {
	Position Position `json:"position"`
	Score    *Score   `json:"score,omitempty"`
}

// BacklogItemRemoved takes an item out of the backlog for good.
type BacklogItemRemoved struct{}

// RequestSubmitted records a stakeholder's ask.
type RequestSubmitted struct {
	Title        string `json:"title"`
	Detail       string `json:"detail,omitempty"`
	BusinessCase string `json:"businessCase,omitempty"`
	Requester    string `json:"requester"`
	Repeats      string `json:"repeats,omitempty"`
}

// RequestAccepted records the PO's yes and the backlog item it became.
type RequestAccepted struct {
	Item string `json:"item"`
}

// RequestRejected records the PO's no; the reason code and why are in
// the envelope.
type RequestRejected struct{}

// RequestDeferred postpones the decision until a date (YYYY-MM-DD).
type RequestDeferred struct {
	Until string `json:"until"`
}

// RequestWithdrawn records the requester taking their request back.
type RequestWithdrawn struct{}

// BacklogItemEstimated records the team's estimate in points.
type BacklogItemEstimated struct {
	Points float64 `json:"points"`
}

// WorkStarted records the team starting an item.
type WorkStarted struct{}

// WorkDelivered records the team delivering an item.
type WorkDelivered struct {
	Release string `json:"release,omitempty"`
}

// EventType implementations.
func (ProductCreated) EventType() string         { return TypeProductCreated }
func (RoleAssigned) EventType() string           { return TypeRoleAssigned }
func (RoleRevoked) EventType() string            { return TypeRoleRevoked }
func (VisionStated) EventType() string           { return TypeVisionStated }
func (ProductGoalSet) EventType() string         { return TypeProductGoalSet }
func (RoadmapItemPlanned) EventType() string     { return TypeRoadmapItemPlanned }
func (RoadmapItemRescheduled) EventType() string { return TypeRoadmapItemRescheduled }
func (RoadmapItemRanked) EventType() string      { return TypeRoadmapItemRanked }
func (RoadmapItemDropped) EventType() string     { return TypeRoadmapItemDropped }
func (BacklogItemAdded) EventType() string       { return TypeBacklogItemAdded }
func (BacklogItemRefined) EventType() string     { return TypeBacklogItemRefined }
func (BacklogItemRanked) EventType() string      { return TypeBacklogItemRanked }
func (BacklogItemRemoved) EventType() string     { return TypeBacklogItemRemoved }
func (RequestSubmitted) EventType() string       { return TypeRequestSubmitted }
func (RequestAccepted) EventType() string        { return TypeRequestAccepted }
func (RequestRejected) EventType() string        { return TypeRequestRejected }
func (RequestDeferred) EventType() string        { return TypeRequestDeferred }
func (RequestWithdrawn) EventType() string       { return TypeRequestWithdrawn }
func (BacklogItemEstimated) EventType() string   { return TypeBacklogItemEstimated }
func (WorkStarted) EventType() string            { return TypeWorkStarted }
func (WorkDelivered) EventType() string          { return TypeWorkDelivered }
