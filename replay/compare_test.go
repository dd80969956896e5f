package replay_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// when reads "04-20 11:00" as a time in 2026, UTC, as demo/script.go writes it.
func when(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2026-"+s)
	if err != nil {
		panic(err)
	}
	return t
}

func whenPtr(s string) *time.Time { t := when(s); return &t }

// decisions looks up, in the stored history, the events that the expected
// causes name by type, subject and time, so that only their sequence is
// taken from the stream; the rest is written out by hand.
type decisions []domain.Event

func (h decisions) cite(t *testing.T, typ, subject, at, actor string, role domain.Role, why, effect string) replay.Decision {
	t.Helper()
	var found []domain.Event
	for _, e := range h {
		if e.Type == typ && e.Aggregate.ID == subject && e.OccurredAt.Equal(when(at)) {
			found = append(found, e)
		}
	}
	require.Len(t, found, 1, "%s %s at %s", typ, subject, at)
	return replay.Decision{Citation: projections.Citation{Seq: found[0].Seq, Type: typ, Actor: actor, Role: role,
		At: when(at), Why: why}, Subject: subject, Effect: effect}
}

func ratio(f float64) *float64 { return &f }

// The demo's roadmap as planned on 1 April 2026 against what was
// delivered by 27 November, worked out by hand from demo/script.go:
//
//   - R-CARDS (Q1): its last item, CARD-3, delivered 03-20: on time, and
//     already delivered at T0.
//   - R-WALLETS (Q2): WAL-4 delivered 07-08, after Q2: late. Causes: the
//     PM ranked R-INVOICE above it (04-02), Nina ranked WAL-4 to the
//     bottom (05-15) and removed WAL-5 (06-22). Olga's 04-21 move of
//     INV-1 to the bottom lifted the wallet items; INV-1 back on top on
//     07-01 jumped only over items above WAL-4: neither counts.
//   - R-INVOICE (Q2 at T0): INV-7 added for REQ-10 (04-15), rescheduled to
//     Q3 (04-20), INV-1 ranked to the bottom (04-21), and INV-7 pushed
//     down when RCP-2 (07-27) and RCP-3 (08-31) went above BNPL-1;
//     delivered with INV-7 on 09-07: late. INV-1 back on top (07-01) is
//     its own work moving up, not held against it.
//   - R-FAX (Q2): dropped 05-06; its items' removals come after the drop.
//   - R-BNPL (Q3): open at T1 and Q3 is over: overdue. INV-1 to the top
//     (07-01), RCP-2 (07-27) and RCP-3 (08-31) above BNPL-1 pushed its
//     items down.
//   - R-RECEIPTS: planned 06-10, after T0, delivered 09-15: unplanned.
func TestCompare_DemoRoadmap(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	eventstoretest.SeedDemo(t, s, demo.Product)
	h := decisions(eventstoretest.Events(t, s, demo.Product))
	t0, err := replay.ParsePosition("2026-04-01")
	require.NoError(t, err)
	t1, err := replay.ParsePosition("2026-11-27")
	require.NoError(t, err)

	c, err := replay.Compare(ctx, s, nil, demo.Product, replay.CompareOptions{Planned: t0, Delivered: t1})
	require.NoError(t, err)
	assert.Equal(t, replay.LevelRoadmap, c.Level)
	assert.Equal(t, h.cite(t, "BacklogItemRanked", "WAL-2", "03-30 10:00", "olga", "po", "", "").Seq, c.Planned.Seq,
		"T0 stops after the last decision of 1 April or before")
	assert.Equal(t, h[len(h)-1].Seq, c.Delivered.Seq)

	po, pm := domain.RolePO, domain.RolePM
	want := []replay.PeriodOutcome{
		{Period: "2026-Q1", Planned: 1, OnTime: 1, AlreadyDelivered: 1, SayDo: ratio(1), Items: []replay.ItemOutcome{
			{ID: "R-CARDS", Title: "Card payments revamp", Outcome: replay.OnTime, Period: "2026-Q1", PeriodNow: "2026-Q1",
				DeliveredAt: whenPtr("03-20 17:00"), Causes: []replay.Decision{}},
		}},
		{Period: "2026-Q2", Planned: 3, Late: 2, Dropped: 1, SayDo: ratio(0), Items: []replay.ItemOutcome{
			{ID: "R-WALLETS", Title: "Wallet payments", Outcome: replay.Late, Period: "2026-Q2", PeriodNow: "2026-Q2",
				DeliveredAt: whenPtr("07-08 16:00"), Causes: []replay.Decision{
					h.cite(t, "RoadmapItemRanked", "R-INVOICE", "04-02 10:00", "pam", pm, "B2B deals are worth more than the mobile uplift this quarter",
						"R-INVOICE above R-WALLETS: R-WALLETS 1 -> 2 in 2026-Q2"),
					h.cite(t, "BacklogItemRanked", "WAL-4", "05-15 10:00", "nina", po, "Wallet refunds are rare; support refunds by hand at launch",
						"WAL-4 to the bottom: 5 -> 24"),
					h.cite(t, "BacklogItemRemoved", "WAL-5", "06-22 10:00", "nina", po, "Express shipping in the wallet sheet is a nice-to-have; refunds matter more",
						"removed WAL-5"),
				}},
			{ID: "R-INVOICE", Title: "Pay by invoice for business customers", Outcome: replay.Late, Period: "2026-Q2", PeriodNow: "2026-Q3",
				DeliveredAt: whenPtr("09-07 17:00"), Causes: []replay.Decision{
					h.cite(t, "BacklogItemAdded", "INV-7", "04-15 10:00", "olga", po, "A must-have for invoice payment to go live", "added INV-7"),
					h.cite(t, "RoadmapItemRescheduled", "R-INVOICE", "04-20 11:00", "pam", pm,
						"The credit-check vendor contract slipped to July; legal must approve the new vendor", "rescheduled 2026-Q2 -> 2026-Q3"),
					h.cite(t, "BacklogItemRanked", "INV-1", "04-21 10:00", "olga", po, "Invoice work waits for the vendor; wallets go first",
						"INV-1 to the bottom: 8 -> 27"),
					h.cite(t, "BacklogItemRanked", "RCP-2", "07-27 10:00", "nina", po, "The French deadline is fixed; BNPL can follow",
						"RCP-2 above BNPL-1: pushed down INV-7 14 -> 15"),
					h.cite(t, "BacklogItemRanked", "RCP-3", "08-31 10:00", "nina", po, "The BNPL provider's sandbox is unstable; VAT receipts are legally required first",
						"RCP-3 above BNPL-1: pushed down INV-7 11 -> 12"),
				}},
			{ID: "R-FAX", Title: "Fax and phone orders", Outcome: replay.Dropped, Period: "2026-Q2", PeriodNow: "2026-Q2",
				DroppedAt: whenPtr("05-06 10:00"), Causes: []replay.Decision{
					h.cite(t, "RoadmapItemDropped", "R-FAX", "05-06 10:00", "pam", pm, "Only four customers still order by fax; support takes phone orders by hand", "dropped"),
				}},
		}},
		{Period: "2026-Q3", Planned: 1, Open: 1, Overdue: 1, Unplanned: 1, SayDo: ratio(0), Items: []replay.ItemOutcome{
			{ID: "R-BNPL", Title: "Buy now, pay later", Outcome: replay.Open, Overdue: true, Period: "2026-Q3", PeriodNow: "2026-Q3",
				Causes: []replay.Decision{
					h.cite(t, "BacklogItemRanked", "INV-1", "07-01 10:00", "nina", po, "The credit-check vendor is signed: invoice work is back on top",
						"INV-1 to the top: pushed down BNPL-1 13 -> 14, BNPL-2 14 -> 15, BNPL-3 15 -> 16"),
					h.cite(t, "BacklogItemRanked", "RCP-2", "07-27 10:00", "nina", po, "The French deadline is fixed; BNPL can follow",
						"RCP-2 above BNPL-1: pushed down BNPL-1 11 -> 12, BNPL-2 12 -> 13, BNPL-3 13 -> 14"),
					h.cite(t, "BacklogItemRanked", "RCP-3", "08-31 10:00", "nina", po, "The BNPL provider's sandbox is unstable; VAT receipts are legally required first",
						"RCP-3 above BNPL-1: pushed down BNPL-1 8 -> 9, BNPL-2 9 -> 10, BNPL-3 10 -> 11"),
				}},
			{ID: "R-RECEIPTS", Title: "Digital receipts", Outcome: replay.Unplanned, Period: "2026-Q3", PeriodNow: "2026-Q3",
				DeliveredAt: whenPtr("09-15 17:00"), Causes: []replay.Decision{
					h.cite(t, "RoadmapItemPlanned", "R-RECEIPTS", "06-10 11:00", "pam", pm,
						"French e-receipt law from 1 October; paper receipts cost EUR 80k a year", "planned for 2026-Q3"),
				}},
		}},
	}
	assert.Equal(t, want, c.Periods)

	t.Run("Period", func(t *testing.T) {
		c, err := replay.Compare(ctx, s, nil, demo.Product, replay.CompareOptions{Planned: t0, Delivered: t1, Period: "2026-Q2"})
		require.NoError(t, err)
		require.Len(t, c.Periods, 1)
		assert.Equal(t, want[1], c.Periods[0])
	})
	t.Run("DeliveredDefaultsToNow", func(t *testing.T) {
		now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
		c, err := replay.Compare(ctx, s, nil, demo.Product, replay.CompareOptions{Planned: t0, Now: now})
		require.NoError(t, err)
		assert.Equal(t, replay.AtTime(now), c.Delivered.AsOf)
		assert.Equal(t, want, c.Periods)
	})
	t.Run("BeforeTheQuarterEnds", func(t *testing.T) {
		// On 15 September R-BNPL is open but Q3 is not over: not overdue.
		c, err := replay.Compare(ctx, s, nil, demo.Product, replay.CompareOptions{Planned: t0, Delivered: replay.EndOfDay(when("09-15 00:00")), Period: "2026-Q3"})
		require.NoError(t, err)
		require.Len(t, c.Periods, 1)
		bnpl := c.Periods[0].Items[0]
		assert.Equal(t, "R-BNPL", bnpl.ID)
		assert.Equal(t, replay.Open, bnpl.Outcome)
		assert.False(t, bnpl.Overdue)
	})
	t.Run("ErrLevel", func(t *testing.T) {
		_, err := replay.Compare(ctx, s, nil, demo.Product, replay.CompareOptions{Planned: t0, Level: "epic"})
		require.ErrorIs(t, err, domain.ErrInvalid)
	})
	t.Run("ErrDeliveredBeforePlanned", func(t *testing.T) {
		_, err := replay.Compare(ctx, s, nil, demo.Product, replay.CompareOptions{Planned: t0, Delivered: replay.EndOfDay(when("03-01 00:00"))})
		require.ErrorIs(t, err, domain.ErrInvalid)
	})
}

// The same comparison for backlog items: each item planned at T0 is
// judged against the period of the roadmap item it served then.
//
//   - Q1: CARD-1..6 and CARD-8 all delivered in Q1 (CARD-7 was removed
//     before T0): 7 planned, 7 on time.
//   - Q2: WAL-1, WAL-2, WAL-3 on time; WAL-4 and INV-1..INV-6 late; WAL-5,
//     FAX-1, FAX-2 removed (dropped): 13 planned. OPS-1 (04-28) and OPS-6
//     (06-18) serve no roadmap item: unplanned in the quarter delivered.
//   - Q3: BNPL-1..3 open and overdue. Unplanned: WALLET (epic), RCP-1,
//     RCP-2, LOC-1, INV-7 (added after T0), INVOICE (epic), RCP-3.
func TestCompare_DemoItems(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	eventstoretest.SeedDemo(t, s, demo.Product)
	h := decisions(eventstoretest.Events(t, s, demo.Product))
	c, err := replay.Compare(ctx, s, s.Snapshots(), demo.Product, replay.CompareOptions{
		Planned: replay.EndOfDay(when("04-01 00:00")), Delivered: replay.EndOfDay(when("11-27 00:00")), Level: replay.LevelItem})
	require.NoError(t, err)
	require.Len(t, c.Periods, 3)

	type counts struct{ planned, onTime, late, dropped, open, overdue, unplanned int }
	ids := func(p replay.PeriodOutcome, o replay.Outcome) []string {
		var out []string
		for _, it := range p.Items {
			if it.Outcome == o {
				out = append(out, it.ID)
			}
		}
		return out
	}
	tests := []struct {
		period string
		counts counts
		sayDo  float64
		byOut  map[replay.Outcome][]string
	}{
		{"2026-Q1", counts{planned: 7, onTime: 7}, 1, map[replay.Outcome][]string{
			replay.OnTime: {"CARD-1", "CARD-5", "CARD-6", "CARD-2", "CARD-8", "CARD-4", "CARD-3"}}},
		{"2026-Q2", counts{planned: 13, onTime: 3, late: 7, dropped: 3, unplanned: 2}, 3.0 / 13, map[replay.Outcome][]string{
			replay.OnTime:    {"WAL-1", "WAL-2", "WAL-3"},
			replay.Late:      {"WAL-4", "INV-1", "INV-2", "INV-3", "INV-4", "INV-5", "INV-6"},
			replay.Dropped:   {"WAL-5", "FAX-1", "FAX-2"},
			replay.Unplanned: {"OPS-1", "OPS-6"}}},
		{"2026-Q3", counts{planned: 3, open: 3, overdue: 3, unplanned: 5}, 0, map[replay.Outcome][]string{
			replay.Open:      {"BNPL-1", "BNPL-2", "BNPL-3"},
			replay.Unplanned: {"RCP-1", "RCP-2", "LOC-1", "INV-7", "RCP-3"}}}, // epics WALLET and INVOICE group work: never unplanned
	}
	for i, tc := range tests {
		t.Run(tc.period, func(t *testing.T) {
			p := c.Periods[i]
			assert.Equal(t, tc.period, p.Period)
			assert.Equal(t, tc.counts, counts{p.Planned, p.OnTime, p.Late, p.Dropped, p.Open, p.Overdue, p.Unplanned})
			require.NotNil(t, p.SayDo)
			assert.InDelta(t, tc.sayDo, *p.SayDo, 1e-9)
			for o, want := range tc.byOut {
				assert.ElementsMatch(t, want, ids(p, o), "%s", o)
			}
		})
	}

	item := func(id string) replay.ItemOutcome {
		for _, p := range c.Periods {
			for _, it := range p.Items {
				if it.ID == id {
					return it
				}
			}
		}
		t.Fatalf("item %s not in the comparison", id)
		return replay.ItemOutcome{}
	}
	po, pm := domain.RolePO, domain.RolePM
	assert.Equal(t, []replay.Decision{
		h.cite(t, "BacklogItemRanked", "WAL-4", "05-15 10:00", "nina", po, "Wallet refunds are rare; support refunds by hand at launch", "WAL-4 to the bottom: 5 -> 24"),
	}, item("WAL-4").Causes)
	assert.Equal(t, []replay.Decision{
		h.cite(t, "RoadmapItemRescheduled", "R-INVOICE", "04-20 11:00", "pam", pm,
			"The credit-check vendor contract slipped to July; legal must approve the new vendor", "R-INVOICE rescheduled 2026-Q2 -> 2026-Q3"),
		h.cite(t, "BacklogItemRanked", "INV-1", "04-21 10:00", "olga", po, "Invoice work waits for the vendor; wallets go first", "INV-1 to the bottom: 8 -> 27"),
	}, item("INV-1").Causes)
	assert.Equal(t, []replay.Decision{
		h.cite(t, "RoadmapItemDropped", "R-FAX", "05-06 10:00", "pam", pm, "Only four customers still order by fax; support takes phone orders by hand", "R-FAX dropped"),
		h.cite(t, "BacklogItemRemoved", "FAX-1", "05-06 10:30", "nina", po, "Roadmap item R-FAX was dropped", "removed"),
	}, item("FAX-1").Causes)
	assert.Equal(t, []replay.Decision{
		h.cite(t, "BacklogItemRanked", "INV-1", "07-01 10:00", "nina", po, "The credit-check vendor is signed: invoice work is back on top", "INV-1 to the top: pushed down BNPL-1 13 -> 14"),
		h.cite(t, "BacklogItemRanked", "RCP-2", "07-27 10:00", "nina", po, "The French deadline is fixed; BNPL can follow", "RCP-2 above BNPL-1: pushed down BNPL-1 11 -> 12"),
		h.cite(t, "BacklogItemRanked", "RCP-3", "08-31 10:00", "nina", po, "The BNPL provider's sandbox is unstable; VAT receipts are legally required first", "RCP-3 above BNPL-1: pushed down BNPL-1 8 -> 9"),
	}, item("BNPL-1").Causes)
	inv7 := item("INV-7")
	assert.Equal(t, "R-INVOICE", inv7.Roadmap)
	assert.Equal(t, "2026-Q3", inv7.Period)
	assert.Equal(t, []replay.Decision{
		h.cite(t, "BacklogItemAdded", "INV-7", "04-15 10:00", "olga", po, "A must-have for invoice payment to go live", "added to R-INVOICE"),
	}, inv7.Causes)
	assert.Empty(t, item("CARD-3").Causes)
}
