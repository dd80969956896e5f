package query

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

// oldOverview is the overview as the dashboard computed it before it was
// a view (httpapi/dashboard.go at 14fb70e): from the whole requests view
// and the whole log, read on every hit. The view must give the same
// figures.
func oldOverview(t *testing.T, q *Service, asOf string) *Overview {
	t.Helper()
	ctx := context.Background()
	lv, err := q.View(ctx, ViewLog, Options{Product: "checkout", AsOf: asOf})
	require.NoError(t, err)
	log := lv.(Log)
	rv, err := q.View(ctx, ViewRequests, Options{Product: "checkout", AsOf: asOf})
	require.NoError(t, err)
	reqs := rv.(Requests)

	out := &Overview{Requests: len(reqs.Requests), Reasons: []ReasonCount{}, Churn: []Churn{}}
	counts := map[string]int{}
	reasons := map[string]int{}
	var waits []float64
	for _, rq := range reqs.Requests {
		counts[string(rq.Status)]++
		if rq.Status == "rejected" {
			reasons[string(rq.Reason)]++
		}
		if rq.WaitSeconds != nil {
			waits = append(waits, *rq.WaitSeconds)
		}
	}
	for _, st := range RequestStatuses {
		out.Funnel = append(out.Funnel, StatusCount{st, counts[st]})
	}
	for reason, n := range reasons {
		out.Reasons = append(out.Reasons, ReasonCount{reason, n})
	}
	sort.Slice(out.Reasons, func(i, j int) bool { return out.Reasons[i].Reason < out.Reasons[j].Reason })
	out.Decided = len(waits)
	if len(waits) > 0 {
		sort.Float64s(waits)
		m := waits[len(waits)/2]
		if len(waits)%2 == 0 {
			m = (waits[len(waits)/2-1] + waits[len(waits)/2]) / 2
		}
		out.MedianWaitSeconds = &m
		out.MedianWait = Span(time.Duration(m * float64(time.Second)))
	}
	ranks := map[string]int{}
	for _, e := range log.Entries {
		if e.Quarantined == "" && (e.Type == "BacklogItemRanked" || e.Type == "RoadmapItemRanked") {
			ranks[e.Aggregate.ID]++
		}
	}
	for id, n := range ranks {
		out.Churn = append(out.Churn, Churn{id, n})
	}
	sort.Slice(out.Churn, func(i, j int) bool { return churnBefore(out.Churn[i], out.Churn[j]) })
	if len(out.Churn) > ChurnTop {
		out.Churn = out.Churn[:ChurnTop]
	}
	out.Latest = []LogEntry{}
	for i := len(log.Entries) - 1; i >= 0 && len(out.Latest) < LatestDecisions; i-- {
		if e := log.Entries[i]; e.Quarantined == "" && e.Why != "" {
			out.Latest = append(out.Latest, e)
		}
	}
	out.Meta.Quarantined = log.Meta.Quarantined
	return out
}

// figures is what an overview says, without how it was built.
func figures(t *testing.T, o *Overview) string {
	t.Helper()
	o2 := *o
	o2.Meta = Meta{Quarantined: o.Quarantined}
	o2.SayDo, o2.SayDoError = nil, ""
	b, err := json.Marshal(o2)
	require.NoError(t, err)
	return string(b)
}

// liveService is a service answering from live projections of s, once
// they and the transparency log stand at the stream's end.
func liveService(t *testing.T, s *eventstore.Store) (*Service, *Live, *command.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	live := NewLive(s, s.Snapshots(), 0, t.Logf)
	done := make(chan struct{})
	go func() { defer close(done); _ = live.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h := command.New(s, nil)
	lq := New(s, s.Snapshots())
	lq.UseLive(live, h.LastSeq)
	return lq, live, h
}

// forge stores a rank decision no rule allows, which the validating
// fold quarantines, and returns its sequence.
func forge(t *testing.T, s *eventstore.Store) uint64 {
	t.Helper()
	ctx := context.Background()
	last, err := s.LastSeq(ctx, "checkout")
	require.NoError(t, err)
	evs := eventstoretest.Events(t, s, "checkout")
	at := evs[len(evs)-1].OccurredAt.Add(time.Hour)
	forged := domain.Event{ID: domain.EventID("checkout", "forged", at, 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
		Product: "checkout", Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: "OPS"}, Actor: domain.Actor{ID: "mallory", Role: domain.RolePO},
		OccurredAt: at, Why: "I am the PO now", Data: domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, CommandID: "forged"}
	_, err = s.Append(ctx, []domain.Event{forged}, last)
	require.NoError(t, err)
	return last + 1
}

func TestOverviewEqualsTheDashboardsOldFigures(t *testing.T) {
	q, s := demoService(t)
	ctx := context.Background()
	forged := forge(t, s)
	lq, live, h := liveService(t, s)
	last := lastSeq(t, q)
	require.Eventually(t, func() bool { return live.Position("checkout") == last && live.LogReady("checkout") },
		10*time.Second, 5*time.Millisecond)

	check := func(asOf string) {
		t.Helper()
		want := figures(t, oldOverview(t, q, asOf))
		pos, err := Pos("asOf", asOf)
		require.NoError(t, err)
		rebuilt, err := q.Overview(ctx, "checkout", pos, 0)
		require.NoError(t, err)
		assert.JSONEq(t, want, figures(t, rebuilt), "from the stream, as of %q", asOf)
		got, err := lq.Overview(ctx, "checkout", pos, 0)
		require.NoError(t, err)
		assert.JSONEq(t, want, figures(t, got), "live, as of %q", asOf)
		assert.Empty(t, got.SayDoError)
		assert.NotNil(t, got.SayDo)
	}
	for _, asOf := range []string{"", "seq:40", "2026-04-01"} {
		check(asOf)
	}

	// The figures the demo gives, checked by hand against the old page.
	ov, err := lq.Overview(ctx, "checkout", replay.Latest, 0)
	require.NoError(t, err)
	assert.Zero(t, ov.Replayed, "answered from the live projections")
	assert.Equal(t, 16, ov.Requests)
	assert.Equal(t, 1, ov.Quarantined)
	for _, e := range ov.Latest {
		assert.NotEqual(t, forged, e.Seq, "a quarantined event is no decision")
	}
	assert.Len(t, ov.Latest, LatestDecisions)
	assert.NotEmpty(t, ov.Churn)

	// Decisions taken while live: the Set's folds keep the figures.
	for _, r := range []command.Request{
		{Action: "request.submit", Product: "checkout", Actor: "sally", Args: json.RawMessage(`{"id":"REQ-OV","title":"Overview","why":"Count me"}`)},
		{Action: "request.reject", Product: "checkout", Actor: "nina", Args: json.RawMessage(`{"id":"REQ-OV","reason":"duplicate","why":"We have it"}`)},
		{Action: "item.rank", Product: "checkout", Actor: "nina", Args: json.RawMessage(`{"id":"BNPL-3","top":true,"why":"Churn it"}`)},
	} {
		_, err := h.Do(ctx, r)
		require.NoError(t, err, r.Action)
	}
	check("")
	after, err := lq.Overview(ctx, "checkout", replay.Latest, 0)
	require.NoError(t, err)
	assert.Equal(t, 17, after.Requests)
	assert.Equal(t, "REQ-OV", after.Latest[1].Aggregate.ID)
	assert.Equal(t, "BNPL-3", after.Latest[0].Aggregate.ID)
	assert.Zero(t, after.Replayed)
}

func TestMetricsAndQuarantineLiveEqualRebuilt(t *testing.T) {
	q, s := demoService(t)
	ctx := context.Background()
	forged := forge(t, s)
	lq, live, _ := liveService(t, s)
	last := lastSeq(t, q)
	require.Eventually(t, func() bool { return live.Position("checkout") == last && live.LogReady("checkout") },
		10*time.Second, 5*time.Millisecond)
	for _, asOf := range []string{"", "seq:40", "2026-04-01"} {
		for _, view := range []string{ViewMetrics, ViewQuarantine} {
			assertSameView(t, q, lq, view, Options{Product: "checkout", AsOf: asOf})
		}
	}

	qv, err := lq.View(ctx, ViewQuarantine, Options{Product: "checkout"})
	require.NoError(t, err)
	quarantine := qv.(Quarantine)
	assert.Equal(t, 1, quarantine.Quarantined)
	require.Len(t, quarantine.Entries, 1)
	assert.Equal(t, QuarantinedEvent{Seq: forged, Type: "BacklogItemRanked", Subject: "ledger.checkout.item.OPS", Actor: "mallory",
		Reason: quarantine.Entries[0].Reason}, quarantine.Entries[0])
	assert.NotEmpty(t, quarantine.Entries[0].Reason)

	// The metrics count every event of the log by type, and the waits
	// are the requests view's.
	mv, err := lq.View(ctx, ViewMetrics, Options{Product: "checkout"})
	require.NoError(t, err)
	m := mv.(Metrics)
	log, err := q.Log(ctx, "checkout", replay.Latest)
	require.NoError(t, err)
	types := map[string]int{}
	for _, e := range log.Entries {
		types[e.Type]++
	}
	assert.Equal(t, types, m.Types)
	rv, err := q.View(ctx, ViewRequests, Options{Product: "checkout"})
	require.NoError(t, err)
	var waits []float64
	for _, r := range rv.(Requests).Requests {
		if r.WaitSeconds != nil {
			waits = append(waits, *r.WaitSeconds)
		}
	}
	require.NotEmpty(t, waits)
	assert.Equal(t, len(waits), m.Waits.Count)
	require.Len(t, m.Waits.Buckets, len(WaitBuckets))
	for _, b := range m.Waits.Buckets {
		n := 0
		for _, w := range waits {
			if w <= b.LeSeconds {
				n++
			}
		}
		assert.Equal(t, uint64(n), b.Count, "le %v", b.LeSeconds)
	}
}

// TestOverviewSayDoKeptAcrossDecisionsThatCannotChangeIt takes, while
// serve's live projections run, one decision of every type the
// catalogue says cannot change say/do, then ones that can: after each,
// the overview's say/do is the one the stream gives (worked out anew,
// from the history), its delivered side at the view's position; the
// first kind keeps the answer worked out before, the second works it
// out again.
func TestOverviewSayDoKeptAcrossDecisionsThatCannotChangeIt(t *testing.T) {
	q, s := demoService(t)
	ctx := context.Background()
	lq, live, h := liveService(t, s)
	last := lastSeq(t, q)
	require.Eventually(t, func() bool { return live.Position("checkout") == last && live.LogReady("checkout") },
		10*time.Second, 5*time.Millisecond)
	worked := func() int {
		lq.sayDo.mu.Lock()
		defer lq.sayDo.mu.Unlock()
		return lq.sayDo.worked
	}
	check := func(what string) {
		t.Helper()
		want, err := q.SayDo(ctx, "checkout", replay.Latest)
		require.NoError(t, err)
		ov, err := lq.Overview(ctx, "checkout", replay.Latest, h.LastSeq("checkout"))
		require.NoError(t, err)
		require.Empty(t, ov.SayDoError)
		require.NotNil(t, ov.SayDo)
		assert.Equal(t, want.Periods, ov.SayDo.Periods, "after %s", what)
		assert.Equal(t, ov.Position, ov.SayDo.Delivered.Seq, "after %s: delivered as of the view's position", what)
		assert.Equal(t, want.Delivered.Seq, ov.SayDo.Delivered.Seq, "after %s", what)
	}
	check("the demo")
	require.Equal(t, 1, worked())

	b, err := q.Backlog(ctx, "checkout", replay.Latest, BacklogFilter{Status: "new"}, 0)
	require.NoError(t, err)
	var open, other string
	for _, it := range b.Items {
		if it.Roadmap != "" {
			open = it.ID
		}
	}
	for _, it := range b.Items {
		if it.ID != open {
			other = it.ID
		}
	}
	require.NotEmpty(t, open, "the demo has a new item on the roadmap")
	require.NotEmpty(t, other, "and another new item")
	rm, err := q.Roadmap(ctx, "checkout", replay.Latest, 0)
	require.NoError(t, err)
	require.NotEmpty(t, rm.Periods)
	require.NotEmpty(t, rm.Periods[len(rm.Periods)-1].Items)
	roadmapItem := rm.Periods[len(rm.Periods)-1].Items[0].ID

	do := func(actor, action, args string) {
		t.Helper()
		_, err := h.Do(ctx, command.Request{Action: action, Product: "checkout", Actor: actor, Args: json.RawMessage(args)})
		require.NoError(t, err, "%s %s", action, args)
	}
	kept := []struct{ actor, action, args string }{
		{"sally", "request.submit", `{"id":"REQ-K1","title":"Keep","why":"A request"}`},
		{"sally", "request.submit", `{"id":"REQ-K2","title":"Keep too","why":"Another"}`},
		{"nina", "request.reject", `{"id":"REQ-K1","reason":"duplicate","why":"We have it"}`},
		{"nina", "request.defer", `{"id":"REQ-K2","until":"2027-03-31","why":"Later"}`},
		{"sally", "request.submit", `{"id":"REQ-K3","title":"Taken back","why":"A third"}`},
		{"sally", "request.withdraw", `{"id":"REQ-K3","why":"Not needed"}`},
		{"nina", "item.rank", `{"id":"` + open + `","top":true,"why":"First"}`},
		{"pam", "roadmap.rank", `{"id":"` + roadmapItem + `","top":true,"why":"First"}`},
		{"tom", "item.estimate", `{"id":"` + open + `","points":5}`},
		{"tom", "item.start", `{"id":"` + open + `"}`},
		{"pam", "role.assign", `{"actor":"kim","role":"stakeholder","why":"Voice of Legal"}`},
		{"nina", "goal.set", `{"goal":"Fewer failed payments","why":"Still the top cause"}`},
		{"nina", "item.refine", `{"id":"` + open + `","title":"Sharper","why":"Scope"}`},
	}
	for _, k := range kept {
		do(k.actor, k.action, k.args)
		check(k.action)
		assert.Equal(t, 1, worked(), "%s cannot change say/do: the answer is kept", k.action)
	}
	do("tom", "item.deliver", `{"id":"`+open+`","why":"Shipped"}`)
	check("item.deliver")
	assert.Equal(t, 2, worked(), "a delivery can change say/do: worked out again")
	do("pam", "roadmap.reschedule", `{"id":"`+roadmapItem+`","period":"2027-Q2","why":"Later"}`)
	check("roadmap.reschedule")
	assert.Equal(t, 3, worked(), "a reschedule can change say/do: worked out again")
	do("nina", "item.refine", `{"id":"`+other+`","roadmap":"`+roadmapItem+`","why":"Serves it now"}`)
	check("item.refine to another roadmap item")
	assert.Equal(t, 4, worked(), "a refinement that relinks can change say/do: worked out again")

	// Every other kind that can change it, each answered from the spans
	// kept since the last answer, as say/do worked out anew says.
	do("sally", "request.submit", `{"id":"REQ-K4","title":"Accept me","why":"A fourth"}`)
	n := worked()
	for _, c := range []struct{ actor, action, args string }{
		{"pam", "roadmap.plan", `{"id":"R-LIVE","title":"Live","period":"2026-Q4","why":"New theme"}`},
		{"nina", "item.add", `{"id":"LIVE-1","title":"Live one","roadmap":"R-LIVE","why":"For the theme"}`},
		{"nina", "item.add", `{"id":"LIVE-2","title":"Live two","roadmap":"R-LIVE","why":"For the theme"}`},
		{"tom", "item.deliver", `{"id":"LIVE-1","why":"Shipped"}`},
		{"nina", "item.remove", `{"id":"LIVE-2","why":"Not needed"}`},
		{"nina", "request.accept", `{"id":"REQ-K4","item":"LIVE-3","roadmap":"R-LIVE","why":"Yes"}`},
		{"tom", "item.deliver", `{"id":"LIVE-3","why":"Shipped"}`},
		{"pam", "roadmap.drop", `{"id":"R-LIVE","why":"Done with it"}`},
	} {
		do(c.actor, c.action, c.args)
		check(c.action)
		n++
		assert.Equal(t, n, worked(), "%s can change say/do: worked out again", c.action)
	}
}
