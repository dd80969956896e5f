package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	require.Equal(t, 201, f.post("sally", `{"action":"request.submit","args":{"id":"REQ-M","title":"Metrics","why":"Count me"}}`).status)
	require.Equal(t, 403, f.post("sally", `{"action":"request.reject","args":{"id":"REQ-M","reason":"low-value","why":"No"}}`).status)
	require.Equal(t, 422, f.post("nina", `{"action":"request.reject","args":{"id":"REQ-M","reason":"low-value"}}`).status)

	var text string
	require.Eventually(t, func() bool {
		a := f.do(call{path: "/metrics"})
		text = string(a.body)
		// The demo holds 16 requests and one more was submitted here.
		return a.status == 200 && strings.Contains(text, `ledger_events_total{product="checkout",type="RequestSubmitted"} 17`)
	}, 5*time.Second, 20*time.Millisecond, "events are counted from the stream")
	for _, want := range []string{
		`ledger_events_total{product="checkout",type="ProductCreated"} 1`,
		`ledger_decisions_refused_total{kind="unauthorized"} 1`,
		`ledger_decisions_refused_total{kind="invalid"} 1`,
		`ledger_conflicts_total 0`,
		`ledger_projection_lag_events{product="checkout"}`,
		`ledger_request_decision_seconds_bucket{le="86400"}`,
		`ledger_request_decision_seconds_count `,
		`ledger_http_request_duration_seconds_bucket{code="201",route="POST /api/v1/products/{p}/commands",le=`,
		`ledger_http_request_duration_seconds_count{code="403",route="POST /api/v1/products/{p}/commands"} 1`,
		`go_goroutines`,
	} {
		assert.Contains(t, text, want)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := f.do(call{path: "/healthz"})
	assert.Equal(t, 200, a.status)
	assert.Equal(t, "ok\n", string(a.body))
	require.Eventually(t, func() bool { return f.do(call{path: "/readyz"}).status == 200 }, 5*time.Second, 20*time.Millisecond,
		"ready once the live projections caught up")
}
