package replay

import (
	"context"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// SayDo is the say/do ratio of every period on the roadmap that has
// begun by the as-of position: what was planned for it when it began
// against what was delivered by then.
type SayDo struct {
	Product string `json:"product"`
	// Delivered says where the as-of position stands in the history.
	Delivered Result        `json:"delivered"`
	Periods   []SayDoPeriod `json:"periods"`
}

// SayDoPeriod is one period's comparison, counted as compare counts it.
type SayDoPeriod struct {
	Period string `json:"period"`
	// Level is what the figures count: roadmap items for a calendar
	// period, backlog items for a release (an imported release's roadmap
	// item is the release itself: the work planned for it is the
	// promise).
	Level Level `json:"level"`
	// PlannedAsOf is T0, the end of the day the plan is taken from.
	PlannedAsOf time.Time `json:"plannedAsOf"`
	Planned     int       `json:"planned"`
	OnTime      int       `json:"onTime"`
	Late        int       `json:"late"`
	Dropped     int       `json:"dropped"`
	Open        int       `json:"open"`
	Overdue     int       `json:"overdue"`
	Unplanned   int       `json:"unplanned"`
	// SayDo is OnTime / Planned; null when nothing was planned for the
	// period at T0, which is no failure to keep a promise.
	SayDo *float64 `json:"sayDo"`
}

// SayDoOf works out the say/do of every period on the roadmap at pos that
// has begun by then, each against its own plan (T0):
//
//   - a calendar period: the plan of the day before it began, or, when
//     nothing was on the roadmap yet that day, of the day its first item
//     was planned; it has begun once its first day has;
//   - a release: the plan of the day the release before it shipped (the
//     nearest dated release before it in the period order), or of the
//     day before its first delivery when that is earlier or there is no
//     such release; a release with neither has not begun. (Trains
//     overlap: work for the next release ships before this one does, and
//     a tracker that names the milestone only as a fix lands, as Mozilla
//     does, planned nothing ahead: its releases have no ratio.)
//
// Periods that share a T0 and a level are compared in one pass. now is
// the current time, for a Latest pos.
func SayDoOf(ctx context.Context, src Source, snaps SnapshotReader, product string, pos Position, now time.Time) (*SayDo, error) {
	v, res, err := AsOfViewsOf(ctx, src, snaps, product, pos, MemberBacklog|MemberRoadmap)
	if err != nil {
		return nil, err
	}
	end := now
	switch {
	case !pos.At.IsZero():
		end = pos.At
	case pos.Seq != 0 && res.At != nil:
		end = *res.At
	}
	t1 := pos
	if t1.IsLatest() && !now.IsZero() {
		t1 = AtTime(now)
	}
	out, keys, groups := newSayDo(product, res, v, end)
	for _, k := range keys {
		c, err := compare(ctx, src, snaps, product, CompareOptions{Planned: AtTime(k.t0), Delivered: t1, Now: now, Level: k.level}, citeNone)
		if err != nil {
			return nil, err
		}
		out.fill(groups[k], c)
	}
	return out, nil
}

// sayDoKey is a plan say/do compares with: its T0 and level.
type sayDoKey struct {
	t0    time.Time
	level Level
}

// newSayDo is say/do with the periods begun by end on the roadmap of v,
// not yet counted, the plans they are compared with (T0 and level), and
// the places in out.Periods of the periods each plan counts.
func newSayDo(product string, res Result, v *Views, end time.Time) (out *SayDo, keys []sayDoKey, groups map[sayDoKey][]int) {
	out = &SayDo{Product: product, Delivered: res, Periods: []SayDoPeriod{}}
	groups = map[sayDoKey][]int{}
	for _, p := range plansOf(v, end) {
		k := sayDoKey{p.PlannedAsOf, p.Level}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], len(out.Periods))
		out.Periods = append(out.Periods, p)
	}
	return out, keys, groups
}

// fill counts the periods at places from c, the comparison with their
// plan.
func (out *SayDo) fill(places []int, c *Comparison) {
	out.Delivered = c.Delivered
	for _, i := range places {
		p := &out.Periods[i]
		for _, po := range c.Periods {
			if po.Period == p.Period {
				p.Planned, p.OnTime, p.Late, p.Dropped, p.Open, p.Overdue, p.Unplanned, p.SayDo =
					po.Planned, po.OnTime, po.Late, po.Dropped, po.Open, po.Overdue, po.Unplanned, po.SayDo
			}
		}
	}
}

// plansOf gives each period on the roadmap of v that has begun by end its
// level and T0 (see SayDoOf), in the period order.
func plansOf(v *Views, end time.Time) []SayDoPeriod {
	periods := v.Roadmap.Periods()
	var firstPlanned time.Time // when the roadmap got its first item
	firstDelivery := map[string]time.Time{}
	periodOf := map[string]string{}
	early := func(m map[string]time.Time, k string, t time.Time) {
		if old, ok := m[k]; !ok || t.Before(old) {
			m[k] = t
		}
	}
	for _, p := range periods {
		for _, r := range p.Items {
			periodOf[r.ID] = p.Name
			if firstPlanned.IsZero() || r.PlannedAt.Before(firstPlanned) {
				firstPlanned = r.PlannedAt
			}
			if r.DeliveredAt != nil {
				early(firstDelivery, p.Name, *r.DeliveredAt)
			}
		}
	}
	for _, it := range v.Backlog.Items() {
		if p, ok := periodOf[it.Roadmap]; ok && it.DeliveredAt != nil && it.Status == domain.StatusDelivered {
			early(firstDelivery, p, *it.DeliveredAt)
		}
	}
	var out []SayDoPeriod
	var shipped *time.Time // the date of the last dated release so far
	for _, p := range periods {
		pp, err := domain.ParsePeriod(p.Name)
		if err != nil {
			continue
		}
		var t0 time.Time
		level := LevelRoadmap
		if pp.Release == "" {
			if pp.Start.After(end) {
				continue
			}
			t0 = pp.Start.AddDate(0, 0, -1)
			if t0.Before(dayOf(firstPlanned)) {
				t0 = firstPlannedIn(p)
			}
		} else {
			level = LevelItem
			first, delivered := firstDelivery[p.Name]
			switch {
			case delivered && (shipped == nil || first.AddDate(0, 0, -1).Before(*shipped)):
				t0 = first.AddDate(0, 0, -1)
			case shipped != nil:
				t0 = *shipped
			}
			if pp.Dated {
				d := pp.Start
				shipped = &d
			}
			if t0.IsZero() || dayOf(t0).After(end) {
				continue
			}
		}
		out = append(out, SayDoPeriod{Period: p.Name, Level: level, PlannedAsOf: EndOfDay(t0).At})
	}
	return out
}

// firstPlannedIn is when the first of a period's roadmap items was planned.
func firstPlannedIn(p projections.Period) time.Time {
	var t time.Time
	for _, r := range p.Items {
		if t.IsZero() || r.PlannedAt.Before(t) {
			t = r.PlannedAt
		}
	}
	return t
}

func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
