package replay

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// Level is what Compare compares: roadmap items or backlog items.
type Level string

// The levels of a comparison.
const (
	LevelRoadmap Level = "roadmap"
	LevelItem    Level = "item"
)

// Outcome is what became of a planned item by the later date.
type Outcome string

// The outcomes of a comparison. A calendar period is judged by its
// dates. A release is judged by what shipped in it: a delivery counts for
// the release the item was planned for when it was delivered (the
// milestone a tracker names is the release it shipped in), and, when the
// release is dated, on or before that date. An undated release has no
// end: nothing planned for it is ever overdue.
const (
	// OnTime: delivered before the end of the calendar period planned at
	// T0; for a release, shipped in it (or in a release before it) and,
	// when it is dated, by its date.
	OnTime Outcome = "on-time"
	// Late: delivered after the end of that period; for a release,
	// after its date or against a later period.
	Late Outcome = "late"
	// Dropped: dropped (roadmap) or removed (item) between T0 and T1.
	Dropped Outcome = "dropped"
	// Open: not delivered by T1; Overdue when its period ended by then.
	Open Outcome = "open"
	// Unplanned: delivered between T0 and T1 without being planned at T0.
	Unplanned Outcome = "unplanned"
)

// CompareOptions says what to compare.
type CompareOptions struct {
	// Planned is T0, the date the plan is taken from.
	Planned Position
	// Delivered is T1, the date deliveries are counted up to; Latest
	// means Now.
	Delivered Position
	// Now is the current time, the default T1; the package reads no
	// clock. Zero with a Latest Delivered means the whole history.
	Now time.Time
	// Level is LevelRoadmap (the default) or LevelItem.
	Level Level
	// Period, when set, keeps only that period (as planned at T0, or for
	// unplanned items the period they were delivered in).
	Period string
}

// Comparison is the roadmap as planned at T0 against what was delivered
// by T1.
type Comparison struct {
	Product string `json:"product"`
	Level   Level  `json:"level"`
	// Planned and Delivered say where T0 and T1 stand in the history.
	Planned   Result          `json:"planned"`
	Delivered Result          `json:"delivered"`
	Periods   []PeriodOutcome `json:"periods"`
}

// PeriodOutcome counts the outcomes of one period. For a release, on time
// is "shipped in it", late "shipped later" and dropped plus open "never
// (by T1)".
type PeriodOutcome struct {
	Period    string `json:"period"`
	Planned   int    `json:"planned"`
	OnTime    int    `json:"onTime"`
	Late      int    `json:"late"`
	Dropped   int    `json:"dropped"`
	Open      int    `json:"open"`
	Overdue   int    `json:"overdue"`
	Unplanned int    `json:"unplanned"`
	// AlreadyDelivered counts the planned items delivered by T0 (on
	// time or late): a period they all are was settled before the plan.
	AlreadyDelivered int `json:"alreadyDelivered"`
	// SayDo is OnTime / Planned; null when nothing was planned.
	SayDo *float64      `json:"sayDo"`
	Items []ItemOutcome `json:"items"`
}

// ItemOutcome is what became of one roadmap or backlog item.
type ItemOutcome struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Outcome Outcome `json:"outcome"`
	Overdue bool    `json:"overdue,omitempty"`
	// Period is the period planned at T0 (for unplanned items, the one
	// they were delivered in); PeriodNow the roadmap period at T1.
	Period    string `json:"period"`
	PeriodNow string `json:"periodNow,omitempty"`
	// Roadmap is, for a backlog item, the roadmap item it served (at T0,
	// or at T1 for an unplanned one).
	Roadmap     string     `json:"roadmap,omitempty"`
	DeliveredAt *time.Time `json:"deliveredAt,omitempty"`
	DroppedAt   *time.Time `json:"droppedAt,omitempty"`
	// Causes are the decisions between T0 and the outcome that moved the
	// item away from its plan, in order; for an unplanned item, those that
	// put it on the plan. Empty for an on-time item.
	Causes []Decision `json:"causes"`
}

// Compare works out, for every roadmap item on the roadmap at T0 (or, at
// LevelItem, every backlog item serving one), its outcome by T1, the
// decisions behind every deviation, and per period the counts and the
// say/do ratio. See the Outcome constants and the cause rules in
// roadmapCauses and itemCauses.
func Compare(ctx context.Context, src Source, snaps SnapshotReader, product string, opt CompareOptions) (*Comparison, error) {
	return compare(ctx, src, snaps, product, opt, citeIndexed)
}

// citing is how compare looks for the decisions behind deviations.
type citing int

const (
	// citeNone counts the outcomes and cites no decision (every Causes
	// is empty), which is all say/do reads: the walk then does not
	// record what each rank decision moved, and no cause is looked for.
	citeNone citing = iota
	// citeIndexed looks for an item's causes in the steps about it
	// (span.stepsAbout): what Compare does.
	citeIndexed
	// citeEveryStep looks for them in every step of the span, what the
	// index stands for: for the test that proves it leaves none out.
	citeEveryStep
)

// compare is Compare, citing causes as cite says.
func compare(ctx context.Context, src Source, snaps SnapshotReader, product string, opt CompareOptions, cite citing) (*Comparison, error) {
	if opt.Level == "" {
		opt.Level = LevelRoadmap
	}
	if opt.Level != LevelRoadmap && opt.Level != LevelItem {
		return nil, &domain.Error{Kind: domain.KindInvalid, Field: "level",
			Msg: fmt.Sprintf("level %q is not known: use roadmap or item", opt.Level)}
	}
	t1 := opt.Delivered
	if t1.IsLatest() && !opt.Now.IsZero() {
		t1 = AtTime(opt.Now)
	}
	sp, err := walk(ctx, src, snaps, product, opt.Planned, t1, cite != citeNone)
	if err != nil {
		return nil, err
	}
	sp.everyStep = cite == citeEveryStep
	end := t1.At
	if end.IsZero() && sp.to.At != nil {
		end = *sp.to.At
	}
	return sp.comparison(product, opt, sp.judgement(end)), nil
}

// comparison is compare's answer from the span and its judgement.
func (sp *span) comparison(product string, opt CompareOptions, j judgement) *Comparison {
	var outs []ItemOutcome
	if opt.Level == LevelRoadmap {
		outs = compareRoadmap(sp, j)
	} else {
		outs = compareItems(sp, j)
	}
	c := &Comparison{Product: product, Level: opt.Level, Planned: sp.from, Delivered: sp.to, Periods: []PeriodOutcome{}}
	byPeriod := map[string]*PeriodOutcome{}
	for _, o := range outs {
		if opt.Period != "" && o.Period != opt.Period {
			continue
		}
		p := byPeriod[o.Period]
		if p == nil {
			p = &PeriodOutcome{Period: o.Period, Items: []ItemOutcome{}}
			byPeriod[o.Period] = p
		}
		p.Items = append(p.Items, o)
		switch o.Outcome {
		case OnTime:
			p.OnTime++
		case Late:
			p.Late++
		case Dropped:
			p.Dropped++
		case Open:
			p.Open++
			if o.Overdue {
				p.Overdue++
			}
		case Unplanned:
			p.Unplanned++
		}
		if o.Outcome != Unplanned {
			p.Planned++
			if o.DeliveredAt != nil && sp.from.At != nil && !o.DeliveredAt.After(*sp.from.At) {
				p.AlreadyDelivered++
			}
		}
	}
	// The one order of periods, first appearance from the roadmap at T1
	// (it has seen every period T0's had), then the quarters unplanned
	// work was delivered in.
	seen := sp.after.Roadmap.SeenPeriods()
	for _, o := range outs {
		seen = append(seen, o.Period)
	}
	for _, name := range domain.OrderPeriods(seen) {
		p := byPeriod[name]
		if p == nil {
			continue
		}
		if p.Planned > 0 {
			r := float64(p.OnTime) / float64(p.Planned)
			p.SayDo = &r
		}
		c.Periods = append(c.Periods, *p)
	}
	return c
}

// judgement is what judging an outcome needs besides the item: T1, the
// place of every period in the one order, and the period each item and
// roadmap item was planned for when it was delivered.
type judgement struct {
	end   time.Time
	place map[string]int
	// itemIn and roadmapIn map a backlog item, and a roadmap item, to the
	// period planned for it at its last delivery in the span ("" for a
	// backlog item that served no roadmap item then). Absent when it was
	// delivered before T0: the period it had at T0 stands in.
	itemIn, roadmapIn map[string]string
	// periods is the period each roadmap item is planned for at the
	// last step taken.
	periods map[string]string
}

// judgement walks the span once for the periods deliveries were made in.
func (sp *span) judgement(end time.Time) judgement {
	j := sp.newJudgement()
	for _, s := range sp.steps {
		j.step(s)
	}
	return j.at(sp, end)
}

// newJudgement is the judgement of the span before its first step.
func (sp *span) newJudgement() judgement {
	j := judgement{itemIn: map[string]string{}, roadmapIn: map[string]string{}, periods: map[string]string{}}
	for _, p := range sp.before.Roadmap.Periods() {
		for _, r := range p.Items {
			j.periods[r.ID] = r.Period
		}
	}
	return j
}

// step takes one more step of the span into the judgement.
func (j judgement) step(s step) {
	periodFold.Apply(periodStep{j: j, periods: j.periods, s: s}, s.e)
	for r, st := range s.status {
		if st[1] == projections.RoadmapDelivered {
			j.roadmapIn[r] = j.periods[r]
		}
	}
}

// at is the judgement at the end of the span (its views after), judged
// at end.
func (j judgement) at(sp *span, end time.Time) judgement {
	j.end, j.place = end, map[string]int{}
	for i, p := range domain.OrderPeriods(sp.after.Roadmap.SeenPeriods()) {
		j.place[p] = i
	}
	return j
}

// shippedBy reports whether a delivery for period in keeps the promise
// made for release planned: in it, or in a period before it.
func (j judgement) shippedBy(planned, in string) bool {
	if in == planned {
		return true
	}
	a, okA := j.place[in]
	b, okB := j.place[planned]
	return in != "" && okA && okB && a < b
}

// judge gives a planned item's outcome from its state at T1; in is the
// period it was planned for when it was delivered.
func (j judgement) judge(o *ItemOutcome, delivered, dropped *time.Time, in string) {
	p, err := domain.ParsePeriod(o.Period)
	switch {
	case dropped != nil:
		o.Outcome, o.DroppedAt = Dropped, dropped
	case delivered != nil:
		o.Outcome, o.DeliveredAt = OnTime, delivered
		switch {
		case err == nil && p.Dated && !delivered.Before(p.End):
			o.Outcome = Late
		case (err != nil || p.Release != "") && !j.shippedBy(o.Period, in):
			o.Outcome = Late
		}
	default:
		o.Outcome = Open
		o.Overdue = err == nil && p.Dated && !j.end.Before(p.End)
	}
}

// compareRoadmap judges the roadmap items on the roadmap at T0.
func compareRoadmap(sp *span, j judgement) []ItemOutcome {
	var outs []ItemOutcome
	planned := map[string]bool{}
	for _, p := range sp.before.Roadmap.Periods() {
		for _, r := range p.Items {
			if r.Status == projections.RoadmapDropped {
				continue
			}
			planned[r.ID] = true
			now, _ := sp.after.Roadmap.Item(r.ID)
			o := ItemOutcome{ID: r.ID, Title: now.Title, Period: r.Period, PeriodNow: now.Period, Causes: []Decision{}}
			var delivered, dropped *time.Time
			if now.Status == projections.RoadmapDropped {
				dropped = now.DroppedAt
			} else if now.Status == projections.RoadmapDelivered {
				delivered = now.DeliveredAt
			}
			in, ok := j.roadmapIn[r.ID]
			if !ok {
				in = r.Period
			}
			j.judge(&o, delivered, dropped, in)
			if o.Outcome != OnTime && sp.causes {
				o.Causes = roadmapCauses(sp, r.ID, sp.settled(r.ID))
			}
			outs = append(outs, o)
		}
	}
	var extra []ItemOutcome
	for _, p := range sp.after.Roadmap.Periods() {
		for _, r := range p.Items {
			if planned[r.ID] || r.Status != projections.RoadmapDelivered {
				continue
			}
			if _, existed := sp.before.Roadmap.Item(r.ID); existed {
				continue // dropped at T0: it cannot have been delivered since
			}
			o := ItemOutcome{ID: r.ID, Title: r.Title, Outcome: Unplanned, Period: r.Period, PeriodNow: r.Period,
				DeliveredAt: r.DeliveredAt, Causes: []Decision{}}
			if sp.causes {
				o.Causes = plannedCauses(sp, r)
			}
			extra = append(extra, o)
		}
	}
	sortUnplanned(extra)
	return append(outs, extra...)
}

// plannedCauses are the decisions that planned an unplanned roadmap
// item r.
func plannedCauses(sp *span, r projections.RoadmapItem) []Decision {
	out := []Decision{}
	for _, i := range sp.stepsAbout(r.ID) {
		s := sp.steps[i]
		if _, ok := s.e.Data.(domain.RoadmapItemPlanned); ok && s.e.Aggregate.ID == r.ID {
			out = append(out, decisionOf(s.e, "planned for "+r.Period))
		}
	}
	return out
}

func sortUnplanned(outs []ItemOutcome) {
	slices.SortStableFunc(outs, func(a, b ItemOutcome) int {
		if c := a.DeliveredAt.Compare(*b.DeliveredAt); c != 0 {
			return c
		}
		return cmpString(a.ID, b.ID)
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// settled is the sequence of the step after which a roadmap item was last
// delivered or dropped, or the end of the span: causes come from before.
func (sp *span) settled(roadmap string) uint64 {
	last := sp.to.Seq
	for _, i := range sp.stepsAbout(roadmap) {
		st, ok := sp.steps[i].status[roadmap]
		if !ok {
			continue
		}
		switch st[1] {
		case projections.RoadmapDelivered, projections.RoadmapDropped:
			last = sp.steps[i].e.Seq
		default:
			last = sp.to.Seq
		}
	}
	return last
}

// roadmapCauses are the decisions between T0 and until that moved roadmap
// item r away from its plan:
//
//   - rescheduling or dropping it;
//   - a roadmap rank decision that put it lower in its period;
//   - scope changes: a backlog item added to it, moved to or from it
//     (refined), or removed while serving it;
//   - a backlog rank decision that put one of its open items lower:
//     the item itself moved down, or another item (not serving r) moved
//     above it. Moving one of r's own items up is not held against r,
//     although it pushes r's other items down.
func roadmapCauses(sp *span, r string, until uint64) []Decision {
	out := []Decision{}
	for _, i := range sp.stepsAbout(r) {
		s := sp.steps[i]
		e := s.e
		if e.Seq > until {
			break
		}
		c := roadmapCause{r: r, s: s}
		roadmapCauseFold.Apply(&c, e)
		out = append(out, c.out...)
	}
	return out
}

// rankCause cites a backlog rank decision when it put items that belong
// lower: the ranked item itself when it belongs (own) and moved down, or
// the items it moved down that belong (mine, in their old order, as
// step.down holds them) when it does not.
func rankCause(s step, id string, pos domain.Position, mine []string, own bool) (Decision, bool) {
	if own {
		if c, ok := s.ranks[id]; ok && c.New > c.Old {
			return decisionOf(s.e, fmt.Sprintf("%s: %d -> %d", placement(id, pos), c.Old, c.New)), true
		}
		return Decision{}, false
	}
	effect, n := placement(id, pos)+": pushed down", 0
	for _, x := range mine {
		if x == id {
			continue
		}
		if n > 0 {
			effect += ","
		}
		n++
		effect += fmt.Sprintf(" %s %d -> %d", x, s.ranks[x].Old, s.ranks[x].New)
	}
	if n == 0 {
		return Decision{}, false
	}
	return decisionOf(s.e, effect), true
}

func fromTo(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + id
}
