package query_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/domain/domaintest"
	"github.com/decisionledger/ledger/query"
)

// requestHistory decides steps in order, as the ledger would store them.
type requestHistory struct {
	t      *testing.T
	st     *domain.State
	at     time.Time
	events []domain.Event
}

func newRequestHistory(t *testing.T) *requestHistory {
	return &requestHistory{t: t, st: domain.NewState("shop"), at: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (h *requestHistory) do(actor, why string, a domain.Action) {
	h.t.Helper()
	h.at = h.at.Add(time.Hour)
	c := domain.Command{ID: fmt.Sprintf("c%02d", len(h.events)), Product: "shop", Actor: actor, At: h.at, Why: why, Action: a}
	evs, err := domain.Decide(h.st, c, h.at)
	require.NoError(h.t, err, "%s", a.Verb())
	for _, e := range evs {
		e.Seq = uint64(len(h.events) + 1)
		h.st.Apply(e)
		h.events = append(h.events, e)
	}
}

func TestStakeholderNotifications(t *testing.T) {
	h := newRequestHistory(t)
	h.do("pam", "", domain.CreateProduct{Name: "Shop", PM: "pam", PO: "olga"})
	h.do("pam", "sales asks", domain.AssignRole{Actor: "sam", Role: domain.RoleStakeholder})
	h.do("pam", "support asks", domain.AssignRole{Actor: "sue", Role: domain.RoleStakeholder})
	h.do("pam", "builds", domain.AssignRole{Actor: "tom", Role: domain.RoleTeam})
	h.do("sam", "", domain.SubmitRequest{ID: "R1", Title: "Pay by invoice", BusinessCase: "B2B buyers"})
	h.do("sue", "", domain.SubmitRequest{ID: "R2", Title: "Dark mode"})
	h.do("sue", "", domain.SubmitRequest{ID: "R3", Title: "Invoice PDF"})
	h.do("sam", "", domain.SubmitRequest{ID: "R4", Title: "Fax orders"})
	h.do("sam", "", domain.SubmitRequest{ID: "R5", Title: "Gift cards"})
	h.do("olga", "B2B is the goal", domain.AcceptRequest{ID: "R1", Item: "PAY-1"})
	h.do("olga", "not this year", domain.RejectRequest{ID: "R2", Reason: domain.ReasonLowValue})
	h.do("olga", "same work as R1", domain.AcceptRequest{ID: "R3", Item: "PAY-1"})
	h.do("olga", "after the peak", domain.DeferRequest{ID: "R5", Until: "2027-01-31"})
	h.do("sam", "", domain.WithdrawRequest{ID: "R4"})
	h.do("tom", "", domain.StartWork{ID: "PAY-1"})
	h.do("tom", "shipped", domain.DeliverWork{ID: "PAY-1", Release: "4.2"})

	got := query.StakeholderNotifications(h.events)
	type brief struct{ Type, Request, Requester, By string }
	var briefs []brief
	for _, n := range got {
		briefs = append(briefs, brief{n.Type, n.Request, n.Requester, n.DecidedBy.ID + "/" + string(n.DecidedBy.Role)})
	}
	assert.Equal(t, []brief{
		{"request.accepted", "R1", "sam", "olga/po"},
		{"request.rejected", "R2", "sue", "olga/po"},
		{"request.accepted", "R3", "sue", "olga/po"},
		{"request.deferred", "R5", "sam", "olga/po"},
		{"request.withdrawn", "R4", "sam", "sam/stakeholder"},
		{"request.delivered", "R1", "sam", "tom/team"},
		{"request.delivered", "R3", "sue", "tom/team"},
	}, briefs)

	require.Len(t, got, 7)
	assert.Equal(t, query.Notification{Type: "request.rejected", Product: "shop", Request: "R2", Title: "Dark mode", Requester: "sue",
		DecidedBy: domain.Actor{ID: "olga", Role: domain.RolePO}, Why: "not this year", Reason: domain.ReasonLowValue,
		At: h.events[11].OccurredAt, Event: h.events[11].ID, Seq: 12}, got[1])
	assert.Equal(t, "PAY-1", got[0].Item)
	assert.Equal(t, "B2B is the goal", got[0].Why)
	assert.Equal(t, "2027-01-31", got[3].Until)
	assert.Equal(t, "4.2", got[5].Release)
	assert.Equal(t, "PAY-1", got[6].Item)
	assert.Equal(t, "shipped", got[6].Why)

	t.Run("EveryKind", func(t *testing.T) {
		seen := map[string]bool{}
		for _, n := range got {
			seen[n.Type] = true
		}
		for _, typ := range query.NotificationTypes() {
			assert.True(t, seen[typ], "no %s in the history", typ)
		}
	})
	t.Run("Deterministic", func(t *testing.T) {
		assert.Equal(t, got, query.StakeholderNotifications(h.events))
	})
	t.Run("Redelivered", func(t *testing.T) {
		s := query.NewStakeholders()
		var again []query.Notification
		for _, e := range h.events {
			again = append(again, s.Apply(e)...)
		}
		for _, e := range h.events[9:] {
			assert.Empty(t, s.Apply(e), "event %d seen before", e.Seq)
		}
		assert.Equal(t, got, again)
		assert.Equal(t, uint64(len(h.events)), s.LastSeq())
	})
}

// TestStakeholderQuarantined: a rejection published around the ledger, by
// someone who is not the PO, tells nobody anything.
func TestStakeholderQuarantined(t *testing.T) {
	h := newRequestHistory(t)
	h.do("pam", "", domain.CreateProduct{Name: "Shop", PM: "pam", PO: "olga"})
	h.do("pam", "sales asks", domain.AssignRole{Actor: "sam", Role: domain.RoleStakeholder})
	h.do("sam", "", domain.SubmitRequest{ID: "R1", Title: "Pay by invoice"})
	at := h.at.Add(time.Hour)
	forged := domain.Event{ID: domain.EventID("shop", "forged", at, 0), Type: domain.TypeRequestRejected, Schema: domain.SchemaV1,
		Product: "shop", Aggregate: domain.Aggregate{Kind: domain.KindRequest, ID: "R1"}, Actor: domain.Actor{ID: "sam", Role: domain.RolePO},
		OccurredAt: at, Why: "no", Reason: domain.ReasonOther, Data: domain.RequestRejected{}, CommandID: "forged", Seq: 4}
	assert.Empty(t, query.StakeholderNotifications(append(h.events, forged)))
}

// TestStakeholderFixture: every notification of the catalogue's fixture
// history (imported observations among its events) names the requester
// and who decided.
func TestStakeholderFixture(t *testing.T) {
	got := query.StakeholderNotifications(domaintest.EveryType())
	require.NotEmpty(t, got)
	for _, n := range got {
		assert.NotEmpty(t, n.Requester, "%s of %s", n.Type, n.Request)
		assert.NotEmpty(t, n.DecidedBy.ID, "%s of %s", n.Type, n.Request)
	}
}
