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
		if o.Outcome != OnTime && sp.causes {
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
		if sp.causes {
			o.Causes = unplannedCauses(sp, it.ID)
		}
		extra = append(extra, o)
	}
	sortUnplanned(extra)
	return append(outs, extra...)
}

// unplannedCauses are the decisions that brought backlog item id, delivered
// without a plan, where it was delivered.
func unplannedCauses(sp *span, id string) []Decision {
	out := []Decision{}
	for _, i := range sp.stepsAbout(id) {
		s := sp.steps[i]
		if s.e.Aggregate.ID != id || s.e.Aggregate.Kind != domain.KindItem {
			continue
		}
		c := itemCause{s: s}
		unplannedCauseFold.Apply(&c, s.e)
		out = append(out, c.out...)
	}
	return out
}

// closed is the sequence of the step that last delivered or removed a
// backlog item, or the end of the span.
func (sp *span) closed(id string) uint64 {
	last := sp.to.Seq
	for _, i := range sp.stepsAbout(id) {
		s := sp.steps[i]
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
	for _, i := range mergeSteps(sp.stepsAbout(id), sp.stepsAbout(r)) {
		s := sp.steps[i]
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

// mergeSteps merges two ordered lists of places in a span's steps into
// one, each place once.
func mergeSteps(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0] < b[0]:
			out, a = append(out, a[0]), a[1:]
		case len(a) == 0 || b[0] < a[0]:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return out
}
