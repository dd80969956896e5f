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
