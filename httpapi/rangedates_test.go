package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
)

// TestFromToReadTheSameDates: the API's decisions and diff read from and
// to as the same range [from, to), and the OpenAPI document says so.
func TestFromToReadTheSameDates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	for _, r := range [][2]string{{"2026-01-08", "2026-01-09"}, {"2026-05-01", "2026-06-01"}} {
		q := "?from=" + r[0] + "&to=" + r[1]
		a := f.do(call{path: "/api/v1/products/checkout/decisions" + q})
		require.Equal(t, 200, a.status, "%s", a.body)
		var d query.Decisions
		require.NoError(t, json.Unmarshal(a.body, &d))
		a = f.do(call{path: "/api/v1/products/checkout/diff" + q})
		require.Equal(t, 200, a.status, "%s", a.body)
		var ch query.Changes
		require.NoError(t, json.Unmarshal(a.body, &ch))
		var want, got []uint64
		for s := ch.From.Seq + 1; s <= ch.To.Seq; s++ {
			want = append(want, s)
		}
		for _, row := range d.Decisions {
			got = append(got, row.Seq)
		}
		require.NotEmpty(t, got)
		assert.Equal(t, want, got, "[%s, %s)", r[0], r[1])
	}
	doc := string(f.do(call{path: "/api/openapi.json"}).body)
	assert.Contains(t, doc, "start of the range [from, to), included: a date (midnight UTC at its start)")
	page := string(f.do(call{path: "/p/checkout/decisions"}).body)
	assert.Contains(t, page, "To (excluded)")
}
