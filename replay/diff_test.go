package replay_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

// What changed in the demo in May 2026, worked out by hand from
// demo/script.go. On 1 May the open backlog reads WAL-1, WAL-2, WALLET,
// WAL-3, WAL-4, WAL-5, INVOICE, INV-2..5, FAX (12), FAX-1 (13), FAX-2
// (14), OPS, OPS-3..6, INV-6, BNPL, BNPL-1..3, INV-7, INV-1. In May the
// fax items are removed, LOC-1 is added (REQ-12), WAL-4 goes to the bottom,
// WAL-1 is delivered and WAL-3 and WAL-2 started, which leaves 23 open
// items with WAL-2 first and WAL-4 last. Every other open item moved up
// only because items above it closed or WAL-4 moved below it: not a move.
func TestDiff_DemoMay(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	eventstoretest.SeedDemo(t, s, demo.Product)
	h := decisions(eventstoretest.Events(t, s, demo.Product))
	from, err := replay.ParsePosition("2026-05-01")
	require.NoError(t, err)
	to, err := replay.ParsePosition("2026-05-31")
	require.NoError(t, err)
	d, err := replay.Diff(ctx, s, s.Snapshots(), demo.Product, from, to)
	require.NoError(t, err)

	po, team := domain.RolePO, domain.RoleTeam
	removedBy := func(id string) []replay.Decision {
		return []replay.Decision{h.cite(t, "BacklogItemRemoved", id, "05-06 1"+map[string]string{"FAX-1": "0:30", "FAX-2": "0:31", "FAX": "0:32"}[id],
			"nina", po, "Roadmap item R-FAX was dropped", "removed")}
	}
	assert.Equal(t, []replay.ItemChange{
		{ID: "LOC-1", Title: "Polish language and zloty prices", Kind: domain.ItemStory, ToRank: 22, ToStatus: domain.StatusNew,
			Decisions: []replay.Decision{h.cite(t, "BacklogItemAdded", "LOC-1", "05-14 10:00", "nina", po,
				"Poland grew from under 1% to 4% of revenue: the case has changed", "added")}},
	}, d.Added)
	assert.Equal(t, []replay.ItemChange{
		{ID: "FAX-1", Title: "Fax order intake", Kind: domain.ItemStory, Roadmap: "R-FAX", FromRank: 13,
			FromStatus: domain.StatusNew, ToStatus: domain.StatusRemoved, Decisions: removedBy("FAX-1")},
		{ID: "FAX-2", Title: "Phone order form for agents", Kind: domain.ItemStory, Roadmap: "R-FAX", FromRank: 14,
			FromStatus: domain.StatusNew, ToStatus: domain.StatusRemoved, Decisions: removedBy("FAX-2")},
		{ID: "FAX", Title: "Fax and phone orders", Kind: domain.ItemEpic, FromRank: 12,
			FromStatus: domain.StatusNew, ToStatus: domain.StatusRemoved, Decisions: removedBy("FAX")},
	}, d.Removed)
	assert.Equal(t, []replay.ItemChange{
		{ID: "WAL-4", Title: "Refunds to wallets", Kind: domain.ItemStory, Roadmap: "R-WALLETS", FromRank: 5, ToRank: 23,
			FromStatus: domain.StatusNew, ToStatus: domain.StatusNew, Direction: "down",
			Decisions: []replay.Decision{h.cite(t, "BacklogItemRanked", "WAL-4", "05-15 10:00", "nina", po,
				"Wallet refunds are rare; support refunds by hand at launch", "WAL-4 to the bottom: 5 -> 24")}},
	}, d.Moved)
	assert.Equal(t, []replay.ItemChange{
		{ID: "WAL-2", Title: "Google Pay", Kind: domain.ItemStory, Roadmap: "R-WALLETS", FromRank: 2, ToRank: 1,
			FromStatus: domain.StatusNew, ToStatus: domain.StatusInProgress,
			Decisions: []replay.Decision{h.cite(t, "WorkStarted", "WAL-2", "05-27 09:00", "tara", team, "", "started")}},
		{ID: "WAL-3", Title: "Wallet button on the product page", Kind: domain.ItemStory, Roadmap: "R-WALLETS", FromRank: 4, ToRank: 3,
			FromStatus: domain.StatusNew, ToStatus: domain.StatusInProgress,
			Decisions: []replay.Decision{h.cite(t, "WorkStarted", "WAL-3", "05-26 09:00", "tom", team, "", "started")}},
		{ID: "WAL-1", Title: "Apple Pay", Kind: domain.ItemStory, Roadmap: "R-WALLETS", FromRank: 1, ToRank: 0,
			FromStatus: domain.StatusInProgress, ToStatus: domain.StatusDelivered,
			Decisions: []replay.Decision{h.cite(t, "WorkDelivered", "WAL-1", "05-20 16:00", "tom", team, "", "delivered")}},
	}, d.StatusChanged)

	accepted := domain.StatusAccepted
	assert.Equal(t, []replay.RequestChange{
		{ID: "REQ-11", Title: "Wallet buttons on product pages", Requester: "carl", ToStatus: accepted, Item: "WAL-3",
			Decision: h.cite(t, "RequestAccepted", "REQ-11", "05-13 10:00", "nina", po, "Already planned as WAL-3", "accepted as WAL-3")},
		{ID: "REQ-12", Title: "Checkout in Polish with zloty prices", Requester: "sally", ToStatus: accepted, Item: "LOC-1",
			Decision: h.cite(t, "RequestAccepted", "REQ-12", "05-14 10:00", "nina", po, "Poland grew from under 1% to 4% of revenue: the case has changed", "accepted as LOC-1")},
		{ID: "REQ-13", Title: "Show the delivery date in checkout", Requester: "sam", ToStatus: domain.StatusWithdrawn,
			Decision: h.cite(t, "RequestWithdrawn", "REQ-13", "05-25 09:00", "sam", domain.RoleStakeholder, "The logistics team shows delivery dates in the cart instead", "withdrawn")},
		{ID: "REQ-14", Title: "Export invoices to SAP", Requester: "fiona", ToStatus: domain.StatusDeferred,
			Decision: h.cite(t, "RequestDeferred", "REQ-14", "05-22 10:00", "nina", po, "Depends on invoice payment going live in Q3", "deferred until 2026-10-01")},
	}, d.RequestsDecided)

	t.Run("NothingInBetween", func(t *testing.T) {
		d, err := replay.Diff(ctx, s, nil, demo.Product, from, from)
		require.NoError(t, err)
		assert.Empty(t, d.Added)
		assert.Empty(t, d.Removed)
		assert.Empty(t, d.Moved)
		assert.Empty(t, d.StatusChanged)
		assert.Empty(t, d.RequestsDecided)
		assert.Equal(t, d.From.Seq, d.To.Seq)
	})
	t.Run("ErrToBeforeFrom", func(t *testing.T) {
		_, err := replay.Diff(ctx, s, nil, demo.Product, to, from)
		require.ErrorIs(t, err, domain.ErrInvalid)
	})
}
