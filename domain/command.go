package domain

import "time"

// Command is one decision someone asks the ledger to record.
type Command struct {
	// ID identifies the command; a retry with the same id is recorded once.
	ID string
	// Product the decision is about.
	Product string
	// Actor who decides; the role they act in is derived from the roles
	// the ledger records for them at the time of the decision.
	Actor string
	// At is the business time of the decision; zero means now. It may be
	// earlier than now (a decision taken in a meeting), never earlier than
	// the product's latest event.
	At time.Time
	// Why is the rationale; required for decisions that change priority,
	// scope or a request's fate.
	Why string
	// Action is what is decided.
	Action Action
	// RelayedBy is who relayed the decision for Actor: an identity with
	// the right to act for others (an importer, a bot, the CLI on the
	// machine that holds the data directory); "" when the actor decided
	// through a credential of their own, or in local mode. The edges set
	// it from how the caller signed in, never from what a request says.
	RelayedBy string
}

// Action is the decision-specific part of a command.
type Action interface {
	// Verb is how people call the action: the CLI command that issues it.
	Verb() string
}

// Product actions.
type (
	// CreateProduct starts a product, naming its first PM and PO.
	CreateProduct struct{ Name, PM, PO string }
	// AssignRole gives an actor a role. Assigning po to someone while
	// another actor is PO is a handover: the old PO's role is revoked in
	// the same atomic decision.
	AssignRole struct {
		Actor string
		Role  Role
	}
	// RevokeRole takes a role away from an actor.
	RevokeRole struct {
		Actor string
		Role  Role
	}
	// StateVision records the vision and success metrics.
	StateVision struct {
		Vision  string
		Metrics []string
	}
	// SetGoal records the product goal.
	SetGoal struct{ Goal string }
)

// Roadmap actions.
type (
	// PlanRoadmapItem puts an item on the roadmap.
	PlanRoadmapItem struct{ ID, Title, Objective, Period string }
	// RescheduleRoadmapItem moves an item to another period.
	RescheduleRoadmapItem struct{ ID, Period string }
	// DropRoadmapItem drops an item from the roadmap.
	DropRoadmapItem struct{ ID string }
	// RankRoadmapItem moves an item in the PM's order.
	RankRoadmapItem struct {
		ID       string
		Position Position
	}
)

// Backlog actions.
type (
	// AddItem adds a backlog item at the bottom.
	AddItem struct {
		ID, Title string
		Kind      ItemKind
		Detail    string
		Epic      string
		Roadmap   string
	}
	// RefineItem changes an item's title, detail or roadmap item.
	RefineItem struct{ ID, Title, Detail, Roadmap string }
	// RankItem moves an item in the backlog order.
	RankItem struct {
		ID       string
		Position Position
		Score    *Score
	}
	// RemoveItem removes an item from the backlog.
	RemoveItem struct{ ID string }
)

// Delivery actions.
type (
	// EstimateItem records the team's estimate.
	EstimateItem struct {
		ID     string
		Points float64
	}
	// StartWork records the team starting an item.
	StartWork struct{ ID string }
	// DeliverWork records the team delivering an item.
	DeliverWork struct{ ID, Release string }
)

// Request actions.
type (
	// SubmitRequest records a request; Repeats names an earlier request it
	// re-submits.
	SubmitRequest struct{ ID, Title, Detail, BusinessCase, Repeats string }
	// AcceptRequest accepts a request into a backlog item, creating the
	// item (Title, Roadmap) when it does not exist yet.
	AcceptRequest struct{ ID, Item, Title, Roadmap string }
	// RejectRequest turns a request down with a reason code.
	RejectRequest struct {
		ID     string
		Reason ReasonCode
	}
	// DeferRequest postpones the decision until a date (YYYY-MM-DD).
	DeferRequest struct{ ID, Until string }
	// WithdrawRequest is the requester taking a request back.
	WithdrawRequest struct{ ID string }
)

// Verb implementations.
func (CreateProduct) Verb() string         { return "product create" }
func (AssignRole) Verb() string            { return "role assign" }
func (RevokeRole) Verb() string            { return "role revoke" }
func (StateVision) Verb() string           { return "vision set" }
func (SetGoal) Verb() string               { return "goal set" }
func (PlanRoadmapItem) Verb() string       { return "roadmap plan" }
func (RescheduleRoadmapItem) Verb() string { return "roadmap reschedule" }
func (DropRoadmapItem) Verb() string       { return "roadmap drop" }
func (RankRoadmapItem) Verb() string       { return "roadmap rank" }
func (AddItem) Verb() string               { return "item add" }
func (RefineItem) Verb() string            { return "item refine" }
func (RankItem) Verb() string              { return "item rank" }
func (RemoveItem) Verb() string            { return "item remove" }
func (EstimateItem) Verb() string          { return "item estimate" }
func (StartWork) Verb() string             { return "item start" }
func (DeliverWork) Verb() string           { return "item deliver" }
func (SubmitRequest) Verb() string         { return "request submit" }
func (AcceptRequest) Verb() string         { return "request accept" }
func (RejectRequest) Verb() string         { return "request reject" }
func (DeferRequest) Verb() string          { return "request defer" }
func (WithdrawRequest) Verb() string       { return "request withdraw" }
