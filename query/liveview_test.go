package query

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/replay"
)

// TestLiveViewsEqualRebuilt asks every view of the demo through live
// projections and from the stream, now and as of positions across the
// history, and requires the same answers (meta aside: live answers
// replay nothing).
func TestLiveViewsEqualRebuilt(t *testing.T) {
	q, s := demoService(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := NewLive(s, s.Snapshots(), 0, t.Logf)
	done := make(chan struct{})
	go func() { defer close(done); _ = live.Run(ctx) }()
	defer func() { cancel(); <-done }()
	h := command.New(s, nil)
	lq := New(s, s.Snapshots())
	lq.UseLive(live, h.LastSeq)

	last := lastSeq(t, q)
	require.Eventually(t, func() bool { return live.Position("checkout") == last }, 10*time.Second, 5*time.Millisecond)

	ids := map[string]bool{}
	log, err := q.Log(ctx, "checkout", replay.Latest)
	require.NoError(t, err)
	for _, e := range log.Entries {
		if e.Aggregate.Kind != domain.KindProduct {
			ids[e.Aggregate.ID] = true
		}
	}
	b, err := lq.Backlog(ctx, "checkout", replay.Latest, BacklogFilter{}, 0)
	require.NoError(t, err)
	require.Zero(t, b.Replayed, "the live service answers now from its projections")
	require.Equal(t, last, b.Position)
	positions := []string{"", "seq:1", "seq:40", "seq:90", "seq:" + fmt.Sprint(last-1), "2026-01-08", "2026-04-01", "2026-06-30"}
	for _, asOf := range positions {
		for _, view := range []string{ViewBacklog, ViewRoadmap, ViewRequests} {
			o := Options{Product: "checkout", AsOf: asOf, Status: map[string]string{ViewBacklog: "all"}[view]}
			assertSameView(t, q, lq, view, o)
		}
		for id := range ids {
			assertSameView(t, q, lq, ViewWhy, Options{Product: "checkout", AsOf: asOf, ID: id})
		}
	}
}

func lastSeq(t *testing.T, q *Service) uint64 {
	t.Helper()
	l, err := q.Log(context.Background(), "checkout", replay.Latest)
	require.NoError(t, err)
	return l.Position
}

func assertSameView(t *testing.T, rebuilt, live *Service, view string, o Options) {
	t.Helper()
	want, werr := rebuilt.View(context.Background(), view, o)
	got, gerr := live.View(context.Background(), view, o)
	if werr != nil || gerr != nil {
		require.Equal(t, werr != nil, gerr != nil, "%s %+v: rebuilt %v, live %v", view, o, werr, gerr)
		assert.Equal(t, domain.KindOf(werr), domain.KindOf(gerr))
		return
	}
	assert.JSONEq(t, withoutReplayMeta(t, want), withoutReplayMeta(t, got), "%s %+v", view, o)
}

// withoutReplayMeta drops what says how an answer was built rather than
// what it says.
func withoutReplayMeta(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	delete(m, "replayed")
	delete(m, "warnings")
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return string(out)
}
