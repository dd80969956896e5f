package httpapi

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// mineData is the My requests page: the requests one actor submitted,
// each with its fate, how long it waited and who decided why.
type mineData struct {
	base
	// Who is the actor whose requests the page shows: the signed-in one,
	// or in local mode the one ?actor= names ("" until one is chosen).
	Who string
	// Requesters are, in local mode, the actors who submitted requests,
	// for the picker.
	Requesters []string
	Requests   []mineRequest
	// FeedURL is the actor's Atom feed, as the page links it.
	FeedURL string
	// Counts are the requests by status, for the line above the table.
	Counts []statusCount
}

// mineRequest is one row of the page.
type mineRequest struct {
	query.Request
	// Waited is how long the request waited for a decision: from its
	// submission to the first accept, reject or defer, or, while none was
	// taken, until now (Open); a request withdrawn undecided waited until
	// it was withdrawn.
	Waited string
	Open   bool
	// Withdrawn says Waited ends at the requester's withdrawal.
	Withdrawn bool
	// Delivered is the delivery of the item the request became, if it was.
	Delivered *query.RequestDecision
}

// mine shows the requests the signed-in actor submitted; in local mode,
// where nobody signs in, those of the actor ?actor= names, chosen on the
// page.
func (p *pages) mine(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "mine", "My requests")
	q := r.URL.Query()
	for name := range q {
		if !oneOf(name, []string{"actor", "asOf", "minSeq", "done"}) {
			p.error(w, r, domain.Malformed(name, "unknown parameter %q: the My requests page takes actor (in local mode) and asOf", name))
			return
		}
	}
	d := mineData{base: b, Who: b.Actor}
	chosen := strings.TrimSpace(q.Get("actor"))
	switch {
	case p.s.local():
		d.Who = chosen
		if chosen != "" {
			d.Keep = url.Values{"actor": {chosen}}
		}
	case chosen != "" && chosen != b.Actor:
		p.error(w, r, domain.Invalid("actor", "you are signed in as %s, and this page shows your own requests: the requests page shows another stakeholder's (Stakeholder: %s)", b.Actor, chosen))
		return
	}
	if d.Who != "" {
		if err := domain.CheckID("actor", d.Who); err != nil {
			p.error(w, r, err)
			return
		}
	}
	if p.s.local() {
		all, err := p.view(r, query.ViewRequests, query.Options{AsOf: b.AsOf})
		if err != nil {
			p.error(w, r, err)
			return
		}
		seen := map[string]bool{}
		for _, rq := range all.(query.Requests).Requests {
			if !seen[rq.Requester] {
				seen[rq.Requester] = true
				d.Requesters = append(d.Requesters, rq.Requester)
			}
		}
		sort.Strings(d.Requesters)
	}
	if d.Who == "" {
		p.render(w, r, http.StatusOK, "mine", d)
		return
	}
	d.Title = "Requests of " + d.Who
	if d.Who == b.Actor {
		d.Title = "My requests"
	}
	d.FeedURL = "/feeds/" + url.PathEscape(b.Product) + "/stakeholders/" + url.PathEscape(d.Who) + ".atom"
	d.Feed = &feedLink{Title: "Decisions on the requests of " + d.Who, URL: d.FeedURL}
	v, err := p.view(r, query.ViewRequests, query.Options{AsOf: b.AsOf, Requester: d.Who})
	if err != nil {
		p.error(w, r, err)
		return
	}
	rs := v.(query.Requests)
	d.Warnings = rs.Warnings
	d.live(rs.Position)
	// The deliveries, from the decisions the actor's feed holds.
	dv, err := p.view(r, query.ViewDecisions, query.Options{AsOf: b.AsOf, Type: []string{domain.TypeWorkDelivered}})
	if err != nil {
		p.error(w, r, err)
		return
	}
	delivered := map[string]*query.RequestDecision{}
	for _, rd := range query.RequestDecisions(rs.Requests, dv.(query.Decisions).Decisions) {
		if delivered[rd.Request.ID] == nil { // newest first: the last delivery
			delivered[rd.Request.ID] = &rd
		}
	}
	n := map[string]int{}
	for _, rq := range rs.Requests {
		row := mineRequest{Request: rq, Delivered: delivered[rq.ID]}
		switch {
		case rq.Wait != "":
			row.Waited = rq.Wait
		case rq.Waiting != "":
			row.Waited, row.Open = rq.Waiting, true
		case rq.DecidedAt != nil:
			row.Waited, row.Withdrawn = query.Span(rq.DecidedAt.Sub(rq.SubmittedAt)), true
		}
		n[string(rq.Status)]++
		d.Requests = append(d.Requests, row)
	}
	for _, st := range funnelOrder {
		if n[st] > 0 {
			d.Counts = append(d.Counts, statusCount{st, n[st]})
		}
	}
	p.render(w, r, http.StatusOK, "mine", d)
}

// feedLink is a feed a page offers to readers (<link rel="alternate">).
type feedLink struct{ Title, URL string }
