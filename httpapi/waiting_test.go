package httpapi_test

import (
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testClock is a clock a test moves on.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestRequestsWaiting: the API's requests answer gives a pending request
// its waiting, counted to the minute of the query's clock, and keeps its
// encoding only for that minute: within the minute the same bytes and
// ETag, a minute later the new age.
func TestRequestsWaiting(t *testing.T) {
	clock := &testClock{t: now.Add(2 * time.Hour)}
	f := newFixture(t, options{clock: clock.now})
	a := f.post("sally", `{"action":"request.submit","args":{"id":"REQ-W","title":"Pay by bank transfer","why":"Asked by three customers"}}`)
	require.Equal(t, 201, a.status, "%s", a.body)

	const path = "/api/v1/products/checkout/requests?status=pending"
	first := f.do(call{path: path})
	require.Equal(t, 200, first.status, "%s", first.body)
	body := first.json(t)
	assert.Equal(t, "2026-11-27T14:00:00Z", body["waitingAt"])
	reqs := body["requests"].([]any)
	require.Len(t, reqs, 1)
	r := reqs[0].(map[string]any)
	assert.Equal(t, "2h", r["waiting"])
	assert.Equal(t, float64(7200), r["waitingSeconds"])

	clock.add(30 * time.Second)
	same := f.do(call{path: path})
	assert.Equal(t, first.header.Get("ETag"), same.header.Get("ETag"), "the same minute: the kept answer")
	assert.Equal(t, first.body, same.body)

	clock.add(time.Minute)
	later := f.do(call{path: path, header: map[string]string{"If-None-Match": first.header.Get("ETag")}})
	require.Equal(t, 200, later.status, "a minute on, the held answer is stale")
	r = later.json(t)["requests"].([]any)[0].(map[string]any)
	assert.Equal(t, float64(7260), r["waitingSeconds"])

	all := f.do(call{path: "/api/v1/products/checkout/requests"}).json(t)
	for _, x := range all["requests"].([]any) {
		r := x.(map[string]any)
		if r["status"] != "pending" {
			assert.NotContains(t, r, "waiting", "%s is %s: it waits no more", r["id"], r["status"])
		}
	}
}

// TestRequestsPageWaiting: the dashboard's requests page shows how long
// each pending request has waited, and sorts by it from the column's
// header, as of any date too; an order it does not know is refused.
func TestRequestsPageWaiting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	page := func(path string) string {
		t.Helper()
		a := f.do(call{path: path})
		require.Equal(t, 200, a.status, "%s", a.body)
		return string(a.body)
	}
	rows := regexp.MustCompile(`<tr id="req-([^"]+)">`)
	order := func(body string) []string {
		var ids []string
		for _, m := range rows.FindAllStringSubmatch(body, -1) {
			ids = append(ids, m[1])
		}
		return ids
	}

	// As of 21 May: REQ-13 (18 May) and REQ-14 (20 May) wait.
	byDate := page("/p/checkout/requests?asOf=2026-05-21")
	assert.Contains(t, byDate, `<td class="span waiting">3d 12h</td>`)
	assert.Contains(t, byDate, `<td class="span waiting">1d 7h</td>`)
	assert.Contains(t, byDate, `href="/p/checkout/requests?asOf=2026-05-21&amp;sort=waiting"`, "the column's header sorts by it")
	ids := order(byDate)
	require.GreaterOrEqual(t, len(ids), 14)
	assert.Equal(t, "REQ-1", ids[0], "oldest first by default")

	sorted := page("/p/checkout/requests?asOf=2026-05-21&sort=waiting")
	assert.Equal(t, []string{"REQ-13", "REQ-14"}, order(sorted)[:2], "the longest waiting first")
	assert.Contains(t, sorted, `aria-sort="descending"`)
	assert.Contains(t, sorted, `<input type="hidden" name="sort" value="waiting">`, "filtering keeps the order")

	bad := f.do(call{path: "/p/checkout/requests?sort=age"})
	assert.Equal(t, 422, bad.status)
	assert.Contains(t, string(bad.body), "sort &#34;age&#34; is not one of submitted, waiting")
}
