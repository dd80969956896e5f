package projections

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

func TestRequestsLifecycle(t *testing.T) {
	b := newBuilder()
	sub := b.submit("Q1", "sam", "")
	b.step = 24 * time.Hour
	deferred := b.emit(po, domain.KindRequest, "Q1", domain.RequestDeferred{Until: "2026-03-01"}, "after the freeze")
	b.item("A", "from Q1")
	accepted := b.emit(po, domain.KindRequest, "Q1", domain.RequestAccepted{Item: "A"}, "fits the goal")
	b.step = time.Hour
	b.submit("Q2", "sam", "")
	rejected := b.reject("Q2", domain.ReasonLowValue, "few customers ask")
	b.submit("Q3", "sam", "Q2")           // comeback after a rejection
	b.submit("Q4", "sue", "Q1")           // repeats an accepted request: no comeback
	q5sub := b.submit("Q5", "sam", "Q99") // repeats an unknown request: no comeback
	b.submit("Q6", "sue", "")
	withdrawn := b.emit(domain.Actor{ID: "sue", Role: domain.RoleStakeholder}, domain.KindRequest, "Q6", domain.RequestWithdrawn{}, "solved")
	b.emit(po, domain.KindRequest, "Q99", domain.RequestRejected{}, "unknown: ignored")
	q := NewRequests()
	applyAll(q, b.events)

	q1, ok := q.Request("Q1")
	require.True(t, ok)
	assert.Equal(t, domain.StatusAccepted, q1.Status)
	assert.Equal(t, "A", q1.Item)
	assert.Equal(t, accepted.OccurredAt, *q1.DecidedAt)
	assert.Equal(t, "oscar", q1.DecidedBy)
	assert.Equal(t, domain.RolePO, q1.DecidedRole)
	assert.Equal(t, "fits the goal", q1.Why)
	assert.Empty(t, q1.DeferredUntil, "no longer deferred")
	require.NotNil(t, q1.Wait)
	assert.Equal(t, deferred.OccurredAt.Sub(sub.OccurredAt), *q1.Wait, "wait ends at the first decision, the deferral")
	assert.Equal(t, 24*time.Hour, *q1.Wait)

	q2, _ := q.Request("Q2")
	assert.Equal(t, domain.StatusRejected, q2.Status)
	assert.Equal(t, domain.ReasonLowValue, q2.Reason)
	assert.Equal(t, "few customers ask", q2.Why)
	assert.Equal(t, rejected.OccurredAt, *q2.DecidedAt)

	q3, _ := q.Request("Q3")
	assert.Equal(t, domain.StatusPending, q3.Status)
	assert.Nil(t, q3.Wait)
	assert.Nil(t, q3.DecidedAt)
	assert.Equal(t, "Q2", q3.Repeats)
	assert.True(t, q3.Comeback)
	q4, _ := q.Request("Q4")
	assert.False(t, q4.Comeback)

	q6, _ := q.Request("Q6")
	assert.Equal(t, domain.StatusWithdrawn, q6.Status)
	assert.Equal(t, withdrawn.OccurredAt, *q6.DecidedAt)
	assert.Nil(t, q6.Wait, "a withdrawal is not a PO decision")

	assert.Equal(t, []Comeback{{Requester: "sam", Count: 1}}, q.Comebacks())
	assert.Equal(t, 1, q.ComebacksOf("sam"))
	assert.Zero(t, q.ComebacksOf("sue"))
	_, ok = q.Request("Q99")
	assert.False(t, ok)

	// Deferred, then deferred again: the latest date counts, the wait does not move.
	first := b.emit(po, domain.KindRequest, "Q5", domain.RequestDeferred{Until: "2026-04-01"}, "")
	b.emit(po, domain.KindRequest, "Q5", domain.RequestDeferred{Until: "2026-05-01"}, "")
	applyAll(q, b.events[q.Position():])
	q5, _ := q.Request("Q5")
	assert.Equal(t, domain.StatusDeferred, q5.Status)
	assert.Equal(t, "2026-05-01", q5.DeferredUntil)
	assert.Equal(t, first.OccurredAt.Sub(q5sub.OccurredAt), *q5.Wait)
}

func TestRequestsFilter(t *testing.T) {
	b := newBuilder()
	b.submit("Q2", "sam", "")
	b.step = 0 // same time: id breaks the tie
	b.submit("Q1", "sue", "")
	b.step = time.Hour
	b.submit("Q0", "sam", "")
	b.reject("Q0", domain.ReasonDuplicate, "dup of Q2")
	q := NewRequests()
	applyAll(q, b.events)
	ids := func(rs []Request) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		name   string
		filter RequestFilter
		want   []string
	}{
		{"All", RequestFilter{}, []string{"Q1", "Q2", "Q0"}},
		{"ByStatus", RequestFilter{Status: domain.StatusPending}, []string{"Q1", "Q2"}},
		{"ByRequester", RequestFilter{Requester: "sam"}, []string{"Q2", "Q0"}},
		{"Both", RequestFilter{Status: domain.StatusRejected, Requester: "sam"}, []string{"Q0"}},
		{"None", RequestFilter{Requester: "nobody"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ids(q.Requests(tt.filter)))
		})
	}
}

func TestRequestJSONShape(t *testing.T) {
	b := newBuilder()
	b.submit("Q1", "sam", "")
	b.reject("Q1", domain.ReasonOutOfScope, "not our market")
	q := NewRequests()
	applyAll(q, b.events)
	raw, err := json.Marshal(q.Requests(RequestFilter{}))
	require.NoError(t, err)
	var got []map[string]any
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Len(t, got, 1)
	for _, k := range []string{"id", "requester", "status", "reason", "why", "decidedBy", "decidedRole", "item", "submittedAt", "decidedAt", "wait"} {
		assert.Contains(t, got[0], k)
	}
	assert.Equal(t, "oscar", got[0]["decidedBy"])
	assert.Equal(t, "po", got[0]["decidedRole"])
	assert.Equal(t, "out-of-scope", got[0]["reason"])
}
