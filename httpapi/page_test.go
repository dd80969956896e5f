package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
)

var linkNext = regexp.MustCompile(`<([^>]+)>; rel="next"`)
var linkPrev = regexp.MustCompile(`<([^>]+)>; rel="prev"`)

// TestListPages walks the catalogue's lists over HTTP: for every list
// view, the pages of three, each found by the previous one's Link
// rel="next" (which names the next cursor of the JSON), add up to the
// whole list; rel="prev" leads back; the CSV form is paged alike.
func TestListPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	doc, _ := openAPI(t, f)
	paths := viewPaths(doc)
	examples := map[string]string{"{p}": "checkout", "{id}": "CARD-2"}
	lists := 0
	for _, v := range query.Catalogue() {
		if !v.Paged() {
			continue
		}
		lists++
		path := paths[v.Name]
		for k, val := range examples {
			path = strings.ReplaceAll(path, k, val)
		}
		q := "?limit=3"
		if v.Name == "backlog" {
			q += "&status=all"
		}
		whole := f.do(call{path: strings.Replace(path+q, "limit=3", "limit=0", 1)})
		require.Equal(t, 200, whole.status, "%s: %s", v.Name, whole.body)
		assert.Empty(t, whole.header.Get("Link"), "%s: the whole list has no pages around it", v.Name)
		typ := reflect.TypeOf(v.Answer)

		all := reflect.New(typ)
		next, pages := path+q, 0
		var second string
		for next != "" {
			a := f.do(call{path: next})
			require.Equal(t, 200, a.status, "%s %s: %s", v.Name, next, a.body)
			page := reflect.New(typ)
			require.NoError(t, json.Unmarshal(a.body, page.Interface()))
			if pages == 0 {
				all.Elem().Set(page.Elem())
			} else {
				require.True(t, v.Merge(all.Interface(), page.Interface()))
			}
			if pages == 1 {
				second = next
			}
			pages++
			p, _ := query.PageOf(page.Elem().Interface())
			next = ""
			if m := linkNext.FindStringSubmatch(a.header.Get("Link")); m != nil {
				next = m[1]
				u, err := url.Parse(next)
				require.NoError(t, err)
				assert.Equal(t, p.Next, u.Query().Get("after"), "%s: the link names the next cursor", v.Name)
				assert.Equal(t, "3", u.Query().Get("limit"), "and keeps the other parameters")
			} else {
				assert.Empty(t, p.Next, v.Name)
			}
			require.Less(t, pages, 200)
		}
		var want, got any
		require.NoError(t, json.Unmarshal(whole.body, &want))
		b, err := json.Marshal(all.Interface())
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &got))
		assert.Equal(t, want, got, "%s: the pages add up to the whole", v.Name)

		if second != "" && v.Name != "log" {
			a := f.do(call{path: second})
			m := linkPrev.FindStringSubmatch(a.header.Get("Link"))
			require.NotNil(t, m, "%s: the second page links back", v.Name)
			back := f.do(call{path: m[1]})
			require.Equal(t, 200, back.status)
			var p1, p2 map[string]any
			require.NoError(t, json.Unmarshal(f.do(call{path: path + q}).body, &p1))
			require.NoError(t, json.Unmarshal(back.body, &p2))
			for _, m := range []map[string]any{p1, p2} {
				delete(m, "asOf")
				delete(m, "replayed")
			}
			assert.Equal(t, p1, p2, "%s: prev leads back to the first page", v.Name)
		}
		if v.HasCSV() {
			csv := f.do(call{path: path + q + "&format=csv"})
			require.Equal(t, 200, csv.status)
			assert.Len(t, strings.Split(strings.TrimSpace(string(csv.body)), "\r\n"), 1+min(3, rowsOf(t, v, whole.body)), v.Name)
			assert.Contains(t, csv.header.Get("Link"), `rel="next"`, v.Name)
		}
	}
	assert.Positive(t, lists, "the catalogue's lists were walked (query's TestPagesAddUpToTheWhole names them)")
}

// rowsOf is how many elements the JSON of a whole answer holds.
func rowsOf(t *testing.T, v *query.View, body []byte) int {
	page := reflect.New(reflect.TypeOf(v.Answer))
	require.NoError(t, json.Unmarshal(body, page.Interface()))
	n, _ := v.Len(page.Interface())
	return n
}

var pagerNext = regexp.MustCompile(`<a rel="next" href="([^"]+)">`)
var pagerPrev = regexp.MustCompile(`<a rel="prev" href="([^"]+)">`)

// TestDashboardPages: every dashboard list shows a page at a time, with
// previous and next links that keep its filters; the decisions page
// shows a hundred by default, not the whole history.
func TestDashboardPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	for _, tc := range []struct {
		page, item string // a page's path, and what marks one element of it
	}{
		{"/p/checkout/backlog?status=all&limit=5", `<tr id="item-`},
		{"/p/checkout/requests?limit=4", `<tr id="req-`},
		{"/p/checkout/decisions?type=ranked&limit=6", "<tr>\n  <td>"},
		{"/p/checkout/why/CARD-2?limit=2", `<div class="when">`},
		{"/p/checkout/roadmap?limit=3", `<li class="ritem">`},
	} {
		first := f.do(call{path: tc.page})
		require.Equal(t, 200, first.status, "%s: %s", tc.page, first.body)
		page := string(first.body)
		assert.NotRegexp(t, pagerPrev, page, "%s: the first page has no previous", tc.page)
		m := pagerNext.FindStringSubmatch(page)
		require.NotNil(t, m, "%s: a next link", tc.page)
		next := unescape(m[1])
		u, err := url.Parse(next)
		require.NoError(t, err)
		for k, v := range mustQuery(t, tc.page) {
			assert.Equal(t, v, u.Query()[k], "%s: the next page keeps %s", tc.page, k)
		}
		second := f.do(call{path: next})
		require.Equal(t, 200, second.status, "%s", next)
		m = pagerPrev.FindStringSubmatch(string(second.body))
		require.NotNil(t, m, "%s: the second page links back", next)
		back := f.do(call{path: unescape(m[1])})
		assert.Equal(t, strings.Count(page, tc.item), strings.Count(string(back.body), tc.item), "%s: back to a page as long", tc.page)
		assert.NotEqual(t, elementsOf(page, tc.item), elementsOf(string(second.body), tc.item), "%s: the next page shows others", tc.page)
	}

	all := f.do(call{path: "/api/v1/products/checkout/decisions"})
	var d query.Decisions
	require.NoError(t, json.Unmarshal(all.body, &d))
	require.Greater(t, len(d.Decisions), 100, "the demo has more decisions than a page")
	page := string(f.do(call{path: "/p/checkout/decisions"}).body)
	assert.Equal(t, 100, strings.Count(page, "<tr>\n  <td>"), "a hundred a page")
	assert.Regexp(t, pagerNext, page)
	assert.Contains(t, page, fmt.Sprintf("%d decision(s)", len(d.Decisions)), "the count is the whole list's")
	assert.Contains(t, page, fmt.Sprintf("100 of %d decisions on this page", len(d.Decisions)))

	var w query.Why
	require.NoError(t, json.Unmarshal(f.do(call{path: "/api/v1/products/checkout/why/CARD-2"}).body, &w))
	require.Greater(t, len(w.Decisions), 2)
	why := string(f.do(call{path: "/p/checkout/why/CARD-2?limit=2"}).body)
	assert.Contains(t, why, fmt.Sprintf("%d decisions", len(w.Decisions)), "a why page counts the whole chain")
}

func unescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }

func mustQuery(t *testing.T, page string) url.Values {
	u, err := url.Parse(page)
	require.NoError(t, err)
	return u.Query()
}

// elementsOf is the text of a page's list, from its first element on.
func elementsOf(page, item string) string {
	if i := strings.Index(page, item); i >= 0 {
		return page[i:]
	}
	return ""
}
