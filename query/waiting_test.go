package query

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

func waitingOf(rs Requests) map[string]string {
	out := map[string]string{}
	for _, r := range rs.Requests {
		if r.WaitingSeconds != nil {
			out[r.ID] = r.Waiting
		}
	}
	return out
}

// TestWaitingAsOf: as of a past moment, a pending request has waited
// from its submission to that moment (to the minute), a decided one has
// no waiting; as of a sequence, to the business time of that event. The
// answer says the moment it counted to; sorted by waiting, the longest
// comes first.
func TestWaitingAsOf(t *testing.T) {
	q, _ := demoService(t)
	ctx := context.Background()
	// As of 21 May (its end): REQ-13 (sam, 05-18 11:00) and REQ-14 (fiona,
	// 05-20 16:30) wait; REQ-7 is deferred, the rest decided.
	pos, err := Pos("asOf", "2026-05-21")
	require.NoError(t, err)
	rs, err := q.Requests(ctx, "checkout", pos, "", "", 0)
	require.NoError(t, err)
	require.NotNil(t, rs.WaitingAt)
	assert.Equal(t, time.Date(2026, 5, 21, 23, 59, 0, 0, time.UTC), *rs.WaitingAt)
	assert.Equal(t, map[string]string{"REQ-13": "3d 12h", "REQ-14": "1d 7h"}, waitingOf(rs))
	for _, r := range rs.Requests {
		if r.ID == "REQ-13" {
			assert.Equal(t, float64((84*60+59)*60), *r.WaitingSeconds)
		}
		if r.Status != domain.StatusPending {
			assert.Nil(t, r.WaitingSeconds, "%s is %s", r.ID, r.Status)
			assert.Empty(t, r.Waiting)
		}
	}
	require.NoError(t, SortRequests(rs.Requests, "waiting"))
	assert.Equal(t, []string{"REQ-13", "REQ-14"}, []string{rs.Requests[0].ID, rs.Requests[1].ID})
	assert.Equal(t, "REQ-1", rs.Requests[2].ID, "the others follow in the view's order")
	assert.ErrorContains(t, SortRequests(rs.Requests, "age"), `sort "age" is not one of submitted, waiting`)

	// As of the event that submitted REQ-14: it has just arrived.
	d, err := q.Decisions(ctx, "checkout", DecisionsFilter{Request: "REQ-14", Types: []string{"submitted"}}, 0)
	require.NoError(t, err)
	require.Len(t, d.Decisions, 1)
	rs, err = q.Requests(ctx, "checkout", replay.AtSeq(d.Decisions[0].Seq), "", "", 0)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 5, 20, 16, 30, 0, 0, time.UTC), *rs.WaitingAt)
	assert.Equal(t, map[string]string{"REQ-13": "2d 5h", "REQ-14": "0m"}, waitingOf(rs))
}

// TestWaitingNow: for now, a pending request's waiting runs to the
// query's clock, never the machine's: the same events and clock give the
// same answer, which changes when the clock moves on by a minute.
func TestWaitingNow(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	h := command.New(s, func() time.Time { return at })
	for i, c := range []struct {
		actor string
		a     domain.Action
	}{
		{"pam", domain.CreateProduct{Name: "P", PM: "pam", PO: "olga"}},
		{"pam", domain.AssignRole{Actor: "sue", Role: domain.RoleStakeholder}},
		{"sue", domain.SubmitRequest{ID: "Q-1", Title: "Export"}},
		{"sue", domain.SubmitRequest{ID: "Q-2", Title: "Import"}},
		{"olga", domain.RejectRequest{ID: "Q-2", Reason: domain.ReasonLowValue}},
	} {
		_, err := h.Execute(ctx, domain.Command{ID: "c" + string(rune('a'+i)), Product: "p", Actor: c.actor, Why: "w", Action: c.a})
		require.NoError(t, err)
	}
	q := New(s, nil)
	clock := time.Date(2026, 5, 3, 10, 0, 45, 0, time.UTC)
	q.SetClock(func() time.Time { return clock })
	rs, err := q.Requests(ctx, "p", replay.Latest, "", "", 0)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 5, 3, 10, 0, 0, 0, time.UTC), *rs.WaitingAt, "to the minute")
	assert.Equal(t, time.Date(2026, 5, 3, 10, 0, 0, 0, time.UTC), q.WaitingAt())
	assert.Equal(t, map[string]string{"Q-1": "2d 1h"}, waitingOf(rs))
	assert.Equal(t, float64(49*3600), *rs.Requests[0].WaitingSeconds)
	again, err := q.Requests(ctx, "p", replay.Latest, "", "", 0)
	require.NoError(t, err)
	assert.Equal(t, rs, again, "deterministic")

	clock = clock.Add(time.Hour)
	rs, err = q.Requests(ctx, "p", replay.Latest, "pending", "", 0)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"Q-1": "2d 2h"}, waitingOf(rs))
}
