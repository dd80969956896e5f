package httpapi

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// overviewData is the overview page: the overview view, with say/do as
// a chart and the funnel as bars.
type overviewData struct {
	base
	Chart       chart
	Funnel      []funnelStep
	Reasons     []funnelStep
	Median      string
	Decided     int
	Churn       []query.Churn
	Latest      []query.LogEntry
	ChartErrors []string
}

type funnelStep struct {
	Label string
	Count int
	Of    int
}

// funnelOrder is the order the page shows the request statuses in.
var funnelOrder = []string{"accepted", "rejected", "deferred", "pending", "withdrawn"}

func (p *pages) overview(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "overview", "Overview")
	o, err := p.options(r, query.ViewOverview)
	if err != nil {
		p.error(w, r, err)
		return
	}
	v, err := p.view(r, query.ViewOverview, o)
	if err != nil {
		p.error(w, r, err)
		return
	}
	ov := v.(*query.Overview)
	d := overviewData{base: b, Median: ov.MedianWait, Decided: ov.Decided, Churn: ov.Churn, Latest: ov.Latest}
	d.Warnings = ov.Warnings
	d.live(ov.Position)
	sd := ov.SayDo
	if sd == nil {
		d.ChartErrors = append(d.ChartErrors, "say/do: "+ov.SayDoError)
		sd = &query.SayDo{}
	}
	d.Chart = newChart(sd)
	counts := map[string]int{}
	for _, st := range ov.Funnel {
		counts[st.Status] = st.Count
	}
	d.Funnel = append(d.Funnel, funnelStep{"submitted", ov.Requests, ov.Requests})
	for _, st := range funnelOrder {
		d.Funnel = append(d.Funnel, funnelStep{st, counts[st], ov.Requests})
	}
	for _, rc := range ov.Reasons {
		d.Reasons = append(d.Reasons, funnelStep{rc.Reason, rc.Count, counts["rejected"]})
	}
	p.render(w, r, http.StatusOK, "overview", d)
}

func (p *pages) backlog(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "backlog", "Backlog")
	o, err := p.listOptions(r, query.ViewBacklog)
	if err != nil {
		p.error(w, r, err)
		return
	}
	status := o.Status
	v, err := p.view(r, query.ViewBacklog, o)
	if err != nil {
		p.error(w, r, err)
		return
	}
	bl := v.(query.Backlog)
	b.Warnings = bl.Warnings
	b.live(bl.Position)
	p.render(w, r, http.StatusOK, "backlog", struct {
		base
		Backlog  query.Backlog
		Status   string
		Statuses []string
		Pager    pager
	}{b, bl, status, query.ItemStatuses, pagerOf(r, bl, len(bl.Items), "items")})
}

// roadmapPeriod is one period of the roadmap page: its items and, for a
// reader skimming fifty releases, what they came to.
type roadmapPeriod struct {
	query.Period
	Anchor, Label, Kind string
	Release             bool
	Counts              []statusCount
	Done                bool // every item delivered or dropped
}

type statusCount struct {
	Status string
	Count  int
}

func (p *pages) roadmap(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "roadmap", "Roadmap")
	o, err := p.listOptions(r, query.ViewRoadmap)
	if err != nil {
		p.error(w, r, err)
		return
	}
	v, err := p.view(r, query.ViewRoadmap, o)
	if err != nil {
		p.error(w, r, err)
		return
	}
	rm := v.(query.Roadmap)
	b.Warnings = rm.Warnings
	b.live(rm.Position)
	var periods []roadmapPeriod
	items := 0
	for i, per := range rm.Periods {
		rp := roadmapPeriod{Period: per, Anchor: fmt.Sprintf("period-%d", i+1), Label: domain.PeriodLabel(per.Name),
			Kind: domain.PeriodKind(per.Name), Release: domain.IsRelease(per.Name), Done: true}
		n := map[string]int{}
		for _, it := range per.Items {
			n[string(it.Status)]++
			if it.Status != "delivered" && it.Status != "dropped" {
				rp.Done = false
			}
		}
		for _, st := range []string{"delivered", "in-progress", "planned", "dropped"} {
			if n[st] > 0 {
				rp.Counts = append(rp.Counts, statusCount{st, n[st]})
			}
		}
		items += len(per.Items)
		periods = append(periods, rp)
	}
	p.render(w, r, http.StatusOK, "roadmap", struct {
		base
		Roadmap query.Roadmap
		Periods []roadmapPeriod
		Items   int
		Pager   pager
	}{b, rm, periods, items, pagerOf(r, rm, items, "roadmap items")})
}

// requestsData is the requests page with its filters and decide forms.
type requestsData struct {
	base
	Requests   []query.Request
	Requesters []string
	Requester  string
	Status     string
	Reason     string
	Statuses   []string
	Reasons    []string
	Form       map[string]string // the form as sent, when it was refused
	FormFor    string
	Pager      pager
	// Sort is the order asked for: "" (submitted, oldest first) or
	// "waiting" (the longest waiting pending request first).
	Sort string
}

func (p *pages) requests(w http.ResponseWriter, r *http.Request) { p.requestsPage(w, r, nil) }

// requestsPage shows the requests; formErr, when set, is why the decide
// form was refused, shown next to it with the form as the user filled it.
func (p *pages) requestsPage(w http.ResponseWriter, r *http.Request, formErr error) {
	b := p.base(w, r, "requests", "Requests")
	o, err := p.listOptions(r, query.ViewRequests)
	if err != nil {
		p.error(w, r, err)
		return
	}
	view, _ := query.Lookup(query.ViewRequests)
	d := requestsData{base: b, Requester: o.Requester, Status: o.Status, Reason: o.Reason,
		Statuses: valuesOf(view, "status"), Reasons: valuesOf(view, "reason"), Sort: o.Sort}
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
	v, err := p.view(r, query.ViewRequests, o)
	if err != nil {
		p.error(w, r, err)
		return
	}
	rs := v.(query.Requests)
	d.Requests = rs.Requests
	d.Pager = pagerOf(r, rs, len(rs.Requests), "requests")
	d.Warnings = rs.Warnings
	d.live(rs.Position)
	if lv, err := p.view(r, query.ViewLog, query.Options{AsOf: b.AsOf}); err == nil {
		d.Actors = actors(lv.(query.Log))
	}
	status := http.StatusOK
	if formErr != nil {
		body := errorBody(formErr)
		d.Error, status = &body.Error, body.Error.Code
		d.FormFor = r.PathValue("id")
		d.Form = map[string]string{}
		for k := range r.PostForm {
			if k != "csrf" {
				d.Form[k] = r.PostForm.Get(k)
			}
		}
	}
	p.render(w, r, status, "requests", d)
}

func (p *pages) why(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "", r.PathValue("id"))
	o, err := p.listOptions(r, query.ViewWhy)
	if err != nil {
		p.error(w, r, err)
		return
	}
	v, err := p.view(r, query.ViewWhy, o)
	if err != nil {
		p.error(w, r, err)
		return
	}
	wy := v.(query.Why)
	b.Warnings = wy.Warnings
	b.Title = wy.ID + " " + wy.Title
	b.live(wy.Position)
	p.render(w, r, http.StatusOK, "why", struct {
		base
		Why   query.Why
		Pager pager
		Links whyLinks
	}{b, wy, pagerOf(r, wy, len(wy.Decisions), "decisions"), p.decisionsLinks(r, wy, b.AsOf)})
}

func (p *pages) compare(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "compare", "Plan versus delivered")
	o, err := p.options(r, query.ViewCompare, "asOf") // the header's date is the default T1
	if err != nil {
		p.error(w, r, err)
		return
	}
	d := struct {
		base
		Planned, Delivered, Level, Period string
		Comparison                        *query.Comparison
		// Settled are the periods whose every planned item was
		// delivered by T0, shown in one line: a long history has many.
		Settled, Periods []query.PeriodOutcome
	}{base: b, Planned: o.PlannedAsOf, Delivered: o.DeliveredAsOf, Level: o.Level, Period: o.Period}
	if d.Delivered == "" && b.AsOfDay != "" {
		d.Delivered = b.AsOfDay
	}
	if d.Planned != "" {
		v, err := p.view(r, query.ViewCompare, query.Options{PlannedAsOf: d.Planned, DeliveredAsOf: d.Delivered, Level: d.Level, Period: d.Period})
		if err != nil {
			body := errorBody(err)
			d.Error = &body.Error
			p.render(w, r, body.Error.Code, "compare", d)
			return
		}
		d.Comparison = v.(*query.Comparison)
		for _, po := range d.Comparison.Periods {
			if po.Planned > 0 && po.AlreadyDelivered == po.Planned && po.Unplanned == 0 {
				d.Settled = append(d.Settled, po)
			} else {
				d.Periods = append(d.Periods, po)
			}
		}
	}
	p.render(w, r, http.StatusOK, "compare", d)
}
