package replay_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

// endOf is the last instant of a day such as "2025-02-09".
func endOf(s string) time.Time { return replay.EndOfDay(day(s)).At }

// TestSayDo_Releases: each release is judged against the plan of the day
// before its first delivery, or of the day the release before it
// shipped when that is earlier (see releaseHistory):
//
//	1.6.2   first delivery A 02-10: plan of 02-09, A B C      A in it, B later, C never  1/3
//	1.6.10  first delivery B 02-20: plan of 02-19, B D E J    B D in it, E in 1.6.2, J open  3/4
//	2.0     first delivery F 06-30: plan of 06-29, F G H      F in it, G later, H open  1/3
//	2.1     first delivery I 04-10, before 2.0 shipped: plan of 04-09, I  1/1
//	2.2     first delivery K 05-10: plan of 05-09, K  1/1
//	3.0     named as L landed on 08-05; 2.0 shipped before: the plan of 06-30 holds
//	        nothing for it, L is unplanned: no ratio
func TestSayDo_Releases(t *testing.T) {
	src, snaps := releaseHistory(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := replay.SayDoOf(eventstoretest.Context(t), src, snaps, "rel", replay.Latest, now)
	require.NoError(t, err)
	type row struct {
		period             string
		t0                 time.Time
		planned, onTime    int
		late, never, extra int
		sayDo              float64 // -1: none
	}
	var got []row
	for _, p := range s.Periods {
		assert.Equal(t, replay.LevelItem, p.Level, "a release counts backlog items")
		r := row{p.Period, p.PlannedAsOf, p.Planned, p.OnTime, p.Late, p.Dropped + p.Open, p.Unplanned, -1}
		if p.SayDo != nil {
			r.sayDo = *p.SayDo
		}
		got = append(got, r)
	}
	assert.Equal(t, []row{
		{"release:1.6.2", endOf("2025-02-09"), 3, 1, 1, 1, 0, 1.0 / 3},
		{"release:1.6.10", endOf("2025-02-19"), 4, 3, 0, 1, 0, 3.0 / 4},
		{"release:2.0@2025-06-30", endOf("2025-06-29"), 3, 1, 1, 1, 0, 1.0 / 3},
		{"release:2.1", endOf("2025-04-09"), 1, 1, 0, 0, 0, 1},
		{"release:2.2", endOf("2025-05-09"), 1, 1, 0, 0, 0, 1},
		{"release:3.0", endOf("2025-06-30"), 0, 0, 0, 0, 1, -1},
	}, got)

	// As of 1 March: 2.0 has neither shipped nor delivered anything, so
	// it has not begun; neither have the releases after it.
	s, err = replay.SayDoOf(eventstoretest.Context(t), src, snaps, "rel", replay.EndOfDay(day("2025-03-01")), now)
	require.NoError(t, err)
	var names []string
	for _, p := range s.Periods {
		names = append(names, p.Period)
	}
	assert.Equal(t, []string{"release:1.6.2", "release:1.6.10"}, names)
}

// TestSayDo_DemoQuarters: a quarter is judged against the plan of the
// day before it began, or of the day its first item was planned when
// the roadmap was empty then (Q1: R-CARDS was planned on 6 January), and
// counts roadmap items: the figures compare gives for that plan.
func TestSayDo_DemoQuarters(t *testing.T) {
	st := eventstoretest.Demo(t)
	ctx := eventstoretest.Context(t)
	now := eventstoretest.SeedNow
	s, err := replay.SayDoOf(ctx, st, st.Snapshots(), demo.Product, replay.Latest, now)
	require.NoError(t, err)
	var names []string
	for _, p := range s.Periods {
		names = append(names, p.Period)
		assert.Equal(t, replay.LevelRoadmap, p.Level)
		c, err := replay.Compare(ctx, st, st.Snapshots(), demo.Product, replay.CompareOptions{
			Planned: replay.AtTime(p.PlannedAsOf), Now: now, Period: p.Period})
		require.NoError(t, err)
		require.Len(t, c.Periods, 1)
		po := c.Periods[0]
		assert.Equal(t, [7]int{po.Planned, po.OnTime, po.Late, po.Dropped, po.Open, po.Overdue, po.Unplanned},
			[7]int{p.Planned, p.OnTime, p.Late, p.Dropped, p.Open, p.Overdue, p.Unplanned}, p.Period)
	}
	assert.Equal(t, []string{"2026-Q1", "2026-Q2", "2026-Q3"}, names)
	assert.Equal(t, endOf("2026-01-06"), s.Periods[0].PlannedAsOf)
	assert.Equal(t, endOf("2026-03-31"), s.Periods[1].PlannedAsOf)
	assert.Equal(t, endOf("2026-06-30"), s.Periods[2].PlannedAsOf)
}
