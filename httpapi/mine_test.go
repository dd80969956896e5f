package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/query"
)

// rowOf returns the table row of request id in a page, "" when none.
func rowOf(page, id string) string {
	m := regexp.MustCompile(`(?s)<tr id="req-` + regexp.QuoteMeta(id) + `">.*?</tr>`).FindString(page)
	return m
}

// requestsOf lists, from the requests view, the requests actor submitted
// and those of everybody else.
func requestsOf(t *testing.T, f *fixture, actor string) (mine, others []string) {
	t.Helper()
	v, err := f.q.View(context.Background(), query.ViewRequests, query.Options{Product: "checkout"})
	require.NoError(t, err)
	for _, r := range v.(query.Requests).Requests {
		if r.Requester == actor {
			mine = append(mine, r.ID)
		} else {
			others = append(others, r.ID)
		}
	}
	return mine, others
}

// TestMyRequestsPage: the page lists each request the actor submitted and
// no other, with its state, how long it waited, who decided, in which
// role, why and the reason code; it links the actor's Atom feed for
// browsers and feed readers, and the navigation links it. In local mode
// the actor is chosen on the page.
func TestMyRequestsPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})

	t.Run("Choose", func(t *testing.T) {
		a := f.do(call{path: "/p/checkout/mine"})
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		page := string(a.body)
		assert.Contains(t, page, `<select name="actor" id="mine-actor">`, "local mode: choose who you are")
		for _, who := range []string{"sally", "sam", "fiona", "carl"} {
			assert.Contains(t, page, `<option value="`+who+`">`, who)
		}
		assert.NotContains(t, page, `<table class="requests mine"`, "no one's requests before one is chosen")
		assert.NotContains(t, page, `application/atom+xml`, "and no feed")
	})

	t.Run("Sally", func(t *testing.T) {
		a := f.do(call{path: "/p/checkout/mine?actor=sally"})
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		page := string(a.body)
		mine, others := requestsOf(t, f, "sally")
		require.NotEmpty(t, mine)
		for _, id := range mine {
			assert.NotEmpty(t, rowOf(page, id), "sally's %s is listed", id)
		}
		for _, id := range others {
			assert.Empty(t, rowOf(page, id), "%s is someone else's", id)
		}
		row := rowOf(page, "REQ-16")
		for _, s := range []string{"Klarna as a payment method", `s-rejected">rejected`, "<strong>nina</strong>", `<abbr title="Product Owner">po</abbr>`,
			`<span class="reason">duplicate</span>`, "Covered by the buy-now-pay-later roadmap item R-BNPL", `<td class="span">22h</td>`} {
			assert.Contains(t, row, s)
		}
		assert.Contains(t, row, "rejected by <strong>nina</strong>")
		row = rowOf(page, "REQ-1")
		assert.Contains(t, row, `s-accepted">accepted`)
		assert.Contains(t, row, `s-delivered">delivered</span> <span class="muted">2026-09-01 17:00`, "the delivery of the item it became")
		assert.Contains(t, row, `href="/p/checkout/why/INV-6"`)
		assert.Contains(t, page, `<link rel="alternate" type="application/atom+xml" title="Decisions on the requests of sally" href="/feeds/checkout/stakeholders/sally.atom">`)
		assert.Contains(t, page, `<a href="/p/checkout/mine" aria-current="page">My requests</a>`)
		feed := f.do(call{path: "/feeds/checkout/stakeholders/sally.atom"})
		assert.Equal(t, http.StatusOK, feed.status, "the linked feed is there")
	})

	t.Run("Pending", func(t *testing.T) {
		a := f.post("fiona", `{"action":"request.submit","args":{"id":"REQ-M1","title":"VAT per line on invoices","why":"Auditors ask"}}`)
		require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
		var row string
		require.Eventually(t, func() bool {
			row = rowOf(string(f.do(call{path: "/p/checkout/mine?actor=fiona"}).body), "REQ-M1")
			return row != ""
		}, 10*time.Second, 20*time.Millisecond)
		assert.Contains(t, row, `s-pending">pending`)
		assert.Contains(t, row, "not decided yet")
		assert.Regexp(t, `<td class="span">[0-9dhm ]+ <span class="muted">so far</span></td>`, row, "how long it has waited until now")
	})

	t.Run("Withdrawn", func(t *testing.T) {
		row := rowOf(string(f.do(call{path: "/p/checkout/mine?actor=sam"}).body), "REQ-13")
		assert.Contains(t, row, "withdrawn by <strong>sam</strong>")
		assert.Contains(t, row, `<td class="span">6d 22h <span class="muted">until withdrawn</span></td>`, "undecided: it waited until sam took it back")
	})

	t.Run("AsOf", func(t *testing.T) {
		a := f.do(call{path: "/p/checkout/mine?actor=sally&asOf=2026-02-03"})
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		page := string(a.body)
		assert.NotEmpty(t, rowOf(page, "REQ-5"), "submitted by then")
		assert.Contains(t, rowOf(page, "REQ-5"), `s-pending">pending`, "and not yet decided then")
		assert.Empty(t, rowOf(page, "REQ-8"), "submitted later")
		assert.Contains(t, page, `<input type="hidden" name="actor" value="sally">`, "the date picker keeps who was chosen")
		assert.Contains(t, page, `href="/p/checkout/mine?actor=sally">Back to now</a>`)
	})

	t.Run("NavEverywhere", func(t *testing.T) {
		for _, p := range []string{"/p/checkout/", "/p/checkout/backlog", "/p/checkout/requests", "/p/checkout/why/REQ-1"} {
			assert.Contains(t, string(f.do(call{path: p}).body), `href="/p/checkout/mine">My requests</a>`, p)
		}
	})

	t.Run("Err", func(t *testing.T) {
		a := f.do(call{path: "/p/checkout/mine?actor=sally&status=open"})
		assert.Equal(t, http.StatusBadRequest, a.status)
		assert.Contains(t, string(a.body), `unknown parameter &#34;status&#34;`)
		a = f.do(call{path: "/p/checkout/mine?actor=" + url.QueryEscape("a b")})
		assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	})
}

// TestMyRequestsSignedIn: with tokens, the page is the signed-in actor's,
// from the dashboard's cookie, and shows no one else's.
func TestMyRequestsSignedIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{tokens: true})
	sam, _, err := access.AddToken(f.tokens, "sam", false, now)
	require.NoError(t, err)
	cl := browser(t)
	var login answer
	require.Eventually(t, func() bool {
		login = f.doWith(cl, call{path: "/login"})
		form := url.Values{"csrf": {csrf(t, login.body)}, "token": {sam}}
		a := f.doWith(cl, call{method: http.MethodPost, path: "/login", body: form.Encode(), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		return a.status == http.StatusSeeOther
	}, 10*time.Second, 20*time.Millisecond, "sam signs in once the server read the new token")

	a := f.doWith(cl, call{path: "/p/checkout/mine"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	page := string(a.body)
	assert.Contains(t, page, "<h1>checkout: my requests</h1>")
	assert.NotContains(t, page, `name="actor"`, "no picker: the token says who")
	mine, others := requestsOf(t, f, "sam")
	require.NotEmpty(t, mine)
	for _, id := range mine {
		assert.NotEmpty(t, rowOf(page, id), "sam's %s is listed", id)
	}
	for _, id := range others {
		assert.Empty(t, rowOf(page, id), "%s is someone else's", id)
	}
	assert.Contains(t, page, `href="/feeds/checkout/stakeholders/sam.atom"`)
	assert.True(t, strings.Contains(page, "with a token of your own"), "the page says a feed reader needs a token")

	a = f.doWith(cl, call{path: "/p/checkout/mine?actor=sally"})
	assert.Equal(t, http.StatusUnprocessableEntity, a.status, "sam's page is sam's")
	assert.Contains(t, string(a.body), "you are signed in as sam")
	a = f.do(call{path: "/p/checkout/mine"})
	assert.Equal(t, http.StatusUnauthorized, a.status, "without the cookie")
}
