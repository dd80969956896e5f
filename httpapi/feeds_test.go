package httpapi_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

func init() {
	// The OpenAPI test reads a feed's body as the string the document
	// says it is.
	openapi3filter.RegisterBodyDecoder("application/atom+xml", openapi3filter.FileBodyDecoder)
}

// atomNS is the Atom namespace (RFC 4287).
const atomNS = "http://www.w3.org/2005/Atom"

// checkAtom checks a feed against RFC 4287 with the standard library's
// strict XML decoder, independently of the parser: well-formed, in the
// Atom namespace, the feed's id, title and updated, a self link, an
// author on the feed or on every entry, and each entry's id (unique, an
// IRI), title and updated (RFC 3339).
func checkAtom(t *testing.T, b []byte) {
	t.Helper()
	type link struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	}
	type person struct {
		Name string `xml:"http://www.w3.org/2005/Atom name"`
	}
	type entry struct {
		ID      []string `xml:"http://www.w3.org/2005/Atom id"`
		Title   []string `xml:"http://www.w3.org/2005/Atom title"`
		Updated []string `xml:"http://www.w3.org/2005/Atom updated"`
		Authors []person `xml:"http://www.w3.org/2005/Atom author"`
		Links   []link   `xml:"http://www.w3.org/2005/Atom link"`
		Content []string `xml:"http://www.w3.org/2005/Atom content"`
	}
	var f struct {
		XMLName xml.Name
		ID      []string `xml:"http://www.w3.org/2005/Atom id"`
		Title   []string `xml:"http://www.w3.org/2005/Atom title"`
		Updated []string `xml:"http://www.w3.org/2005/Atom updated"`
		Authors []person `xml:"http://www.w3.org/2005/Atom author"`
		Links   []link   `xml:"http://www.w3.org/2005/Atom link"`
		Entries []entry  `xml:"http://www.w3.org/2005/Atom entry"`
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	require.NoError(t, d.Decode(&f), "well-formed XML")
	require.Equal(t, xml.Name{Space: atomNS, Local: "feed"}, f.XMLName)
	one := func(what string, vals []string) string {
		t.Helper()
		require.Len(t, vals, 1, "exactly one %s", what)
		require.NotEmpty(t, strings.TrimSpace(vals[0]), what)
		return vals[0]
	}
	iri := func(what, s string) {
		t.Helper()
		u, err := url.Parse(s)
		require.NoError(t, err, what)
		assert.NotEmpty(t, u.Scheme, "%s %q is an absolute IRI", what, s)
	}
	stamp := func(what, s string) {
		t.Helper()
		_, err := time.Parse(time.RFC3339, s)
		assert.NoError(t, err, "%s is an RFC 3339 date-time", what)
	}
	iri("feed id", one("feed id", f.ID))
	one("feed title", f.Title)
	stamp("feed updated", one("feed updated", f.Updated))
	self := 0
	for _, l := range f.Links {
		iri("link", l.Href)
		if l.Rel == "self" {
			self++
		}
	}
	assert.Equal(t, 1, self, "one self link")
	ids := map[string]bool{}
	for _, e := range f.Entries {
		id := one("entry id", e.ID)
		iri("entry id", id)
		assert.False(t, ids[id], "entry id %s is unique", id)
		ids[id] = true
		one("entry title", e.Title)
		stamp("entry updated", one("entry updated", e.Updated))
		assert.True(t, len(f.Authors) > 0 || len(e.Authors) > 0, "entry %s has an author, or the feed has", id)
		assert.LessOrEqual(t, len(e.Content), 1)
		for _, l := range e.Links {
			iri("entry link", l.Href)
		}
	}
}

// getFeed fetches a feed, checks its media type and that it is Atom by
// RFC 4287 and by a feed reader's parser (gofeed), and returns it.
func getFeed(t *testing.T, f *fixture, c call) *atom.Feed {
	t.Helper()
	a := f.do(c)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, "application/atom+xml; charset=utf-8", a.header.Get("Content-Type"))
	checkAtom(t, a.body)
	generic, err := gofeed.NewParser().Parse(bytes.NewReader(a.body))
	require.NoError(t, err, "a feed reader's parser reads it")
	assert.Equal(t, "atom", generic.FeedType)
	assert.Equal(t, "1.0", generic.FeedVersion)
	feed, err := (&atom.Parser{}).Parse(bytes.NewReader(a.body))
	require.NoError(t, err)
	return feed
}

// wantedEntries works out, from the product's log (every event, as
// stored), the ids of the entries a feed must hold: every accept,
// reject, defer and withdrawal of a request, and every delivery of an
// item a request became, of the requests of requester (every one when
// empty).
func wantedEntries(t *testing.T, f *fixture, requester string) map[string]string {
	t.Helper()
	v, err := f.q.View(context.Background(), query.ViewLog, query.Options{Product: "checkout"})
	require.NoError(t, err)
	mine := map[string]bool{}     // request ids
	itemOf := map[string]string{} // item -> request
	want := map[string]string{}   // entry id -> event type and subject
	for _, e := range v.(query.Log).Entries {
		if e.Quarantined != "" {
			continue
		}
		switch p := e.Data.(type) {
		case domain.RequestSubmitted:
			who := p.Requester
			if who == "" {
				who = e.Actor.ID
			}
			mine[e.Aggregate.ID] = requester == "" || who == requester
		case domain.BacklogItemAdded:
			if p.Request != "" {
				itemOf[e.Aggregate.ID] = p.Request
			}
		case domain.RequestAccepted:
			if p.Item != "" {
				itemOf[p.Item] = e.Aggregate.ID
			}
		}
		req := e.Aggregate.ID
		switch e.Type {
		case domain.TypeRequestAccepted, domain.TypeRequestRejected, domain.TypeRequestDeferred, domain.TypeRequestWithdrawn:
		case domain.TypeWorkDelivered:
			req = itemOf[e.Aggregate.ID]
		default:
			continue
		}
		if mine[req] {
			id := ulid.MustParse(e.ID)
			want[urnOf(id)] = e.Type + " " + e.Aggregate.ID
		}
	}
	return want
}

// urnOf is an entry id as docs/feeds.md describes it: the event's ULID,
// its 128 bits written as a UUID URN.
func urnOf(id ulid.ULID) string {
	const digits = "0123456789abcdef"
	out := []byte("urn:uuid:")
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}

// TestFeeds reads the product's feed and a stakeholder's as a feed reader
// would: valid Atom, every decision on a request and every delivery of
// the item one became, as the log has them, each entry saying who
// decided, in which role, why and the reason code, with a link to the
// request's page; a new decision is in the feed at once, with an id
// that stays the same.
func TestFeeds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	entryIDs := func(feed *atom.Feed) map[string]string {
		out := map[string]string{}
		for _, e := range feed.Entries {
			out[e.ID] = e.Title
		}
		return out
	}
	sameIDs := func(want, got map[string]string) {
		t.Helper()
		for id, what := range want {
			assert.Contains(t, got, id, "the entry of %s", what)
		}
		for id, title := range got {
			assert.Contains(t, want, id, "the entry %q is of a decision on a request", title)
		}
	}

	t.Run("Product", func(t *testing.T) {
		feed := getFeed(t, f, call{path: "/feeds/checkout/requests.atom"})
		assert.Equal(t, "checkout: decisions on requests", feed.Title)
		want := wantedEntries(t, f, "")
		require.Greater(t, len(want), 20, "the demo decides many requests")
		sameIDs(want, entryIDs(feed))
		var self string
		for _, l := range feed.Links {
			if l.Rel == "self" {
				self = l.Href
			}
		}
		assert.Equal(t, f.url+"/feeds/checkout/requests.atom", self)
		proxied := getFeed(t, f, call{path: "/feeds/checkout/requests.atom",
			header: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ledger.example.com"}})
		assert.Equal(t, "https://ledger.example.com/feeds/checkout/requests.atom", proxied.Links[0].Href, "behind a proxy that terminates TLS")
		assert.True(t, strings.HasPrefix(proxied.Entries[0].Links[0].Href, "https://ledger.example.com/p/checkout/why/"))
		for i := 1; i < len(feed.Entries); i++ {
			assert.False(t, feed.Entries[i].UpdatedParsed.After(*feed.Entries[i-1].UpdatedParsed), "newest first")
		}
		assert.Equal(t, feed.Entries[0].Updated, feed.Updated, "the feed changed when its newest decision was taken")
	})

	t.Run("Entry", func(t *testing.T) {
		feed := getFeed(t, f, call{path: "/feeds/checkout/requests.atom"})
		var rejected, delivered *atom.Entry
		for _, e := range feed.Entries {
			switch {
			case strings.HasPrefix(e.Title, "REQ-16 rejected"):
				rejected = e
			case strings.HasPrefix(e.Title, "REQ-1 delivered"):
				delivered = e
			}
		}
		require.NotNil(t, rejected, "REQ-16's rejection")
		assert.Equal(t, "REQ-16 rejected (duplicate): Klarna as a payment method", rejected.Title)
		require.Len(t, rejected.Authors, 1)
		assert.Equal(t, "nina", rejected.Authors[0].Name, "who decided")
		terms := map[string]string{}
		for _, c := range rejected.Categories {
			terms[c.Label] = c.Term
		}
		assert.Equal(t, map[string]string{"decision": "rejected", "role": "po", "reason": "duplicate"}, terms)
		require.NotNil(t, rejected.Content)
		assert.Equal(t, "html", rejected.Content.Type)
		for _, s := range []string{"rejected by nina, in the role po", "Reason code: duplicate", "Why: Covered by the buy-now-pay-later roadmap item R-BNPL"} {
			assert.Contains(t, rejected.Content.Value, s)
		}
		require.NotEmpty(t, rejected.Links)
		assert.Equal(t, "alternate", rejected.Links[0].Rel)
		assert.Equal(t, f.url+"/p/checkout/why/REQ-16", rejected.Links[0].Href, "the request's page in the dashboard")
		page := f.do(call{path: strings.TrimPrefix(rejected.Links[0].Href, f.url)})
		assert.Equal(t, http.StatusOK, page.status, "the link leads to the page")

		require.NotNil(t, delivered, "the delivery of the item REQ-1 became")
		assert.Equal(t, "REQ-1 delivered as INV-6: Pay by invoice for business customers", delivered.Title)
		assert.Contains(t, delivered.Content.Value, "The backlog item INV-6, which request REQ-1 became, was delivered by tara, in the role team.")
	})

	t.Run("Stakeholder", func(t *testing.T) {
		feed := getFeed(t, f, call{path: "/feeds/checkout/stakeholders/sally.atom"})
		assert.Equal(t, "checkout: decisions on the requests of sally", feed.Title)
		want := wantedEntries(t, f, "sally")
		require.NotEmpty(t, want)
		sameIDs(want, entryIDs(feed))
		empty := getFeed(t, f, call{path: "/feeds/checkout/stakeholders/nobody-yet.atom"})
		assert.Empty(t, empty.Entries, "a stakeholder may subscribe before submitting anything")
	})

	t.Run("NewDecision", func(t *testing.T) {
		a := f.post("sam", `{"action":"request.submit","args":{"id":"REQ-F1","title":"Receipts by e-mail","why":"Support is asked daily"}}`)
		require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
		a = f.post("nina", `{"action":"request.defer","args":{"id":"REQ-F1","until":"2027-01-15","why":"After the peak season freeze"}}`)
		require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
		// The decisions view answers from the live projections, which
		// apply the event a moment after it is stored.
		var feed *atom.Feed
		require.Eventually(t, func() bool {
			feed = getFeed(t, f, call{path: "/feeds/checkout/stakeholders/sam.atom"})
			return len(feed.Entries) > 0 && strings.HasPrefix(feed.Entries[0].Title, "REQ-F1")
		}, 10*time.Second, 20*time.Millisecond, "the deferral is in sam's feed")
		first := feed.Entries[0]
		assert.Equal(t, "REQ-F1 deferred: Receipts by e-mail", first.Title)
		assert.Contains(t, first.Content.Value, "Why: After the peak season freeze")
		assert.Contains(t, wantedEntries(t, f, "sam"), first.ID, "the id is the event's")
		again := getFeed(t, f, call{path: "/feeds/checkout/stakeholders/sam.atom"})
		assert.Equal(t, first.ID, again.Entries[0].ID, "an entry keeps its id")
		assert.Equal(t, feed.ID, again.ID, "and the feed its")

		// A reader polling between two decisions is told nothing changed.
		path := "/feeds/checkout/stakeholders/sam.atom"
		etag := f.do(call{path: path}).header.Get("ETag")
		require.NotEmpty(t, etag)
		a = f.do(call{path: path, header: map[string]string{"If-None-Match": etag}})
		assert.Equal(t, http.StatusNotModified, a.status)
		assert.Empty(t, a.body)
		a = f.post("sam", `{"action":"request.withdraw","args":{"id":"REQ-F1","why":"Receipts come with the new shop"}}`)
		require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
		require.Eventually(t, func() bool {
			a = f.do(call{path: path, header: map[string]string{"If-None-Match": etag}})
			return a.status == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond, "a new decision is a new feed")
		assert.NotEqual(t, etag, a.header.Get("ETag"))
		assert.Contains(t, string(a.body), "REQ-F1 withdrawn: Receipts by e-mail")
		assert.NotContains(t, entryIDs(getFeed(t, f, call{path: "/feeds/checkout/stakeholders/sally.atom"})), first.ID, "sally hears nothing of sam's request")
	})

	t.Run("Err", func(t *testing.T) {
		for _, c := range []struct {
			name, path string
			status     int
			field      string
		}{
			{"ErrUnknownParameter", "/feeds/checkout/requests.atom?limit=5", 400, "limit"},
			{"ErrNotAtom", "/feeds/checkout/stakeholders/sally", 404, "stakeholder"},
			{"ErrBadActor", "/feeds/checkout/stakeholders/a%20b.atom", 422, "stakeholder"},
			{"ErrUnknownProduct", "/feeds/nope/requests.atom", 404, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				a := f.do(call{path: c.path})
				require.Equal(t, c.status, a.status, "%s", a.body)
				assertError(t, a.json(t), c.status, c.field)
			})
		}
	})
}

// TestFeedTokens: with tokens, a feed needs one like the rest of the API,
// and takes it the ways a feed reader can send it: Authorization: Bearer,
// the dashboard's cookie, HTTP Basic credentials (the token as the
// password) and ?token=, which no other route takes.
func TestFeedTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{tokens: true})
	sally, _, err := access.AddToken(f.tokens, "sally", false, now)
	require.NoError(t, err)
	tok, reader, err := access.AddToken(f.tokens, "sally", false, now)
	require.NoError(t, err)
	feed := "/feeds/checkout/stakeholders/sally.atom"
	basic := func(user, pw string) map[string]string {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.SetBasicAuth(user, pw)
		return map[string]string{"Authorization": r.Header.Get("Authorization")}
	}
	require.Eventually(t, func() bool {
		return f.do(call{path: feed, header: map[string]string{"Authorization": "Bearer " + sally}}).status == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "the server read the new tokens")

	t.Run("ErrNoToken", func(t *testing.T) {
		for _, p := range []string{feed, "/feeds/checkout/requests.atom"} {
			a := f.do(call{path: p})
			require.Equal(t, http.StatusUnauthorized, a.status, p)
			assert.ElementsMatch(t, []string{`Basic realm="ledger feeds", charset="UTF-8"`, `Bearer realm="ledger"`}, a.header.Values("WWW-Authenticate"),
				"a feed reader may ask its user for credentials")
			assertError(t, a.json(t), http.StatusUnauthorized, "")
		}
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		for name, c := range map[string]call{
			"query":  {path: feed + "?token=ldg_nottoken"},
			"basic":  {path: feed, header: basic("sally", "ldg_nottoken")},
			"bearer": {path: feed, header: map[string]string{"Authorization": "Bearer ldg_nottoken"}},
		} {
			a := f.do(c)
			assert.Equal(t, http.StatusUnauthorized, a.status, name)
			assert.NotContains(t, string(a.body), "ldg_nottoken", "tokens are never echoed")
		}
	})
	t.Run("ErrTokenInURLElsewhere", func(t *testing.T) {
		a := f.do(call{path: "/api/v1/products?token=" + url.QueryEscape(sally)})
		assert.Equal(t, http.StatusUnauthorized, a.status, "only a feed takes the token in its URL")
	})
	t.Run("OK", func(t *testing.T) {
		for name, c := range map[string]call{
			"bearer": {path: feed, header: map[string]string{"Authorization": "Bearer " + sally}},
			"basic":  {path: feed, header: basic("", tok)},
			"query":  {path: feed + "?token=" + url.QueryEscape(tok)},
		} {
			t.Run(name, func(t *testing.T) {
				got := getFeed(t, f, c)
				assert.NotEmpty(t, got.Entries)
				for _, l := range got.Links {
					assert.NotContains(t, l.Href, tok, "the self link does not carry the token")
				}
			})
		}
		cl := browser(t)
		login := f.doWith(cl, call{path: "/login"})
		form := url.Values{"csrf": {csrf(t, login.body)}, "token": {sally}}
		a := f.doWith(cl, call{method: http.MethodPost, path: "/login", body: form.Encode(), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		require.Equal(t, http.StatusSeeOther, a.status, "%s", a.body)
		a = f.doWith(cl, call{path: feed})
		assert.Equal(t, http.StatusOK, a.status, "the dashboard's cookie opens the feed its page links to")
	})
	t.Run("Revoked", func(t *testing.T) {
		_, err := access.RevokeToken(f.tokens, reader.ID)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			return f.do(call{path: feed + "?token=" + url.QueryEscape(tok)}).status == http.StatusUnauthorized
		}, 10*time.Second, 20*time.Millisecond, "a reader's token revoked alone")
		a := f.do(call{path: feed, header: map[string]string{"Authorization": "Bearer " + sally}})
		assert.Equal(t, http.StatusOK, a.status, "sally's other token still reads")
	})
}
