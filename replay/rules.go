package replay

import (
	"fmt"

	"github.com/decisionledger/ledger/domain"
)

// The rules of diff and compare for each event type, in one place: each
// is a domain.Fold that gives every type of the event catalogue a case
// or says it has nothing to do with it, so that a new event type fails
// TestEveryTypeThroughDiffAndCompare until every rule has said what the
// type means to it.

// itemChange is what itemChangeFold makes of a decision about a backlog
// item: which of diff's lists of changes it explains, and how it reads.
type itemChange struct {
	change string // changeAdded, changeRemoved or changeStatus
	effect string
}

// The lists of item changes a decision explains.
const (
	changeAdded   = "added"
	changeRemoved = "removed"
	changeStatus  = "status"
)

// itemChangeFold says, for each type of event about a backlog item,
// which change it explains in a diff. Rank decisions explain moves (see
// moves), which take the whole backlog into account.
var itemChangeFold = domain.NewFold("diff's item changes (Diff)",
	domain.On(func(c *itemChange, _ domain.Event, p domain.BacklogItemAdded) {
		*c = itemChange{changeAdded, "added" + fromTo(" to ", p.Roadmap)}
	}),
	domain.On(func(c *itemChange, _ domain.Event, _ domain.BacklogItemRemoved) {
		*c = itemChange{changeRemoved, "removed"}
	}),
	domain.On(func(c *itemChange, _ domain.Event, _ domain.WorkStarted) { *c = itemChange{changeStatus, "started"} }),
	domain.On(func(c *itemChange, _ domain.Event, _ domain.WorkDelivered) {
		*c = itemChange{changeStatus, "delivered"}
	}),
	domain.Skip[*itemChange](domain.TypeBacklogItemRefined, domain.TypeBacklogItemRanked, domain.TypeBacklogItemEstimated,
		domain.TypeBacklogItemUnplanned, domain.TypeBacklogItemReparented, domain.TypeWorkReopened),
	domain.SkipKinds[*itemChange](domain.KindProduct, domain.KindRoadmap, domain.KindRequest),
)

// periodStep is what periodFold folds a step into: the judgement, and
// the period each roadmap item is planned for so far.
type periodStep struct {
	j       judgement
	periods map[string]string
	s       step
}

// periodFold follows the period each roadmap item is planned for, and
// notes the period each backlog item was delivered in.
var periodFold = domain.NewFold("compare's periods (span.judgement)",
	domain.On(func(w periodStep, e domain.Event, p domain.RoadmapItemPlanned) { w.periods[e.Aggregate.ID] = p.Period }),
	domain.On(func(w periodStep, e domain.Event, p domain.RoadmapItemRescheduled) { w.periods[e.Aggregate.ID] = p.To }),
	domain.On(func(w periodStep, e domain.Event, _ domain.WorkDelivered) {
		w.j.itemIn[e.Aggregate.ID] = w.periods[w.s.roadmap[0]]
	}),
	domain.Skip[periodStep](domain.TypeRoadmapItemRanked, domain.TypeRoadmapItemDropped,
		domain.TypeBacklogItemAdded, domain.TypeBacklogItemRefined, domain.TypeBacklogItemRanked, domain.TypeBacklogItemRemoved,
		domain.TypeBacklogItemEstimated, domain.TypeWorkStarted,
		domain.TypeBacklogItemUnplanned, domain.TypeBacklogItemReparented, domain.TypeWorkReopened),
	domain.SkipKinds[periodStep](domain.KindProduct, domain.KindRequest),
)

// roadmapCause is what roadmapCauseFold folds a step into: the roadmap
// item r whose causes are sought, and the causes found.
type roadmapCause struct {
	r   string
	s   step
	out []Decision
}

func (c *roadmapCause) cite(e domain.Event, effect string) {
	c.out = append(c.out, decisionOf(e, effect))
}

// roadmapCauseFold says, for each event type, whether and how a decision
// moved roadmap item r away from its plan (roadmapCauses).
var roadmapCauseFold = domain.NewFold("compare's causes for a roadmap item (roadmapCauses)",
	domain.On(func(c *roadmapCause, e domain.Event, p domain.RoadmapItemRescheduled) {
		if e.Aggregate.ID == c.r {
			c.cite(e, "rescheduled "+p.From+" -> "+p.To)
		}
	}),
	domain.On(func(c *roadmapCause, e domain.Event, _ domain.RoadmapItemDropped) {
		if e.Aggregate.ID == c.r {
			c.cite(e, "dropped")
		}
	}),
	domain.On(func(c *roadmapCause, e domain.Event, p domain.RoadmapItemRanked) {
		if rc, ok := c.s.ranks[c.r]; ok && rc.New > rc.Old {
			c.cite(e, fmt.Sprintf("%s: %s %d -> %d in %s", placement(e.Aggregate.ID, p.Position), c.r, rc.Old, rc.New, rc.Period))
		}
	}),
	domain.On(func(c *roadmapCause, e domain.Event, p domain.BacklogItemAdded) {
		if p.Roadmap == c.r {
			c.cite(e, "added "+e.Aggregate.ID)
		}
	}),
	domain.On(func(c *roadmapCause, e domain.Event, _ domain.BacklogItemRefined) {
		id, s, r := e.Aggregate.ID, c.s, c.r
		switch {
		case s.roadmap[1] == r && s.roadmap[0] != r:
			c.cite(e, "moved "+id+" here"+fromTo(" from ", s.roadmap[0]))
		case s.roadmap[0] == r && s.roadmap[1] != r:
			c.cite(e, "moved "+id+" away to "+s.roadmap[1])
		}
	}),
	domain.On(func(c *roadmapCause, e domain.Event, _ domain.BacklogItemRemoved) {
		if c.s.roadmap[0] == c.r {
			c.cite(e, "removed "+e.Aggregate.ID)
		}
	}),
	domain.On(func(c *roadmapCause, e domain.Event, p domain.BacklogItemRanked) {
		r := c.r
		if d, ok := rankCause(c.s, e.Aggregate.ID, p.Position, c.s.down[r], c.s.roadmap[0] == r); ok {
			c.out = append(c.out, d)
		}
	}),
	domain.Skip[*roadmapCause](domain.TypeRoadmapItemPlanned, domain.TypeBacklogItemEstimated, domain.TypeWorkStarted,
		domain.TypeWorkDelivered, domain.TypeBacklogItemUnplanned, domain.TypeBacklogItemReparented, domain.TypeWorkReopened),
	domain.SkipKinds[*roadmapCause](domain.KindProduct, domain.KindRequest),
)

// itemCause is what itemCauseFold and unplannedCauseFold fold a step
// into: the backlog item id whose causes are sought, the roadmap item r
// it served at T0, and the causes found.
type itemCause struct {
	id, r string
	s     step
	out   []Decision
}

func (c *itemCause) cite(e domain.Event, effect string) {
	c.out = append(c.out, decisionOf(e, effect))
}

// itemCauseFold says, for each event type, whether and how a decision
// moved backlog item id away from its plan (itemCauses).
var itemCauseFold = domain.NewFold("compare's causes for a backlog item (itemCauses)",
	domain.On(func(c *itemCause, e domain.Event, p domain.RoadmapItemRescheduled) {
		if e.Aggregate.ID == c.r {
			c.cite(e, c.r+" rescheduled "+p.From+" -> "+p.To)
		}
	}),
	domain.On(func(c *itemCause, e domain.Event, _ domain.RoadmapItemDropped) {
		if e.Aggregate.ID == c.r {
			c.cite(e, c.r+" dropped")
		}
	}),
	domain.On(func(c *itemCause, e domain.Event, _ domain.BacklogItemRefined) {
		if e.Aggregate.ID == c.id && c.s.roadmap[0] != c.s.roadmap[1] {
			c.cite(e, "moved"+fromTo(" from ", c.s.roadmap[0])+" to "+c.s.roadmap[1])
		}
	}),
	domain.On(func(c *itemCause, e domain.Event, _ domain.BacklogItemRemoved) {
		if e.Aggregate.ID == c.id {
			c.cite(e, "removed")
		}
	}),
	domain.On(func(c *itemCause, e domain.Event, p domain.BacklogItemUnplanned) {
		if e.Aggregate.ID == c.id {
			c.cite(e, "taken off "+p.Roadmap)
		}
	}),
	domain.On(func(c *itemCause, e domain.Event, p domain.BacklogItemRanked) {
		var mine []string
		if rc, ok := c.s.ranks[c.id]; ok && rc.New > rc.Old {
			mine = []string{c.id}
		}
		if d, ok := rankCause(c.s, e.Aggregate.ID, p.Position, mine, e.Aggregate.ID == c.id); ok {
			c.out = append(c.out, d)
		}
	}),
	domain.Skip[*itemCause](domain.TypeRoadmapItemPlanned, domain.TypeRoadmapItemRanked, domain.TypeBacklogItemAdded,
		domain.TypeBacklogItemEstimated, domain.TypeWorkStarted, domain.TypeWorkDelivered,
		domain.TypeBacklogItemReparented, domain.TypeWorkReopened),
	domain.SkipKinds[*itemCause](domain.KindProduct, domain.KindRequest),
)

// unplannedCauseFold says, for each type of event about a backlog item
// delivered without a plan, whether and how it brought the item where it
// was delivered (compareItems).
var unplannedCauseFold = domain.NewFold("compare's causes for unplanned work (compareItems)",
	domain.On(func(c *itemCause, e domain.Event, p domain.BacklogItemAdded) {
		c.cite(e, "added"+fromTo(" to ", p.Roadmap))
	}),
	domain.On(func(c *itemCause, e domain.Event, p domain.BacklogItemRefined) {
		if p.Roadmap != "" && c.s.roadmap[0] != c.s.roadmap[1] {
			c.cite(e, "moved to "+p.Roadmap)
		}
	}),
	domain.Skip[*itemCause](domain.TypeBacklogItemRanked, domain.TypeBacklogItemRemoved, domain.TypeBacklogItemEstimated,
		domain.TypeWorkStarted, domain.TypeWorkDelivered,
		domain.TypeBacklogItemUnplanned, domain.TypeBacklogItemReparented, domain.TypeWorkReopened),
	domain.SkipKinds[*itemCause](domain.KindProduct, domain.KindRoadmap, domain.KindRequest),
)
