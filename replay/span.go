package replay

import (
	"context"
	"fmt"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// span is a product's history between two positions: the views as they
// stood at each end and every event in between with what it did to ranks,
// links and roadmap statuses, which the compare and diff rules read.
type span struct {
	from, to      Result
	before, after *Views
	steps         []step
}

// rankChange is an item's rank before and after a rank decision.
type rankChange struct {
	Old, New int
	Roadmap  string // the roadmap item the item served then
	Period   string // for roadmap items: the period ranked within
}

// step is one event of the span and its effects.
type step struct {
	e domain.Event
	// roadmap is, for a backlog item event, the roadmap item the item
	// served before and after it.
	roadmap [2]string
	// ranks are, for a rank decision, the items whose rank it changed.
	ranks map[string]rankChange
	// status is, for the roadmap items the event touched, their status
	// before and after it, when it changed.
	status map[string][2]projections.RoadmapStatus
}

// walk builds the views at t0 (from snapshots when it can), copies them,
// and folds the events up to t1, recording each step.
func walk(ctx context.Context, src Source, snaps SnapshotReader, product string, t0, t1 Position) (*span, error) {
	v, from, err := AsOfViews(ctx, src, snaps, product, t0)
	if err != nil {
		return nil, err
	}
	switch {
	case t1.Seq != 0 && t1.Seq < from.Seq,
		!t1.At.IsZero() && from.At != nil && from.At.After(t1.At):
		return nil, &domain.Error{Kind: domain.KindInvalid, Field: "to",
			Msg: fmt.Sprintf("the later position %s is before the earlier one %s", t1, t0)}
	}
	before, err := v.clone()
	if err != nil {
		return nil, err
	}
	sp := &span{from: from, before: before, after: v}
	to := from
	to.AsOf = t1
	to.Warnings = append([]string(nil), from.Warnings...)
	err = foldUpTo(ctx, src, product, v.Position(), t1, &to, v, nil, func(e domain.Event) error {
		sp.steps = append(sp.steps, fold(v, e))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading product %q from %s to %s: %w", product, t0, t1, err)
	}
	sp.to = to
	return sp, nil
}

// fold applies e to v and says what it changed.
func fold(v *Views, e domain.Event) step {
	s := step{e: e}
	id := e.Aggregate.ID
	var rankedBefore map[string]rankChange
	touched := []string{}
	switch p := e.Data.(type) {
	case domain.BacklogItemRanked:
		rankedBefore = openRanks(v.Backlog)
	case domain.RoadmapItemRanked:
		rankedBefore = roadmapRanks(v.Roadmap)
	case domain.BacklogItemAdded:
		touched = append(touched, p.Roadmap)
	}
	if e.Aggregate.Kind == domain.KindItem {
		if it, ok := v.Backlog.Item(id); ok {
			s.roadmap[0] = it.Roadmap
			touched = append(touched, it.Roadmap)
		}
	}
	if e.Aggregate.Kind == domain.KindRoadmap {
		touched = append(touched, id)
	}
	statusBefore := map[string]projections.RoadmapStatus{}
	for _, r := range touched {
		if it, ok := v.Roadmap.Item(r); ok {
			statusBefore[r] = it.Status
		}
	}

	v.Apply(e)

	if e.Aggregate.Kind == domain.KindItem {
		if it, ok := v.Backlog.Item(id); ok {
			s.roadmap[1] = it.Roadmap
			touched = append(touched, it.Roadmap)
		}
	}
	if rankedBefore != nil {
		after := openRanks(v.Backlog)
		if _, ok := e.Data.(domain.RoadmapItemRanked); ok {
			after = roadmapRanks(v.Roadmap)
		}
		s.ranks = map[string]rankChange{}
		for x, a := range after {
			if b, ok := rankedBefore[x]; ok && b.New != a.New && b.Period == a.Period {
				s.ranks[x] = rankChange{Old: b.New, New: a.New, Roadmap: a.Roadmap, Period: a.Period}
			}
		}
	}
	for _, r := range touched {
		it, ok := v.Roadmap.Item(r)
		if !ok {
			continue
		}
		if old, had := statusBefore[r]; !had || old != it.Status {
			if s.status == nil {
				s.status = map[string][2]projections.RoadmapStatus{}
			}
			s.status[r] = [2]projections.RoadmapStatus{old, it.Status}
		}
	}
	return s
}

// openRanks maps every open backlog item to its rank (in New) and the
// roadmap item it serves.
func openRanks(b *projections.Backlog) map[string]rankChange {
	out := map[string]rankChange{}
	for _, it := range b.Items() {
		if it.Status.Open() {
			out[it.ID] = rankChange{New: it.Rank, Roadmap: it.Roadmap}
		}
	}
	return out
}

// roadmapRanks maps every roadmap item to its rank within its period.
func roadmapRanks(r *projections.Roadmap) map[string]rankChange {
	out := map[string]rankChange{}
	for _, p := range r.Periods() {
		for _, it := range p.Items {
			out[it.ID] = rankChange{New: it.Rank, Period: p.Name}
		}
	}
	return out
}

// Decision is a recorded decision as compare and diff cite it: who
// decided what, in which role, when and why, and what it did to the
// item it is cited for.
type Decision struct {
	projections.Citation
	Subject string            `json:"subject"`
	Reason  domain.ReasonCode `json:"reason,omitempty"`
	// Effect says in words what the decision did to the item it is cited
	// for: "rescheduled 2026-Q2 -> 2026-Q3", "pushed down BNPL-1 11 -> 12".
	Effect string `json:"effect"`
}

func decisionOf(e domain.Event, effect string) Decision {
	return Decision{Citation: projections.CitationOf(e), Subject: e.Aggregate.ID, Reason: e.Reason, Effect: effect}
}

// placement says where a rank decision put its item: "WAL-4 to the
// bottom", "RCP-2 above BNPL-1".
func placement(id string, p domain.Position) string {
	switch p.Place {
	case domain.PlaceTop:
		return id + " to the top"
	case domain.PlaceBottom:
		return id + " to the bottom"
	}
	return id + " " + string(p.Place) + " " + p.Ref
}

func positionOf(e domain.Event) domain.Position {
	switch p := e.Data.(type) {
	case domain.BacklogItemRanked:
		return p.Position
	case domain.RoadmapItemRanked:
		return p.Position
	}
	return domain.Position{}
}
