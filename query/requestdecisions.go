package query

import (
	"sort"

	"github.com/decisionledger/ledger/domain"
)

// RequestDecisionTypes are the decisions a requester hears of: the fate of
// their request (accepted, rejected, deferred, withdrawn) and the delivery
// of the backlog item it became, the event types of NotificationKinds (the
// feeds tell what the webhooks tell). The decisions view takes them as its
// type filter.
var RequestDecisionTypes = func() []string {
	out := make([]string, len(NotificationKinds))
	for i, k := range NotificationKinds {
		out[i] = k.Event
	}
	return out
}()

// RequestDecision is one decision a requester hears of, with the request
// it concerns as the requests view shows it now.
type RequestDecision struct {
	DecisionRow
	Request Request `json:"request"`
}

// RequestDecisions joins decisions (the decisions view filtered on
// RequestDecisionTypes) to the requests they concern: a decision on a
// request concerns that request, a delivery concerns the request its
// backlog item came from (the item a request was accepted into, or the
// request the item names). Decisions on no request in requests (another
// requester's, an item no request became) are left out; the rest are
// newest first.
//
// Stakeholders (stakeholder.go) answers the same question for outgoing
// webhooks as the events arrive, one at a time; this join answers it
// from the views, for a feed asked at any time.
func RequestDecisions(requests []Request, decisions []DecisionRow) []RequestDecision {
	byID := make(map[string]Request, len(requests))
	byItem := map[string]string{}
	for _, r := range requests {
		byID[r.ID] = r
		if r.Item != "" {
			byItem[r.Item] = r.ID
		}
	}
	out := []RequestDecision{}
	for _, d := range decisions {
		var id string
		switch {
		case d.Kind == domain.KindRequest:
			id = d.ID
		case d.Kind == domain.KindItem && d.Type == domain.TypeWorkDelivered:
			if id = byItem[d.ID]; id == "" {
				id = d.Request
			}
		}
		r, ok := byID[id]
		if !ok || id == "" {
			continue
		}
		out = append(out, RequestDecision{DecisionRow: d, Request: r})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq > out[j].Seq })
	return out
}
