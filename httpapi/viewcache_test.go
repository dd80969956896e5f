package httpapi_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestViewCache asks the same views again and again, as a dashboard's
// readers do: the answer is encoded once per position and served with an
// ETag (304 to a client that holds it), the filters are kept apart, and a
// decision is seen by the very next request, its own writer's or anyone's.
func TestViewCache(t *testing.T) {
	f := newFixture(t, options{})
	const path = "/api/v1/products/checkout/backlog"
	first := f.do(call{path: path})
	require.Equal(t, 200, first.status, "%s", first.body)
	etag := first.header.Get("ETag")
	require.NotEmpty(t, etag)
	again := f.do(call{path: path})
	assert.Equal(t, first.body, again.body)
	assert.Equal(t, etag, again.header.Get("ETag"))
	assert.Equal(t, "application/json; charset=utf-8", again.header.Get("Content-Type"))

	assert.Contains(t, string(f.do(call{path: "/metrics"}).body), `ledger_http_view_answers_total{cache="hit",view="backlog"} 1`,
		"the second answer was the first one's bytes")

	held := f.do(call{path: path, header: map[string]string{"If-None-Match": `"other", W/` + etag}})
	assert.Equal(t, 304, held.status)
	assert.Empty(t, held.body)

	all := f.do(call{path: path + "?status=all"})
	require.Equal(t, 200, all.status)
	assert.NotEqual(t, first.body, all.body, "the open items and all items are kept apart")
	assert.Greater(t, len(all.json(t)["items"].([]any)), len(first.json(t)["items"].([]any)))

	items := first.json(t)["items"].([]any)
	require.GreaterOrEqual(t, len(items), 2)
	lastID := items[len(items)-1].(map[string]any)["id"].(string)
	rank := f.post("nina", `{"action":"item.rank","args":{"id":"`+lastID+`","top":true,"why":"Cache test: to the top"}}`)
	require.Equal(t, 201, rank.status, "%s", rank.body)

	after := f.do(call{path: path, header: map[string]string{"If-None-Match": etag}})
	require.Equal(t, 200, after.status, "the held answer is no longer the backlog")
	assert.NotEqual(t, etag, after.header.Get("ETag"))
	top := after.json(t)["items"].([]any)[0].(map[string]any)
	assert.Equal(t, lastID, top["id"], "the decision is in the next answer")
	assert.Greater(t, after.json(t)["position"], first.json(t)["position"])

	metrics := string(f.do(call{path: "/metrics"}).body)
	assert.Contains(t, metrics, `ledger_http_view_answers_total{cache="hit",view="backlog"} 2`, "the 304")
	assert.Contains(t, metrics, `ledger_http_view_answers_total{cache="miss",view="backlog"} 3`, "open, all, and open after the decision")

	csv := f.do(call{path: path + "?format=csv"})
	require.Equal(t, 200, csv.status)
	assert.Empty(t, csv.header.Get("ETag"), "CSV is encoded per request")
	asOf := f.do(call{path: path + "?asOf=2026-03-01"})
	require.Equal(t, 200, asOf.status, "%s", asOf.body)
	assert.Empty(t, asOf.header.Get("ETag"), "an answer as of a date is not kept")
}
