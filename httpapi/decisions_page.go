package httpapi

import (
	"net/http"
	"net/url"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// decisionsData is the Decisions page: the auditor's query with its
// filters in the page.
type decisionsData struct {
	base
	query.Decisions
	Filters  map[string]string // as given, to fill the form again
	Types    []string
	Roles    []string
	Reasons  []string
	CSVQuery string
}

// decisionFilters are the query parameters the page passes to the view.
var decisionFilters = []string{"type", "item", "epic", "roadmap", "request", "actor", "role", "reason", "from", "to"}

// decisions shows the decisions view with every filter of the CLI's
// ledger decisions; the item, request, roadmap item and actor of each row
// link to their own pages.
func (p *pages) decisions(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "decisions", "Decisions")
	q := r.URL.Query()
	d := decisionsData{base: b, Filters: map[string]string{},
		Types: []string{"ranked", "added", "refined", "removed", "planned", "rescheduled", "dropped",
			"submitted", "accepted", "rejected", "deferred", "withdrawn", "estimated", "started", "delivered"}}
	for _, role := range domain.Roles {
		d.Roles = append(d.Roles, string(role))
	}
	for _, rc := range domain.ReasonCodes {
		d.Reasons = append(d.Reasons, string(rc))
	}
	o := query.Options{AsOf: b.AsOf, Item: q.Get("item"), Epic: q.Get("epic"), Roadmap: q.Get("roadmap"), Request: q.Get("request"),
		Actor: q.Get("actor"), Role: q.Get("role"), Reason: q.Get("reason"), From: q.Get("from"), To: q.Get("to"),
		Overrides: q.Get("overrides") == "true", OutsideAuthority: q.Get("outsideAuthority") == "true", Quarantined: q.Get("quarantined") == "true"}
	// type repeats, as the API's and the CLI's --type: a product's
	// timeline links to the decisions of every type recorded on it.
	for _, t := range q["type"] {
		if t != "" {
			o.Type = append(o.Type, t)
		}
	}
	csv := url.Values{"format": {"csv"}}
	for _, f := range append(decisionFilters, "overrides", "outsideAuthority", "quarantined", "asOf") {
		if v := q.Get(f); v != "" {
			d.Filters[f] = v
			csv.Set(f, v)
		}
	}
	if len(o.Type) > 1 {
		csv["type"] = o.Type
	}
	d.CSVQuery = "?" + csv.Encode()
	v, err := p.view(r, query.ViewDecisions, o)
	if err != nil {
		p.error(w, r, err)
		return
	}
	d.Decisions = v.(query.Decisions)
	d.base.Warnings = d.Decisions.Warnings
	d.live(d.Decisions.Position)
	p.render(w, r, http.StatusOK, "decisions", d)
}
