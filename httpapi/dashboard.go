package httpapi

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// overviewData is the overview page: say/do per period, the request
// funnel, the median time to a decision, churn and the latest decisions.
type overviewData struct {
	base
	Chart       chart
	Funnel      []funnelStep
	Reasons     []funnelStep
	Median      string
	Decided     int
	Churn       []churn
	Latest      []domain.Recorded
	ChartErrors []string
}

type funnelStep struct {
	Label string
	Count int
	Of    int
}

type churn struct {
	ID    string
	Count int
}

// decisionTypes are the events the overview lists as decisions.
func isDecision(e domain.Recorded) bool { return e.Why != "" }

func (p *pages) overview(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "overview", "Overview")
	asOf := b.AsOf
	lv, err := p.view(r, query.ViewLog, query.Options{AsOf: asOf})
	if err != nil {
		p.error(w, r, err)
		return
	}
	log := lv.(query.Log)
	rv, err := p.view(r, query.ViewRequests, query.Options{AsOf: asOf})
	if err != nil {
		p.error(w, r, err)
		return
	}
	reqs := rv.(query.Requests)
	d := overviewData{base: b}
	d.Warnings = log.Warnings
	d.live(log.Position)

	// Say/do: every period begun, each against its own plan (the saydo
	// view says which).
	sv, err := p.view(r, query.ViewSayDo, query.Options{AsOf: asOf})
	if err != nil {
		d.ChartErrors = append(d.ChartErrors, "say/do: "+err.Error())
		sv = &query.SayDo{}
	}
	d.Chart = newChart(sv.(*query.SayDo))

	// The funnel and the median wait.
	total := len(reqs.Requests)
	counts := map[string]int{}
	reasons := map[string]int{}
	var waits []float64
	for _, rq := range reqs.Requests {
		counts[string(rq.Status)]++
		if rq.Status == "rejected" {
			reasons[string(rq.Reason)]++
		}
		if rq.WaitSeconds != nil {
			waits = append(waits, *rq.WaitSeconds)
		}
	}
	d.Funnel = append(d.Funnel, funnelStep{"submitted", total, total})
	for _, st := range []string{"accepted", "rejected", "deferred", "pending", "withdrawn"} {
		d.Funnel = append(d.Funnel, funnelStep{st, counts[st], total})
	}
	for reason, n := range reasons {
		d.Reasons = append(d.Reasons, funnelStep{reason, n, counts["rejected"]})
	}
	sort.Slice(d.Reasons, func(i, j int) bool { return d.Reasons[i].Label < d.Reasons[j].Label })
	d.Decided = len(waits)
	if len(waits) > 0 {
		sort.Float64s(waits)
		m := waits[len(waits)/2]
		if len(waits)%2 == 0 {
			m = (waits[len(waits)/2-1] + waits[len(waits)/2]) / 2
		}
		d.Median = query.Span(time.Duration(m * float64(time.Second)))
	}

	// Churn: how often each item was re-ranked; the latest decisions.
	ranks := map[string]int{}
	for _, e := range log.Entries {
		if e.Quarantined != "" {
			continue // refused by the validating fold: no decision at all
		}
		if e.Type == "BacklogItemRanked" || e.Type == "RoadmapItemRanked" {
			ranks[e.Aggregate.ID]++
		}
	}
	for id, n := range ranks {
		d.Churn = append(d.Churn, churn{id, n})
	}
	sort.Slice(d.Churn, func(i, j int) bool {
		if d.Churn[i].Count != d.Churn[j].Count {
			return d.Churn[i].Count > d.Churn[j].Count
		}
		return d.Churn[i].ID < d.Churn[j].ID
	})
	if len(d.Churn) > 6 {
		d.Churn = d.Churn[:6]
	}
	for i := len(log.Entries) - 1; i >= 0 && len(d.Latest) < 8; i-- {
		if e := log.Entries[i]; e.Quarantined == "" && isDecision(e.Recorded) {
			d.Latest = append(d.Latest, e.Recorded)
		}
	}
	p.render(w, r, http.StatusOK, "overview", d)
}

func (p *pages) backlog(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "backlog", "Backlog")
	status := r.URL.Query().Get("status")
	v, err := p.view(r, query.ViewBacklog, query.Options{AsOf: b.AsOf, Status: status})
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
	}{b, bl, status, query.ItemStatuses})
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
	v, err := p.view(r, query.ViewRoadmap, query.Options{AsOf: b.AsOf})
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
	}{b, rm, periods, items})
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
	// Sort is the order asked for: "" (submitted, oldest first) or
	// "waiting" (the longest waiting pending request first).
	Sort string
}

func (p *pages) requests(w http.ResponseWriter, r *http.Request) { p.requestsPage(w, r, nil) }

// requestsPage shows the requests; formErr, when set, is why the decide
// form was refused, shown next to it with the form as the user filled it.
func (p *pages) requestsPage(w http.ResponseWriter, r *http.Request, formErr error) {
	b := p.base(w, r, "requests", "Requests")
	q := r.URL.Query()
	d := requestsData{base: b, Requester: q.Get("requester"), Status: q.Get("status"), Reason: q.Get("reason"),
		Statuses: query.RequestStatuses, Sort: q.Get("sort")}
	for _, rc := range domain.ReasonCodes {
		d.Reasons = append(d.Reasons, string(rc))
	}
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
	v, err := p.view(r, query.ViewRequests, query.Options{AsOf: b.AsOf, Status: d.Status, Requester: d.Requester})
	if err != nil {
		p.error(w, r, err)
		return
	}
	rs := v.(query.Requests)
	for _, rq := range rs.Requests {
		if d.Reason == "" || string(rq.Reason) == d.Reason {
			d.Requests = append(d.Requests, rq)
		}
	}
	if err := query.SortRequests(d.Requests, d.Sort); err != nil {
		p.error(w, r, err)
		return
	}
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
	v, err := p.view(r, query.ViewWhy, query.Options{AsOf: b.AsOf, ID: r.PathValue("id")})
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
		Links whyLinks
	}{b, wy, p.decisionsLinks(r, wy, b.AsOf)})
}

func (p *pages) compare(w http.ResponseWriter, r *http.Request) {
	b := p.base(w, r, "compare", "Plan versus delivered")
	q := r.URL.Query()
	d := struct {
		base
		Planned, Delivered, Level, Period string
		Comparison                        *query.Comparison
		// Settled are the periods whose every planned item was
		// delivered by T0, shown in one line: a long history has many.
		Settled, Periods []query.PeriodOutcome
	}{base: b, Planned: q.Get("plannedAsOf"), Delivered: q.Get("deliveredAsOf"), Level: q.Get("level"), Period: q.Get("period")}
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
