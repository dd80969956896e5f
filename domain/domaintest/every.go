// Package domaintest holds what the tests of every package share about
// the domain: a history in which every event type of the catalogue
// occurs, each event exactly what the rules make of its decision or
// import, so that a test can run every type through its folds. It
// imports only domain.
package domaintest

import (
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Product is the product EveryType's history is about.
const Product = "every"

// Start is the business time of EveryType's first event; each later
// step is an hour after the one before it.
var Start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// step is one decision (Action) or one imported event (Data) of the
// history.
type step struct {
	actor  string
	why    string
	action domain.Action
	// An imported event: its payload and aggregate.
	data domain.Payload
	kind domain.AggregateKind
	id   string
}

// steps is the history: the product with its roles, a roadmap, a
// backlog with an epic, requests accepted (into a new item and into one
// planned already), rejected, deferred and withdrawn, delivery, what
// only an import records, and a PO handover.
// A new event type needs a step here; TestEveryTypeOccurs (in domain)
// says so.
var steps = []step{
	{actor: "pam", action: domain.CreateProduct{Name: "Every type", PM: "pam", PO: "olga"}},
	{actor: "pam", why: "The team", action: domain.AssignRole{Actor: "tom", Role: domain.RoleTeam}},
	{actor: "pam", why: "Voice of sales", action: domain.AssignRole{Actor: "sally", Role: domain.RoleStakeholder}},
	{actor: "pam", why: "Board review", action: domain.StateVision{Vision: "Every decision on record", Metrics: []string{"say/do 80%"}}},
	{actor: "olga", why: "Focus", action: domain.SetGoal{Goal: "Ship R1"}},
	{actor: "pam", why: "Top ask", action: domain.PlanRoadmapItem{ID: "R1", Title: "One-click pay", Objective: "Fewer drop-offs", Period: "2026-Q2"}},
	{actor: "pam", why: "Enterprise deals", action: domain.PlanRoadmapItem{ID: "R2", Title: "Single sign-on", Period: "2026-Q3"}},
	{actor: "olga", action: domain.AddItem{ID: "EPIC-1", Title: "Payments", Kind: domain.ItemEpic}},
	{actor: "olga", action: domain.AddItem{ID: "A-1", Title: "Card form", Kind: domain.ItemStory, Epic: "EPIC-1", Roadmap: "R1"}},
	{actor: "olga", action: domain.AddItem{ID: "A-2", Title: "Wallets", Roadmap: "R1"}},
	{actor: "olga", action: domain.AddItem{ID: "A-4", Title: "Saved cards", Roadmap: "R2"}},
	{actor: "olga", action: domain.AddItem{ID: "A-5", Title: "Receipts", Kind: domain.ItemBug}},
	{actor: "pam", why: "Vendor early", action: domain.RescheduleRoadmapItem{ID: "R2", Period: "2026-Q2"}},
	{actor: "pam", why: "Deals first", action: domain.RankRoadmapItem{ID: "R2", Position: domain.Position{Place: domain.PlaceTop}}},
	{actor: "olga", why: "Scope after review", action: domain.RefineItem{ID: "A-2", Title: "Wallets (EU)", Roadmap: "R2"}},
	{actor: "olga", why: "Part of one-click", action: domain.RefineItem{ID: "A-5", Roadmap: "R1"}},
	{actor: "olga", why: "Highest RICE", action: domain.RankItem{ID: "A-2", Position: domain.Position{Place: domain.PlaceTop},
		Score: &domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": 500, "impact": 2, "confidence": 0.8, "effort": 3}}}},
	{actor: "tom", action: domain.EstimateItem{ID: "A-1", Points: 3}},
	{actor: "tom", action: domain.StartWork{ID: "A-1"}},
	{actor: "tom", action: domain.DeliverWork{ID: "A-1", Release: "1.0"}},
	{actor: "tom", action: domain.DeliverWork{ID: "A-5"}},
	{actor: "sally", why: "Lost two deals", action: domain.SubmitRequest{ID: "Q-1", Title: "PayPal", BusinessCase: "Lost two deals"}},
	{actor: "olga", why: "Fits the goal", action: domain.AcceptRequest{ID: "Q-1", Item: "A-3", Roadmap: "R1"}},
	{actor: "sally", why: "Customers ask", action: domain.SubmitRequest{ID: "Q-4", Title: "Remember my card", BusinessCase: "Customers ask"}},
	{actor: "olga", why: "Planned already", action: domain.AcceptRequest{ID: "Q-4", Item: "A-4"}},
	{actor: "sally", action: domain.SubmitRequest{ID: "Q-2", Title: "Fax orders"}},
	{actor: "olga", why: "Nobody faxes", action: domain.RejectRequest{ID: "Q-2", Reason: domain.ReasonLowValue}},
	{actor: "sally", action: domain.SubmitRequest{ID: "Q-3", Title: "Crypto"}},
	{actor: "olga", why: "After the freeze", action: domain.DeferRequest{ID: "Q-3", Until: "2026-09-01"}},
	{actor: "sally", why: "Solved elsewhere", action: domain.WithdrawRequest{ID: "Q-3"}},
	{actor: "olga", why: "Superseded by A-3", action: domain.RemoveItem{ID: "A-2"}},
	{actor: "olga", why: "Milestone cleared in triage", data: domain.BacklogItemUnplanned{Roadmap: "R2"}, kind: domain.KindItem, id: "A-4"},
	{actor: "olga", why: "Epic Link changed", data: domain.BacklogItemReparented{Epic: "EPIC-1"}, kind: domain.KindItem, id: "A-4"},
	{actor: "tom", why: "Regressed in beta", data: domain.WorkReopened{Release: "1.0"}, kind: domain.KindItem, id: "A-1"},
	{actor: "pam", why: "Market moved", action: domain.DropRoadmapItem{ID: "R2"}},
	{actor: "pam", why: "Olga moved teams", action: domain.AssignRole{Actor: "nina", Role: domain.RolePO}},
	{actor: "pam", why: "Sales voice rotates", action: domain.RevokeRole{Actor: "sally", Role: domain.RoleStakeholder}},
}

// EveryType returns the history of product Product: each event what
// Decide or Observe makes of its step, in order, with Seq from 1, so
// that the validating fold admits every one. Every event type of the
// catalogue occurs in it at least once. It panics if the rules refuse a
// step: the history is a fixture, and a rule that changed must change it.
func EveryType() []domain.Event {
	s := domain.NewState(Product)
	var out []domain.Event
	for i, st := range steps {
		c := st.command(i)
		at, cmdID := c.At, c.ID
		var evs []domain.Event
		if st.action != nil {
			decided, err := domain.Decide(s, c, at)
			if err != nil {
				panic(fmt.Sprintf("domaintest: step %d (%s): %v", i+1, st.action.Verb(), err))
			}
			evs = decided
		} else {
			e := domain.Event{ID: domain.EventID(Product, cmdID, at, 0), Product: Product,
				Aggregate: domain.Aggregate{Kind: st.kind, ID: st.id}, Actor: domain.Actor{ID: st.actor},
				OccurredAt: at, Why: st.why, Data: st.data, CommandID: cmdID,
				Source: &domain.Source{System: "jira", Key: "EVERY-" + st.id, Change: fmt.Sprint(i + 1)}}
			ob, err := domain.Observe(s, e)
			if err != nil {
				panic(fmt.Sprintf("domaintest: step %d (%s): %v", i+1, st.data.EventType(), err))
			}
			evs = []domain.Event{ob}
		}
		for _, e := range evs {
			e.Seq = uint64(len(out) + 1)
			s.Apply(e)
			out = append(out, e)
		}
	}
	return out
}

// Commands returns the decisions of EveryType's history as the commands
// that take them, in order (the imported events aside): one of every
// action the catalogue answers.
func Commands() []domain.Command {
	var out []domain.Command
	for i, st := range steps {
		if st.action != nil {
			out = append(out, st.command(i))
		}
	}
	return out
}

// command is the i-th step as a command: its id and time follow from i.
func (st step) command(i int) domain.Command {
	return domain.Command{ID: fmt.Sprintf("every-%02d", i+1), Product: Product, Actor: st.actor,
		At: Start.Add(time.Duration(i) * time.Hour), Why: st.why, Action: st.action}
}

// Missing lists the catalogue's event types that events lack, in the
// catalogue's order.
func Missing(events []domain.Event) []string {
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Type] = true
	}
	var out []string
	for _, t := range domain.EventTypes() {
		if !seen[t] {
			out = append(out, t)
		}
	}
	return out
}
