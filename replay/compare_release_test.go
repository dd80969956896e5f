package replay_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

// releaseHistory records, through command, a product whose roadmap is
// releases: two undated (1.6.2 and 1.6.10), one dated (2.0, 30 June
// 2025), one undated that nothing is planned for at T0 (2.1) and one put
// on the roadmap after T0 (2.2). Items A to J are planned by T0 (31
// January 2025); what becomes of each by T1 (31 July) is in the comments.
// (It lies in the past: the validating fold quarantines a decision dated
// after the stream stored it.)
func releaseHistory(t *testing.T) (replay.Source, replay.SnapshotReader) {
	t.Helper()
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	h := command.New(s, func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) })
	n := 0
	do := func(day, actor, why string, a domain.Action) {
		t.Helper()
		n++
		at, err := time.Parse(time.DateOnly, "2025-"+day)
		require.NoError(t, err)
		_, err = h.Execute(ctx, domain.Command{ID: fmt.Sprintf("c%d", n), Product: "rel", Actor: actor, Why: why,
			At: at.Add(time.Duration(n) * time.Minute), Action: a})
		require.NoError(t, err, "%s by %s", a.Verb(), actor)
	}
	do("01-04", "pam", "", domain.CreateProduct{Name: "Releases", PM: "pam", PO: "olga"})
	do("01-04", "pam", "builds it", domain.AssignRole{Actor: "tom", Role: domain.RoleTeam})
	for _, r := range [][2]string{{"M-162", "release:1.6.2"}, {"M-1610", "release:1.6.10"},
		{"M-20", "release:2.0@2025-06-30"}, {"M-21", "release:2.1"}} {
		do("01-05", "pam", "the release train", domain.PlanRoadmapItem{ID: r[0], Title: r[1], Period: r[1]})
	}
	for _, it := range [][2]string{{"A", "M-162"}, {"B", "M-162"}, {"C", "M-162"},
		{"D", "M-1610"}, {"E", "M-1610"}, {"J", "M-1610"}, {"F", "M-20"}, {"G", "M-20"}, {"H", "M-20"}} {
		do("01-06", "olga", "", domain.AddItem{ID: it[0], Title: "item " + it[0], Roadmap: it[1]})
	}
	// T0: 2025-01-31.
	do("02-10", "tom", "", domain.DeliverWork{ID: "A"})                                // shipped in 1.6.2
	do("02-12", "olga", "not ready", domain.RefineItem{ID: "B", Roadmap: "M-1610"})    // slips to 1.6.10...
	do("02-15", "olga", "obsolete", domain.RemoveItem{ID: "C"})                        // never
	do("02-20", "tom", "", domain.DeliverWork{ID: "B"})                                // ...and ships there: later
	do("03-01", "tom", "", domain.DeliverWork{ID: "D"})                                // shipped in 1.6.10
	do("03-05", "olga", "ready early", domain.RefineItem{ID: "E", Roadmap: "M-162"})   // pulled into 1.6.2...
	do("03-06", "tom", "", domain.DeliverWork{ID: "E"})                                // ...an earlier release: kept its promise
	do("04-01", "olga", "", domain.AddItem{ID: "I", Title: "item I", Roadmap: "M-21"}) // not planned at T0
	do("04-10", "tom", "", domain.DeliverWork{ID: "I"})                                // unplanned, in 2.1
	do("05-01", "pam", "a new release", domain.PlanRoadmapItem{ID: "M-22", Title: "2.2", Period: "release:2.2"})
	do("05-02", "olga", "", domain.AddItem{ID: "K", Title: "item K", Roadmap: "M-22"})
	do("05-10", "tom", "", domain.DeliverWork{ID: "K"}) // unplanned, in 2.2
	do("06-30", "tom", "", domain.DeliverWork{ID: "F"}) // on 2.0's date: shipped in it
	do("07-01", "tom", "", domain.DeliverWork{ID: "G"}) // the day after: later
	// H stays open past 2.0's date (overdue); J stays open in undated
	// 1.6.10 (never overdue: an undated release has no end).
	// After T1, a release named only as its fix lands, as Mozilla does:
	do("08-05", "pam", "named as it lands", domain.PlanRoadmapItem{ID: "M-30", Title: "3.0", Period: "release:3.0"})
	do("08-05", "olga", "", domain.AddItem{ID: "L", Title: "item L", Roadmap: "M-30"})
	do("08-05", "tom", "", domain.DeliverWork{ID: "L"})
	return s, s.Snapshots()
}

// TestCompare_Releases works out say/do per release by hand (see
// releaseHistory), at both levels. The periods come in the one order:
// 1.6.2 and 1.6.10 as numbers, before 2.0 (the first dated release with
// a higher version), 2.1 after it, 2.2 last.
//
// Backlog items planned at T0:
//
//	1.6.2   A, B, C  A shipped in it, B later (in 1.6.10), C never (removed)  1/3
//	1.6.10  D, E, J  D shipped in it, E in 1.6.2 (before it), J open           2/3
//	2.0     F, G, H  F on its date, G the day after, H open and overdue        1/3
//	2.1     none     I delivered, unplanned                                    no ratio
//	2.2     none     K delivered, unplanned                                    no ratio
//
// Roadmap items planned at T0 (each delivered once all its items are):
//
//	1.6.2   M-162   delivered 03-06 with A and E (B moved out, C removed)  1/1
//	1.6.10  M-1610  J open: open, not overdue                               0/1
//	2.0     M-20    H open: open, overdue                                   0/1
//	2.1     M-21    I delivered 04-10, in 2.1                               1/1
//	2.2     none    M-22 planned after T0, delivered: unplanned            no ratio
func TestCompare_Releases(t *testing.T) {
	src, snaps := releaseHistory(t)
	ctx := eventstoretest.Context(t)
	t0 := replay.EndOfDay(time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC))
	t1 := replay.EndOfDay(time.Date(2025, 7, 31, 0, 0, 0, 0, time.UTC))

	type row struct {
		period                                                   string
		planned, onTime, late, dropped, open, overdue, unplanned int
		sayDo                                                    *float64
		outcomes                                                 map[string]replay.Outcome
	}
	third, twoThirds := 1.0/3, 2.0/3
	tests := []struct {
		level replay.Level
		want  []row
	}{
		{replay.LevelItem, []row{
			{"release:1.6.2", 3, 1, 1, 1, 0, 0, 0, &third, map[string]replay.Outcome{"A": replay.OnTime, "B": replay.Late, "C": replay.Dropped}},
			{"release:1.6.10", 3, 2, 0, 0, 1, 0, 0, &twoThirds, map[string]replay.Outcome{"D": replay.OnTime, "E": replay.OnTime, "J": replay.Open}},
			{"release:2.0@2025-06-30", 3, 1, 1, 0, 1, 1, 0, &third, map[string]replay.Outcome{"F": replay.OnTime, "G": replay.Late, "H": replay.Open}},
			{"release:2.1", 0, 0, 0, 0, 0, 0, 1, nil, map[string]replay.Outcome{"I": replay.Unplanned}},
			{"release:2.2", 0, 0, 0, 0, 0, 0, 1, nil, map[string]replay.Outcome{"K": replay.Unplanned}},
		}},
		{replay.LevelRoadmap, []row{
			{"release:1.6.2", 1, 1, 0, 0, 0, 0, 0, ratio(1), map[string]replay.Outcome{"M-162": replay.OnTime}},
			{"release:1.6.10", 1, 0, 0, 0, 1, 0, 0, ratio(0), map[string]replay.Outcome{"M-1610": replay.Open}},
			{"release:2.0@2025-06-30", 1, 0, 0, 0, 1, 1, 0, ratio(0), map[string]replay.Outcome{"M-20": replay.Open}},
			{"release:2.1", 1, 1, 0, 0, 0, 0, 0, ratio(1), map[string]replay.Outcome{"M-21": replay.OnTime}},
			{"release:2.2", 0, 0, 0, 0, 0, 0, 1, nil, map[string]replay.Outcome{"M-22": replay.Unplanned}},
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.level), func(t *testing.T) {
			c, err := replay.Compare(ctx, src, snaps, "rel", replay.CompareOptions{Planned: t0, Delivered: t1, Level: tc.level})
			require.NoError(t, err)
			var got []row
			for _, p := range c.Periods {
				r := row{p.Period, p.Planned, p.OnTime, p.Late, p.Dropped, p.Open, p.Overdue, p.Unplanned, p.SayDo, map[string]replay.Outcome{}}
				for _, it := range p.Items {
					r.outcomes[it.ID] = it.Outcome
				}
				got = append(got, r)
			}
			require.Len(t, got, len(tc.want))
			for i, w := range tc.want {
				g := got[i]
				assert.Equal(t, w.period, g.period)
				assert.Equal(t, [7]int{w.planned, w.onTime, w.late, w.dropped, w.open, w.overdue, w.unplanned},
					[7]int{g.planned, g.onTime, g.late, g.dropped, g.open, g.overdue, g.unplanned}, "%s: planned, on time, late, dropped, open, overdue, unplanned", w.period)
				if w.sayDo == nil {
					assert.Nil(t, g.sayDo, "%s: nothing was planned for it, so it has no say/do ratio, not 0%%", w.period)
				} else if assert.NotNil(t, g.sayDo, w.period) {
					assert.InDelta(t, *w.sayDo, *g.sayDo, 1e-9, w.period)
				}
				assert.Equal(t, w.outcomes, g.outcomes, w.period)
			}
		})
	}
}
