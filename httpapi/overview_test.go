package httpapi_test

import (
	"encoding/json"
	"html"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
)

// TestOverviewViewAndPage asks the overview, quarantine and metrics views
// through the API and requires the dashboard's overview page to show the
// overview view's figures.
func TestOverviewViewAndPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := f.do(call{path: "/api/v1/products/checkout/overview"})
	require.Equal(t, 200, a.status, "%s", a.body)
	var ov query.Overview
	require.NoError(t, json.Unmarshal(a.body, &ov))
	assert.Equal(t, 16, ov.Requests)
	require.NotEmpty(t, ov.MedianWait)
	require.NotEmpty(t, ov.Churn)
	require.Len(t, ov.Latest, query.LatestDecisions)
	require.NotNil(t, ov.SayDo)

	page := f.doWith(browser(t), call{path: "/p/checkout/"})
	require.Equal(t, 200, page.status)
	body := html.UnescapeString(string(page.body))
	assert.Contains(t, body, `<strong id="median">`+ov.MedianWait+`</strong>`)
	assert.Contains(t, body, "over "+strconv.Itoa(ov.Decided)+" decided requests")
	for _, c := range ov.Churn {
		assert.Contains(t, body, ">"+c.ID+"</a></td><td class=\"n\">"+strconv.Itoa(c.Count)+"<")
	}
	for _, e := range ov.Latest {
		assert.Contains(t, body, e.Why)
	}
	for _, s := range ov.Funnel {
		assert.Contains(t, body, `<th scope="row">`+s.Status+`</th><td class="n">`+strconv.Itoa(s.Count)+`</td>`)
	}

	q := f.do(call{path: "/api/v1/products/checkout/quarantine"})
	require.Equal(t, 200, q.status, "%s", q.body)
	var qv query.Quarantine
	require.NoError(t, json.Unmarshal(q.body, &qv))
	assert.Zero(t, qv.Quarantined, "the demo keeps every rule")
	assert.Empty(t, qv.Entries)

	m := f.do(call{path: "/api/v1/products/checkout/metrics"})
	require.Equal(t, 200, m.status, "%s", m.body)
	var mv query.Metrics
	require.NoError(t, json.Unmarshal(m.body, &mv))
	assert.Equal(t, 16, mv.Types["RequestSubmitted"])
	assert.Equal(t, ov.Decided, mv.Waits.Count)

	bad := f.do(call{path: "/api/v1/products/checkout/overview?status=all"})
	assert.Equal(t, 400, bad.status, "the overview takes no status")
}
