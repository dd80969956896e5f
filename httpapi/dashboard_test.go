package httpapi_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>`)

func TestPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	for _, tc := range []struct {
		name, path string
		status     int
		want       []string
	}{
		{"Root", "/", http.StatusSeeOther, nil},
		{"Overview", "/p/checkout/", 200, []string{"Say/do ratio per quarter", "<title id=\"saydo-title\">", "Share of what was planned", "Quarter", "0% · 0 of 3", "of 3 roadmap items planned by 2026-03-31: 0 on time, 2 late, 1 never (1 dropped, 0 open)", "Request funnel", "Median time to a decision", "Latest decisions", "2026-Q1", "data-live=\"/api/v1/products/checkout/events?after="}},
		{"Backlog", "/p/checkout/backlog?status=all", 200, []string{"CARD-2", "RICE 1687.5", "Payments operations", "from REQ-14"}},
		{"BacklogScoreOverride", "/p/checkout/backlog?asOf=2026-01-08", 200, []string{"CARD-2", "score overridden"}},
		{"Roadmap", "/p/checkout/roadmap", 200, []string{"2026-Q2", "R-WALLETS", "late", "<progress"}},
		{"Requests", "/p/checkout/requests", 200, []string{"REQ-3", "conflicts-with-vision", "Stakeholder"}},
		{"RequestsFiltered", "/p/checkout/requests?requester=carl&status=rejected&reason=conflicts-with-vision", 200, []string{"REQ-3"}},
		{"ItemTimeline", "/p/checkout/why/CARD-2", 200, []string{"BacklogItemRanked", "PSD2", "ranked above higher scores"}},
		{"RequestTimeline", "/p/checkout/why/REQ-12", 200, []string{"RequestSubmitted", "RequestAccepted"}},
		{"Compare", "/p/checkout/compare?plannedAsOf=2026-04-01&deliveredAsOf=2026-10-01", 200, []string{"R-WALLETS", "late", "B2B deals are worth more"}},
		{"CompareEmpty", "/p/checkout/compare", 200, []string{"Pick the date"}},
		{"AsOf", "/p/checkout/backlog?asOf=2026-01-08", 200, []string{"Showing the past", "2026-01-08", "Back to now"}},
		{"AsOfOverview", "/p/checkout/?asOf=2026-05-01", 200, []string{"Showing the past", "2026-Q1"}},
		{"ErrCompareBadDate", "/p/checkout/compare?plannedAsOf=nonsense", 422, []string{"plannedAsOf"}},
		{"ErrNoSuchItem", "/p/checkout/why/NOPE-9", 404, []string{"NOPE-9"}},
		{"ErrNoSuchProduct", "/p/nope/", 404, []string{"nope"}},
		{"ErrBadAsOf", "/p/checkout/backlog?asOf=someday", 422, []string{"asOf"}},
		{"Static", "/static/style.css", 200, nil},
		{"FlashOnlyFromDecide", "/p/checkout/requests?done=Your+session+expired%2C+call+555", 200, []string{"checkout: requests"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.doWith(browser(t), call{path: tc.path})
			require.Equal(t, tc.status, a.status, "%.500s", a.body)
			csp := a.header.Get("Content-Security-Policy")
			assert.Contains(t, csp, "script-src 'self'")
			assert.NotContains(t, csp, "unsafe-inline")
			for _, w := range tc.want {
				assert.Contains(t, string(a.body), w)
			}
			for _, m := range inlineScript.FindAll(a.body, -1) {
				assert.Contains(t, string(m), "src=", "no inline script: %s", m)
			}
			assert.NotContains(t, string(a.body), "session expired", "a link cannot make the page say anything")
			if strings.Contains(tc.name, "AsOf") || strings.Contains(tc.name, "Override") {
				assert.NotContains(t, string(a.body), "data-live=", "a page of the past does not follow the stream")
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := f.post("sally", `{"action":"request.submit","args":{"id":"REQ-X","title":"<script>alert(1)</script>","why":"<img src=x onerror=alert(2)>"}}`)
	require.Equal(t, 201, a.status)
	for _, p := range []string{"/p/checkout/requests?minSeq=" + seqOf(t, a), "/p/checkout/why/REQ-X", "/p/checkout/"} {
		a := f.do(call{path: p})
		require.Equal(t, 200, a.status)
		body := string(a.body)
		assert.NotContains(t, body, "<script>alert(1)</script>", p)
		assert.NotContains(t, body, "<img src=x", p)
		assert.Contains(t, body, "&lt;img src=x onerror=alert(2)&gt;", p)
		if !strings.HasSuffix(p, "/p/checkout/") {
			assert.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;", p)
		}
	}
}

func TestDecideForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	require.Equal(t, 201, f.post("sally", `{"action":"request.submit","args":{"id":"REQ-D","title":"Pay with points","why":"Loyalty"}}`).status)
	cl := browser(t)
	page := f.doWith(cl, call{path: "/p/checkout/requests?status=pending&minSeq=" + itoa(f.h.LastSeq("checkout"))})
	require.Equal(t, 200, page.status)
	require.Contains(t, string(page.body), "REQ-D")
	token := csrf(t, page.body)
	form := func(v url.Values) call {
		return call{method: http.MethodPost, path: "/p/checkout/requests/REQ-D/decide", body: v.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
	}
	before := f.h.LastSeq("checkout")

	a := f.doWith(cl, form(url.Values{"decision": {"reject"}, "reason": {"low-value"}, "why": {"No"}, "actor": {"nina"}}))
	assert.Equal(t, 403, a.status, "no CSRF token")
	assert.Contains(t, string(a.body), "reload the page")
	a = f.doWith(http.DefaultClient, form(url.Values{"csrf": {token}, "decision": {"reject"}, "reason": {"low-value"}, "why": {"No"}, "actor": {"nina"}}))
	assert.Equal(t, 403, a.status, "the token without its cookie (another site's form)")
	c := form(url.Values{"csrf": {token}, "decision": {"reject"}, "reason": {"low-value"}, "why": {"No"}, "actor": {"nina"}})
	c.header["Origin"] = "https://evil.example"
	assert.Equal(t, 403, f.doWith(cl, c).status, "a form from another origin")

	a = f.doWith(cl, form(url.Values{"csrf": {token}, "decision": {"reject"}, "reason": {"low-value"}, "actor": {"nina"}}))
	assert.Equal(t, 422, a.status, "a decision without a why is refused")
	assert.Contains(t, string(a.body), "why")
	assert.Contains(t, string(a.body), `value="reject" checked`, "the form keeps what was filled in")
	a = f.doWith(cl, form(url.Values{"csrf": {token}, "decision": {"reject"}, "reason": {"low-value"}, "why": {"Not now"}, "actor": {"sally"}}))
	assert.Equal(t, 403, a.status, "only the PO decides")
	a = f.doWith(cl, form(url.Values{"csrf": {token}, "why": {"Hm"}, "actor": {"nina"}}))
	assert.Equal(t, 400, a.status, "no decision chosen")
	a = f.doWith(cl, form(url.Values{"csrf": {token}, "decision": {"reject"}, "reason": {"low-value"}, "why": {"No \xff"}, "actor": {"nina"}}))
	assert.Equal(t, 422, a.status, "a why that is not UTF-8 is refused, not recorded with U+FFFD in it")
	a = f.doWith(cl, form(url.Values{"csrf": {token}, "decision": {"reject"}, "reason": {"low-value"}, "why": {"No"}, "commandId": {"\xfeA"}, "actor": {"nina"}}))
	assert.Equal(t, 422, a.status, "a command id that is not UTF-8 is refused")
	assert.Equal(t, before, f.h.LastSeq("checkout"), "refusals record nothing")

	a = f.doWith(cl, form(url.Values{"csrf": {token}, "decision": {"defer"}, "until": {"2027-01-15"}, "why": {"After the peak season"}, "actor": {"nina"}}))
	require.Equal(t, http.StatusSeeOther, a.status, "%s", a.body)
	loc := a.header.Get("Location")
	assert.Contains(t, loc, "/p/checkout/requests?done=")
	page = f.doWith(cl, call{path: loc})
	assert.Contains(t, string(page.body), "Recorded: REQ-D deferred")
	assert.Contains(t, string(page.body), "After the peak season")

	a = f.doWith(cl, form(url.Values{"csrf": {token}, "decision": {"accept"}, "item": {"LOY-1"}, "why": {"Loyalty matters after all"}, "actor": {"nina"}}))
	require.Equal(t, http.StatusSeeOther, a.status, "%s", a.body)
	w := f.do(call{path: "/api/v1/products/checkout/why/REQ-D?minSeq=" + itoa(f.h.LastSeq("checkout"))}).json(t)
	assert.Equal(t, "accepted", w["status"])
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestDecisionsPage shows the auditor's query in the dashboard, with its
// filters in the page and links to each item and actor.
func TestDecisionsPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := f.do(call{path: "/p/checkout/decisions?epic=CARDS&type=ranked&from=2026-01-01&to=2027-01-01"})
	require.Equal(t, 200, a.status, "%s", a.body)
	page := string(a.body)
	assert.Contains(t, page, "3 decision(s)")
	assert.Contains(t, page, `href="/p/checkout/why/CARD-2"`)
	assert.Contains(t, page, `href="/p/checkout/decisions?actor=olga"`)
	assert.Contains(t, page, "overrides a higher score")
	assert.Contains(t, page, `value="CARDS"`, "the filter stays in the form")

	why := f.do(call{path: "/p/checkout/why/CARD-2"})
	require.Equal(t, 200, why.status)
	assert.Contains(t, string(why.body), `href="/p/checkout/decisions?item=CARD-2"`, "linked from every item")
}
