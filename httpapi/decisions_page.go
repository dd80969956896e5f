package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

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
	Pager    pager
}

// decisionTypes are the short names the page offers to filter on, in the
// catalogue's order: the decisions on the roadmap, the backlog, requests
// and delivery (a name two types share, such as ranked, once).
func decisionTypes() []string {
	var out []string
	for _, s := range domain.Events() {
		switch s.Category {
		case domain.CategoryRoadmap, domain.CategoryBacklog, domain.CategoryRequest, domain.CategoryDelivery:
			if !slices.Contains(out, s.Short) {
				out = append(out, s.Short)
			}
		}
	}
	return out
}

// decisions shows the decisions view with every filter of the CLI's
// ledger decisions, read from the query string as the API reads it; the
// item, request, roadmap item and actor of each row link to their own
// pages.
func (p *pages) decisions(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "decisions", "Decisions")
	o, err := p.listOptions(r, query.ViewDecisions)
	if err != nil {
		p.error(w, r, err)
		return
	}
	view, _ := query.Lookup(query.ViewDecisions)
	d := decisionsData{base: b, Filters: map[string]string{},
		Types: decisionTypes(), Roles: valuesOf(view, "role"), Reasons: valuesOf(view, "reason")}
	csv := url.Values{"format": {"csv"}}
	for _, f := range query.DecisionParams() {
		if vals := f.Get(o); vals != nil {
			d.Filters[f.Name] = strings.Join(vals, ",")
			csv[f.Name] = vals
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
	d.Pager = pagerOf(r, d.Decisions, len(d.Decisions.Decisions), "decisions")
	d.base.Warnings = d.Decisions.Warnings
	d.live(d.Decisions.Position)
	p.render(w, r, http.StatusOK, "decisions", d)
}
