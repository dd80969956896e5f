package replay

import (
	"cmp"
	"context"
	"fmt"
	"slices"

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
	// causes says whether the steps record the ranks that rank decisions
	// changed, which only the causes of deviations read: a walk for
	// counts alone (say/do) leaves them out, and compare cites nothing.
	causes bool
	// about maps an item or roadmap item id to the places in steps of
	// the steps that may concern it (see stepsAbout); built on first use.
	about map[string][]int
	// everyStep makes stepsAbout give every step (see citeEveryStep).
	everyStep bool
}

// stepsAbout gives, in order, the steps of the span that may concern the
// backlog item or roadmap item id: the events about it, the events about
// a backlog item that served it (before or after) or that name it as
// the roadmap item served, and the rank decisions that changed its rank
// or the rank of an item serving it. The compare rules cite no other
// step for an item (rules.go), so a question about one item reads these
// rather than the whole span: compare's cost is then the span plus what
// its items were decided about, not the span once per item.
func (sp *span) stepsAbout(id string) []int {
	if sp.everyStep {
		all := make([]int, len(sp.steps))
		for i := range all {
			all[i] = i
		}
		return all
	}
	if sp.about == nil {
		sp.about = map[string][]int{}
		add := func(k string, i int) {
			if k == "" {
				return
			}
			if l := sp.about[k]; len(l) == 0 || l[len(l)-1] != i {
				sp.about[k] = append(l, i)
			}
		}
		for i, s := range sp.steps {
			add(s.e.Aggregate.ID, i)
			add(s.roadmap[0], i)
			add(s.roadmap[1], i)
			if r, ok := domain.Relinks(s.e.Data); ok {
				add(r, i)
			}
			for x, c := range s.ranks {
				add(x, i)
				add(c.Roadmap, i)
			}
			for r := range s.status {
				add(r, i)
			}
		}
	}
	return sp.about[id]
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
	// closes is, for a backlog item event, whether it took the item out
	// of the open backlog (delivered or removed it).
	closes bool
	// ranks are, for a rank decision, the items whose rank it changed.
	ranks map[string]rankChange
	// down is, for a backlog rank decision, the items it moved down, by
	// the roadmap item they serve, each list in their old order: what a
	// cause is looked for in once per roadmap item (rankCause).
	down map[string][]string
	// status is, for the roadmap items the event touched, their status
	// before and after it, when it changed.
	status map[string][2]projections.RoadmapStatus
}

// walk builds the views at t0 (from snapshots when it can), copies them,
// and folds the events up to t1, recording each step.
func walk(ctx context.Context, src Source, snaps SnapshotReader, product string, t0, t1 Position, causes bool) (*span, error) {
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
	sp := &span{from: from, before: before, after: v, causes: causes}
	to := from
	to.AsOf = t1
	to.Warnings = append([]string(nil), from.Warnings...)
	err = foldUpTo(ctx, src, product, v.Position(), t1, &to, v, nil, func(e domain.Event) error {
		sp.steps = append(sp.steps, fold(v, e, causes))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading product %q from %s to %s: %w", product, t0, t1, err)
	}
	sp.to = to
	return sp, nil
}

// fold applies e to v and says what it changed; the ranks a rank
// decision changed only when ranks is set.
func fold(v *Views, e domain.Event, ranks bool) step {
	s := step{e: e}
	id := e.Aggregate.ID
	var rankedBefore map[string]rankChange
	var openBefore []projections.OpenRank
	touched := []string{}
	spec, _ := specOf(e)
	switch {
	case spec.Ranks && !ranks:
	case spec.Ranks && spec.Kind == domain.KindItem:
		openBefore = v.Backlog.AppendOpenRanks(nil)
	case spec.Ranks && spec.Kind == domain.KindRoadmap:
		rankedBefore = roadmapRanks(v.Roadmap)
	case spec.Creates && spec.Kind == domain.KindItem:
		// The new item's roadmap item: the item is not there to ask yet.
		if r, ok := domain.Relinks(e.Data); ok {
			touched = append(touched, r)
		}
	}
	wasOpen := false
	if e.Aggregate.Kind == domain.KindItem {
		if it, ok := v.Backlog.Item(id); ok {
			s.roadmap[0] = it.Roadmap
			wasOpen = it.Status.Open()
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
			s.closes = wasOpen && !it.Status.Open()
			touched = append(touched, it.Roadmap)
		}
	}
	if openBefore != nil {
		s.ranks = openRankChanges(openBefore, v.Backlog.AppendOpenRanks(nil))
		s.down = movedDown(s.ranks)
	}
	if rankedBefore != nil {
		after := roadmapRanks(v.Roadmap)
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

// openRankChanges are the open backlog items whose rank a decision
// changed, from the open order before and after it (each lists an item
// once): the old and new rank, and the roadmap item it serves after.
// The orders agree outside the range the decision moved items over, so
// only that range is looked at: a rank decision costs what it moved, not
// the backlog, and a compare over a long history stays linear in it.
func openRankChanges(before, after []projections.OpenRank) map[string]rankChange {
	out := map[string]rankChange{}
	lo := 0
	for lo < len(before) && lo < len(after) && before[lo] == after[lo] {
		lo++
	}
	hiB, hiA := len(before), len(after)
	for hiB > lo && hiA > lo && before[hiB-1] == after[hiA-1] {
		hiB--
		hiA--
	}
	if lo == hiB && lo == hiA {
		return out
	}
	was := make(map[string]int, hiB-lo)
	for _, o := range before[lo:hiB] {
		was[o.ID] = o.Rank
	}
	for _, a := range after[lo:hiA] {
		if old, ok := was[a.ID]; ok && old != a.Rank {
			out[a.ID] = rankChange{Old: old, New: a.Rank, Roadmap: a.Roadmap}
		}
	}
	return out
}

// movedDown groups the items whose rank went down by the roadmap item
// they serve, each group in their old order.
func movedDown(ranks map[string]rankChange) map[string][]string {
	var out map[string][]string
	for x, c := range ranks {
		if c.New > c.Old {
			if out == nil {
				out = map[string][]string{}
			}
			out[c.Roadmap] = append(out[c.Roadmap], x)
		}
	}
	for _, l := range out {
		slices.SortFunc(l, func(a, b string) int { return cmp.Compare(ranks[a].Old, ranks[b].Old) })
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

// specOf is the catalogue entry of e's type when e holds a payload of the
// catalogue (not one quarantined or unreadable).
func specOf(e domain.Event) (domain.EventSpec, bool) {
	if !domain.Known(e.Data) {
		return domain.EventSpec{}, false
	}
	return domain.SpecOf(e.Data.EventType())
}
