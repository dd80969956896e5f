package query_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/query"
)

// TestRequestDecisions: a decision on a request concerns it; a delivery
// concerns the request its item became (by the acceptance) or came from
// (by the item's link); anything else, or another requester's request, is
// left out; newest first.
func TestRequestDecisions(t *testing.T) {
	req := func(id, item string) query.Request {
		return query.Request{Request: projections.Request{ID: id, Requester: "sally", Item: item}}
	}
	row := func(seq uint64, typ string, kind domain.AggregateKind, id, from string) query.DecisionRow {
		return query.DecisionRow{Seq: seq, Type: typ, Kind: kind, ID: id, Request: from}
	}
	requests := []query.Request{req("REQ-1", "PAY-1"), req("REQ-2", "")}
	rows := []query.DecisionRow{
		row(1, domain.TypeRequestAccepted, domain.KindRequest, "REQ-1", ""),
		row(2, domain.TypeRequestDeferred, domain.KindRequest, "REQ-2", ""),
		row(3, domain.TypeRequestRejected, domain.KindRequest, "REQ-9", ""), // not sally's
		row(4, domain.TypeWorkDelivered, domain.KindItem, "PAY-1", ""),      // the item REQ-1 became
		row(5, domain.TypeWorkDelivered, domain.KindItem, "PAY-2", "REQ-2"), // an item that names REQ-2
		row(6, domain.TypeWorkDelivered, domain.KindItem, "PAY-3", ""),      // no request's
		row(7, domain.TypeBacklogItemRanked, domain.KindItem, "PAY-1", ""),  // not a fate
		row(8, domain.TypeWorkDelivered, domain.KindItem, "PAY-4", "REQ-9"), // another requester's
		row(9, domain.TypeRequestWithdrawn, domain.KindRequest, "REQ-2", ""),
	}
	got := query.RequestDecisions(requests, rows)
	var seqs []uint64
	for _, d := range got {
		seqs = append(seqs, d.Seq)
	}
	assert.Equal(t, []uint64{9, 5, 4, 2, 1}, seqs)
	assert.Equal(t, "REQ-1", got[2].Request.ID, "the delivery of PAY-1 is REQ-1's")
	assert.Equal(t, "REQ-2", got[1].Request.ID, "the delivery of PAY-2 is REQ-2's")
	assert.Empty(t, query.RequestDecisions(nil, rows), "no request, no decision")
}
