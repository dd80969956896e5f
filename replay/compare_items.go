package replay

import (
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// compareItems judges the backlog items that served a live roadmap item at
// T0, in their T0 backlog order, with the period of that roadmap item;
// items serving none are not planned, and are unplanned when delivered
// between T0 and T1 (epics excepted: they group work, they are not work).
func compareItems(sp *span, j judgement) []ItemOutcome {
	var outs []ItemOutcome
	planned := map[string]bool{}
	for _, it := range sp.before.Backlog.Items() {
		if it.Status == domain.StatusRemoved || it.Roadmap == "" {
			continue
		}
		r, ok := sp.before.Roadmap.Item(it.Roadmap)
		if !ok || r.Status == projections.RoadmapDropped {
			continue
		}
		planned[it.ID] = true
		now, _ := sp.after.Backlog.Item(it.ID)
		o := ItemOutcome{ID: it.ID, Title: now.Title, Period: r.Period, Roadmap: it.Roadmap, Causes: []Decision{}}
		if rn, ok := sp.after.Roadmap.Item(now.Roadmap); ok {
			o.PeriodNow = rn.Period
		}
		var delivered, dropped *time.Time
		switch now.Status {
		case domain.StatusDelivered:
			delivered = now.DeliveredAt
		case domain.StatusRemoved:
			dropped = now.RemovedAt
		}
		in, ok := j.itemIn[it.ID]
		if !ok {
			in = r.Period
		}
		j.judge(&o, delivered, dropped, in)
		if o.Outcome != OnTime {
			o.Causes = itemCauses(sp, it.ID, it.Roadmap, sp.closed(it.ID))
		}
		outs = append(outs, o)
	}
	var extra []ItemOutcome
	for _, it := range sp.after.Backlog.Items() {
		if planned[it.ID] || it.Status != domain.StatusDelivered || it.DeliveredAt == nil {
			continue
		}
		if it.Kind == domain.ItemEpic {
			continue // an epic groups stories; delivering it is not unplanned work
		}
		if was, ok := sp.before.Backlog.Item(it.ID); ok && was.Status == domain.StatusDelivered {
			continue // delivered before T0
		}
		o := ItemOutcome{ID: it.ID, Title: it.Title, Outcome: Unplanned, Roadmap: it.Roadmap,
			Period: domain.PeriodOf(*it.DeliveredAt), DeliveredAt: it.DeliveredAt, Causes: []Decision{}}
		if r, ok := sp.after.Roadmap.Item(it.Roadmap); ok {
			o.Period, o.PeriodNow = r.Period, r.Period
		}
		for _, s := range sp.steps {
			if s.e.Aggregate.ID != it.ID || s.e.Aggregate.Kind != domain.KindItem {
				continue
			}
			c := itemCause{s: s}
			unplannedCauseFold.Apply(&c, s.e)
			o.Causes = append(o.Causes, c.out...)
		}
		extra = append(extra, o)
	}
	sortUnplanned(extra)
	return append(outs, extra...)
}

// closed is the sequence of the step that last delivered or removed a
// backlog item, or the end of the span.
func (sp *span) closed(id string) uint64 {
	last := sp.to.Seq
	for _, s := range sp.steps {
		if s.e.Aggregate.Kind == domain.KindItem && s.e.Aggregate.ID == id && s.closes {
			last = s.e.Seq
		}
	}
	return last
}

// itemCauses are the decisions between T0 and until that moved backlog
// item id away from its plan (r is the roadmap item it served at T0):
// rescheduling or dropping r, moving the item to another roadmap item,
// removing it, and rank decisions that put it lower (its own move down,
// or another item moved above it).
func itemCauses(sp *span, id, r string, until uint64) []Decision {
	out := []Decision{}
	for _, s := range sp.steps {
		e := s.e
		if e.Seq > until {
			break
		}
		c := itemCause{id: id, r: r, s: s}
		itemCauseFold.Apply(&c, e)
		out = append(out, c.out...)
	}
	return out
}

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
		id := c.id
		if d, ok := rankCause(c.s, e.Aggregate.ID, p.Position, func(x string, _ rankChange) bool { return x == id }, e.Aggregate.ID == id); ok {
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
