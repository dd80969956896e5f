package httpapi_test

import (
	"fmt"
	"html"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var decisionsLink = regexp.MustCompile(`href="(/p/checkout/decisions\?[^"]*)"[^>]*>([^<]*)<`)

// links returns the links of a page to the decisions page, by their text.
func (f *fixture) decisionsLinks(path string) map[string]string {
	f.t.Helper()
	a := f.do(call{path: path})
	require.Equal(f.t, 200, a.status, "%s: %s", path, a.body)
	out := map[string]string{}
	for _, m := range decisionsLink.FindAllStringSubmatch(string(a.body), -1) {
		out[html.UnescapeString(m[2])] = html.UnescapeString(m[1])
	}
	return out
}

// TestTimelineLinksToDecisions: the "as decisions" link of an item's, a
// request's and the product's timeline lists that timeline's decisions
// (the product's was a 404), and an item's "its epic's decisions" filters on its epic (it
// filtered on the item itself); an item under no epic has no such link.
func TestTimelineLinksToDecisions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	for _, tc := range []struct {
		name, id, epic, epicText string
	}{
		{"Product", "checkout", "", ""},
		{"ItemInEpic", "CARD-2", "CARDS", "its epic's decisions (CARDS)"},
		{"Epic", "CARDS", "CARDS", "decisions on it and its items"},
		{"ItemInNoEpic", "CARD-8", "", ""},
		{"Request", "REQ-12", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			links := f.decisionsLinks("/p/checkout/why/" + tc.id)
			own, ok := links["as decisions"]
			require.True(t, ok, "links: %v", links)
			why := f.do(call{path: "/api/v1/products/checkout/why/" + tc.id}).json(t)
			n := len(why["decisions"].([]any))
			page := f.do(call{path: own})
			require.Equal(t, 200, page.status, "%s: %s", own, page.body)
			assert.Contains(t, string(page.body), fmt.Sprintf("%d decision(s)", n), "%s lists the timeline's %d decisions", own, n)

			epic, ok := links[tc.epicText]
			if tc.epic == "" {
				for text := range links {
					assert.NotContains(t, text, "epic", "no epic link for %s", tc.id)
				}
				return
			}
			require.True(t, ok, "links: %v", links)
			assert.Equal(t, "/p/checkout/decisions?epic="+tc.epic, epic)
			assert.Equal(t, 200, f.do(call{path: epic}).status)
		})
	}

	// A roadmap item's timeline also shows the decisions on the items
	// that serve it; its link, the roadmap filter, those on the roadmap
	// item alone (the filter's documented meaning): it answers, at least.
	links := f.decisionsLinks("/p/checkout/why/R-CARDS")
	assert.Equal(t, "/p/checkout/decisions?roadmap=R-CARDS", links["as decisions"])
	assert.Equal(t, 200, f.do(call{path: links["as decisions"]}).status)

	// As of a past date, the links keep it.
	links = f.decisionsLinks("/p/checkout/why/CARD-2?asOf=2026-02-01")
	assert.Equal(t, "/p/checkout/decisions?asOf=2026-02-01&item=CARD-2", links["as decisions"])
	assert.Equal(t, "/p/checkout/decisions?asOf=2026-02-01&epic=CARDS", links["its epic's decisions (CARDS)"])
}
