package query

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// demoService is a Service over a store holding the demo history.
func demoService(t *testing.T) (*Service, *eventstore.Store) {
	t.Helper()
	s := eventstoretest.Demo(t)
	return New(s, nil), s
}

// The expectations below are worked out by hand from demo/script.go.
func TestDemoBacklog(t *testing.T) {
	q, _ := demoService(t)
	ctx := context.Background()
	b, err := q.Backlog(ctx, "checkout", replay.Latest, BacklogFilter{}, 0)
	require.NoError(t, err)
	var ids []string
	for i, it := range b.Items {
		ids = append(ids, it.ID)
		assert.Equal(t, i+1, it.Rank)
	}
	// Everything ranked to the top was delivered; what is left keeps the
	// order it was added in, BNPL's epic and stories after the OPS ones,
	// then the items accepted from requests.
	assert.Equal(t, []string{"OPS", "OPS-3", "OPS-4", "OPS-5", "BNPL", "BNPL-1", "BNPL-2", "BNPL-3", "CHK-1", "RECEIPT", "INV-8"}, ids)

	inv8 := b.Items[10]
	assert.Equal(t, "REQ-14", inv8.Request)
	assert.Equal(t, "BacklogItemAdded", inv8.LastDecision.Type, "INV-8 was added by accepting REQ-14, with the acceptance's why")
	assert.Equal(t, "nina", inv8.LastDecision.Actor)
	assert.Equal(t, domain.RolePO, inv8.LastDecision.Role)
	assert.Equal(t, "Invoice payment is live; finance needs the export", inv8.LastDecision.Why)

	all, err := q.Backlog(ctx, "checkout", replay.Latest, BacklogFilter{Status: "all"}, 0)
	require.NoError(t, err)
	assert.Len(t, all.Items, 44)
	removed, err := q.Backlog(ctx, "checkout", replay.Latest, BacklogFilter{Status: "removed"}, 0)
	require.NoError(t, err)
	assert.Len(t, removed.Items, 5) // CARD-7, FAX-1, FAX-2, FAX, WAL-5
}

func TestDemoScoreOverride(t *testing.T) {
	q, _ := demoService(t)
	w, err := q.Why(context.Background(), "checkout", replay.Latest, "CARD-2", 0)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(w.Decisions), 2)
	rank := w.Decisions[1]
	assert.Equal(t, "BacklogItemRanked", rank.Type)
	assert.Equal(t, "olga", rank.Actor)
	// At 01-08 10:10 the order was CARD-1, CARD-5, CARDS, CARD-2: rank 4 to 1.
	assert.Contains(t, rank.Changes, "rank 4 -> 1")
	// CARD-2 scores RICE 9000*3*0.5/8 = 1687.5 but jumps CARD-1 (5400) and CARD-5 (6000).
	require.Len(t, rank.OverridesScore, 2)
	assert.Equal(t, projections.Override{ID: "CARD-1", Framework: "RICE", Score: 5400}, rank.OverridesScore[0])
	assert.Equal(t, projections.Override{ID: "CARD-5", Framework: "RICE", Score: 6000}, rank.OverridesScore[1])
	assert.Contains(t, rank.Why, "PSD2")
	assert.Equal(t, 1, w.Churn)
}

func TestDemoRequests(t *testing.T) {
	q, _ := demoService(t)
	ctx := context.Background()
	all, err := q.Requests(ctx, "checkout", replay.Latest, "", "", 0)
	require.NoError(t, err)
	assert.Len(t, all.Requests, 16)

	rej, err := q.Requests(ctx, "checkout", replay.Latest, "rejected", "", 0)
	require.NoError(t, err)
	reasons := map[string]domain.ReasonCode{}
	for _, r := range rej.Requests {
		reasons[r.ID] = r.Reason
	}
	assert.Equal(t, map[string]domain.ReasonCode{
		"REQ-3": "conflicts-with-vision", "REQ-4": "out-of-scope", "REQ-5": "low-value",
		"REQ-6": "duplicate", "REQ-8": "not-feasible", "REQ-15": "other", "REQ-16": "duplicate",
	}, reasons)

	sally, err := q.Requests(ctx, "checkout", replay.Latest, "", "sally", 0)
	require.NoError(t, err)
	byID := map[string]Request{}
	for _, r := range sally.Requests {
		byID[r.ID] = r
	}
	require.Contains(t, byID, "REQ-5")
	r5 := byID["REQ-5"]
	assert.Equal(t, "olga", r5.DecidedBy)
	assert.Equal(t, domain.RolePO, r5.DecidedRole)
	assert.Contains(t, r5.Why, "under 1% of revenue")
	r12 := byID["REQ-12"]
	assert.Equal(t, "REQ-5", r12.Repeats)
	assert.True(t, r12.Comeback)
	assert.Equal(t, "LOC-1", r12.Item)
	assert.Equal(t, "nina", r12.DecidedBy, "decided after the PO handover")
	// REQ-1: submitted 01-14 11:00, accepted 01-16 10:00: 47 hours.
	r1 := byID["REQ-1"]
	require.NotNil(t, r1.WaitSeconds)
	assert.Equal(t, float64(47*3600), *r1.WaitSeconds)
	assert.Equal(t, "1d 23h", r1.Wait)
}

func TestDemoRoadmap(t *testing.T) {
	q, _ := demoService(t)
	r, err := q.Roadmap(context.Background(), "checkout", replay.Latest, 0)
	require.NoError(t, err)
	got := map[string]projections.RoadmapItem{}
	var periods []string
	for _, p := range r.Periods {
		periods = append(periods, p.Name)
		for _, it := range p.Items {
			got[it.ID] = it
		}
	}
	assert.Equal(t, []string{"2026-Q1", "2026-Q2", "2026-Q3"}, periods)
	wallets := got["R-WALLETS"]
	assert.Equal(t, projections.RoadmapStatus("delivered"), wallets.Status)
	require.NotNil(t, wallets.DeliveredAt)
	assert.Equal(t, time.Date(2026, 7, 8, 16, 0, 0, 0, time.UTC), *wallets.DeliveredAt, "WAL-4 was the last to ship")
	assert.True(t, wallets.Late, "planned for Q2, delivered in Q3")
	assert.Equal(t, projections.Progress{Total: 4, Delivered: 4}, wallets.Progress, "WAL-5 was removed")

	cards := got["R-CARDS"]
	assert.Equal(t, time.Date(2026, 3, 20, 17, 0, 0, 0, time.UTC), *cards.DeliveredAt)
	assert.False(t, cards.Late)
	assert.Equal(t, "2026-Q3", got["R-INVOICE"].Period, "rescheduled from Q2")
	assert.Equal(t, projections.RoadmapStatus("dropped"), got["R-FAX"].Status)
	assert.Equal(t, projections.RoadmapStatus("in-progress"), got["R-BNPL"].Status)
}

func TestDeterministicRebuild(t *testing.T) {
	q, _ := demoService(t)
	ctx := context.Background()
	a, _, err := q.Set(ctx, "checkout", replay.Latest)
	require.NoError(t, err)
	b, _, err := q.Set(ctx, "checkout", replay.Latest)
	require.NoError(t, err)
	sa, err := a.MarshalSnapshot()
	require.NoError(t, err)
	sb, err := b.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, string(sa), string(sb))
}

// TestLiveEqualsRebuilt runs Live (what serve runs) while random valid
// decisions are recorded, waits until it has applied the product's last
// event, and compares its projections with a fresh rebuild. Live writes a
// snapshot every few events meanwhile, so its snapshot path runs too.
func TestLiveEqualsRebuilt(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx, cancel := context.WithCancel(eventstoretest.Context(t))
	defer cancel()
	clock := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	h := command.New(s, func() time.Time { clock = clock.Add(time.Minute); return clock })
	rec := func(actor, why string, a domain.Action) error {
		_, err := h.Execute(ctx, domain.Command{ID: fmt.Sprintf("c-%d", clock.UnixNano()), Product: "p", Actor: actor, Why: why, Action: a})
		return err
	}
	require.NoError(t, rec("pam", "", domain.CreateProduct{Name: "P", PM: "pam", PO: "olga"}))
	require.NoError(t, rec("pam", "w", domain.AssignRole{Actor: "tom", Role: domain.RoleTeam}))
	require.NoError(t, rec("pam", "w", domain.AssignRole{Actor: "sue", Role: domain.RoleStakeholder}))
	require.NoError(t, rec("pam", "w", domain.PlanRoadmapItem{ID: "R1", Title: "r1", Period: "2026-Q1"}))

	live := NewLive(s, s.Snapshots(), 16, t.Logf)
	ran := make(chan error, 1)
	go func() { ran <- live.Run(ctx) }()

	rng := rand.New(rand.NewSource(7))
	items := []string{}
	reqs := []string{}
	for i := 0; i < 150; i++ {
		pick := func(xs []string) string {
			if len(xs) == 0 {
				return "none"
			}
			return xs[rng.Intn(len(xs))]
		}
		var err error
		switch rng.Intn(8) {
		case 0, 1:
			id := fmt.Sprintf("I%d", i)
			err = rec("olga", "", domain.AddItem{ID: id, Title: id, Roadmap: "R1"})
			if err == nil {
				items = append(items, id)
			}
		case 2:
			err = rec("olga", "w", domain.RankItem{ID: pick(items), Position: domain.Position{Place: domain.PlaceAbove, Ref: pick(items)},
				Score: &domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": float64(rng.Intn(100)), "impact": 1, "confidence": 1, "effort": 1}}})
		case 3:
			err = rec("olga", "w", domain.RankItem{ID: pick(items), Position: domain.Position{Place: domain.PlaceTop}})
		case 4:
			err = rec("tom", "", domain.StartWork{ID: pick(items)})
		case 5:
			err = rec("tom", "", domain.DeliverWork{ID: pick(items)})
		case 6:
			id := fmt.Sprintf("Q%d", i)
			err = rec("sue", "", domain.SubmitRequest{ID: id, Title: id})
			if err == nil {
				reqs = append(reqs, id)
			}
		case 7:
			err = rec("olga", "w", domain.RejectRequest{ID: pick(reqs), Reason: domain.ReasonLowValue})
		}
		if err != nil {
			require.Contains(t, []domain.Kind{domain.KindInvalid, domain.KindNotFound, domain.KindState}, domain.KindOf(err), err.Error())
		}
	}
	last, err := s.LastSeq(ctx, "p")
	require.NoError(t, err)
	require.Greater(t, last, uint64(100), "most random decisions were recorded")
	require.Eventually(t, func() bool { return live.Position("p") == last }, 10*time.Second, 10*time.Millisecond,
		"Live reaches the stream's last sequence %d", last)

	rebuilt, _, err := New(s, nil).Set(ctx, "p", replay.Latest)
	require.NoError(t, err)
	want, err := rebuilt.MarshalSnapshot()
	require.NoError(t, err)
	var got []byte
	require.True(t, live.Read("p", func(set *projections.Set) { got, err = set.MarshalSnapshot() }))
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))

	cancel()
	require.NoError(t, <-ran)
}

// TestUnknownEventsSkippedAndCounted: what this version cannot read is
// quarantined like any event the fold refuses, counted apart as skipped
// too, and the rest of the view is built.
func TestUnknownEventsSkippedAndCounted(t *testing.T) {
	q, s := demoService(t)
	ctx := context.Background()
	_, err := s.JetStream().Publish(ctx, "ledger.checkout.item.ALIEN", []byte(`{"type":"BacklogItemSplit","schema":3}`))
	require.NoError(t, err)
	_, err = s.JetStream().Publish(ctx, "ledger.checkout.item.NOISE", []byte(`not json`))
	require.NoError(t, err)
	b, err := q.Backlog(ctx, "checkout", replay.Latest, BacklogFilter{}, 0)
	require.NoError(t, err)
	assert.Equal(t, 2, b.Skipped)
	assert.Equal(t, uint64(164), b.FirstSkipped)
	assert.Equal(t, 2, b.Quarantined)
	require.Len(t, b.Warnings, 1)
	assert.Contains(t, b.Warnings[0], "2 event(s) quarantined")
	assert.Contains(t, b.Warnings[0], `first at sequence 164: event type "BacklogItemSplit" (schema 3) is not one this version reads`)
	assert.Len(t, b.Items, 11, "the rest of the backlog is unaffected")
}

func TestLiveFollowsEveryProduct(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := command.New(s, func() time.Time { return eventstoretest.SeedNow })
	eventstoretest.SeedDemo(t, s, "checkout")

	snaps := s.Snapshots()
	live := NewLive(s, snaps, 4, t.Logf)
	done := make(chan error, 1)
	go func() { done <- live.Run(ctx) }()
	require.Eventually(t, func() bool { return live.Position("checkout") == 163 }, 10*time.Second, 10*time.Millisecond)

	// A product created while Live runs is picked up; writes are followed.
	eventstoretest.SeedDemo(t, s, "shop")
	_, err := h.Execute(ctx, domain.Command{ID: "late", Product: "checkout", Actor: "nina", Why: "w",
		Action: domain.RankItem{ID: "BNPL-3", Position: domain.Position{Place: domain.PlaceTop}}})
	require.NoError(t, err)
	last, err := s.LastSeq(ctx, "checkout")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return live.Position("checkout") == last }, 10*time.Second, 10*time.Millisecond)
	shopLast, err := s.LastSeq(ctx, "shop")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return live.Position("shop") == shopLast }, 3*ProductPoll+5*time.Second, 20*time.Millisecond)

	for _, p := range []string{"checkout", "shop"} {
		rebuilt, _, err := New(s, nil).Set(ctx, p, replay.Latest)
		require.NoError(t, err)
		want, err := rebuilt.MarshalSnapshot()
		require.NoError(t, err)
		var got []byte
		require.True(t, live.Read(p, func(set *projections.Set) { got, err = set.MarshalSnapshot() }))
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(got), "live %s equals rebuilt", p)
	}
	// Snapshots were written at the restore point (163 events replayed) and
	// as the live projections went: event 164 of checkout is a multiple of 4.
	list, err := snaps.List(ctx, "checkout", "views")
	require.NoError(t, err)
	var seqs []uint64
	for _, s := range list {
		seqs = append(seqs, s.Seq)
	}
	assert.Contains(t, seqs, uint64(163))
	assert.Contains(t, seqs, last)

	cancel()
	require.NoError(t, <-done)
}

// TestDecodeOptionsTakesOnlyWhatItDeclares: an option named in another
// case, or text that is not UTF-8, is refused naming it, not read as the
// option it resembles or as U+FFFD.
func TestDecodeOptionsTakesOnlyWhatItDeclares(t *testing.T) {
	tests := []struct {
		name, data, field, msg string
	}{
		{"ErrOptionOfAnotherCase", `{"product":"checkout","ASOF":"2026-04-01"}`, "ASOF", `unknown option "ASOF" (did you mean "asOf"?`},
		{"ErrListOptionOfAnotherCase", `{"product":"checkout","Type":["ranked"]}`, "Type", `did you mean "type"?`},
		{"ErrNotUTF8", "{\"product\":\"checkout\",\"actor\":\"ol\xffga\"}", "actor", "not valid UTF-8"},
		{"ErrNotUTF8InList", "{\"product\":\"checkout\",\"type\":[\"rank\xffed\"]}", "type", "not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeOptions([]byte(tc.data))
			require.Error(t, err)
			assert.Equal(t, domain.KindMalformed, domain.KindOf(err), err.Error())
			assert.Equal(t, tc.field, domain.FieldOf(err))
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// TestWhyNamesTheRequestAnIssueStandsFor: an imported issue never taken on
// is only its request; why about the tracker's number says which id to ask
// about, from the live log and from a rebuild alike.
func TestWhyNamesTheRequestAnIssueStandsFor(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx, cancel := context.WithCancel(eventstoretest.Context(t))
	defer cancel()
	clock := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	h := command.New(s, func() time.Time { clock = clock.Add(time.Minute); return clock })
	n := 0
	rec := func(actor string, a domain.Action) {
		n++
		_, err := h.Execute(ctx, domain.Command{ID: fmt.Sprintf("c-%d", n), Product: "p", Actor: actor, Why: "w", Action: a})
		require.NoError(t, err)
	}
	rec("pam", domain.CreateProduct{Name: "P", PM: "pam", PO: "olga"})
	rec("pam", domain.AssignRole{Actor: "sue", Role: domain.RoleStakeholder})
	rec("sue", domain.SubmitRequest{ID: "GH-5-req", Title: "Dark mode"})

	live := NewLive(s, s.Snapshots(), 16, t.Logf)
	go func() { _ = live.Run(ctx) }()
	lq := New(s, nil)
	lq.UseLive(live, h.LastSeq)
	for name, q := range map[string]*Service{"Rebuilt": New(s, nil), "Live": lq} {
		t.Run(name, func(t *testing.T) {
			_, err := q.Why(ctx, "p", replay.Latest, "GH-5", 3)
			require.Error(t, err)
			assert.Equal(t, domain.KindNotFound, domain.KindOf(err))
			assert.Contains(t, err.Error(), "the request GH-5-req was never accepted into an item")
			_, err = q.Why(ctx, "p", replay.Latest, "GH-6", 3)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "GH-6-req", "no request by that id: no hint")
			w, err := q.Why(ctx, "p", replay.Latest, "GH-5-req", 3)
			require.NoError(t, err)
			assert.Equal(t, domain.KindRequest, w.Kind)
		})
	}
}
