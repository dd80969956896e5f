package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
)

// TestShowRequestsWaiting: show requests gives each pending request its
// waiting since submission (to the as-of moment, or the clock for now)
// in its table and its JSON, sorts by it with --sort waiting, with serve
// running or not.
func TestShowRequestsWaiting(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")
	check := func() {
		t.Helper()
		out := c.ok("show", "requests", "--as-of", "2026-05-21", "--sort", "waiting")
		lines := strings.Split(out, "\n")
		var rows []string
		for _, l := range lines {
			if strings.HasPrefix(l, "REQ-") {
				rows = append(rows, l)
			}
		}
		require.GreaterOrEqual(t, len(rows), 2, out)
		assert.Regexp(t, `^REQ-13\s+sam\s+pending\s+-\s+-\s+3d 12h\s`, rows[0])
		assert.Regexp(t, `^REQ-14\s+fiona\s+pending\s+-\s+-\s+1d 7h\s`, rows[1])
		assert.Contains(t, out, "WAITING")
		assert.Contains(t, out, "waiting: since submission, to 2026-05-21 23:59 UTC")
		fitsIn(t, strings.Join(rows, "\n"), 100) // the table (the as-of line above it is longer, as before)

		var v query.Requests
		require.NoError(t, json.Unmarshal([]byte(c.ok("show", "requests", "--as-of", "2026-05-21", "--status", "pending", "--sort", "waiting", "--json")), &v))
		require.Len(t, v.Requests, 2)
		assert.Equal(t, "REQ-13", v.Requests[0].ID)
		assert.Equal(t, "3d 12h", v.Requests[0].Waiting)
		assert.Equal(t, float64((84*60+59)*60), *v.Requests[0].WaitingSeconds)
		assert.Equal(t, "2026-05-21T23:59:00Z", v.WaitingAt.Format("2006-01-02T15:04:05Z07:00"))

		def := c.ok("show", "requests", "--as-of", "2026-05-21")
		assert.True(t, strings.Contains(def, "\nREQ-1 "), def)
		assert.Less(t, strings.Index(def, "\nREQ-1 "), strings.Index(def, "\nREQ-13 "), "oldest first by default")
	}
	check()
	c.serveHTTP()
	check()

	o := c.run("show", "backlog", "--sort", "waiting")
	assert.Equal(t, exitUsage, o.code)
	assert.ErrorContains(t, o.err, `--sort applies to "show requests"`)
	o = c.run("show", "requests", "--sort", "age")
	assert.Equal(t, exitRefused, o.code)
	assert.ErrorContains(t, o.err, `sort "age" is not one of submitted, waiting (--sort)`)
}
