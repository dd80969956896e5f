package service_test

import (
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
)

// TestOverviewQuarantineAndMetricsOverNATS asks the three views of the
// running figures over NATS: from the live projections now, from the
// stream as of a date.
func TestOverviewQuarantineAndMetricsOverNATS(t *testing.T) {
	s := serve(t, true)
	nc := client(t, s.url)

	msg := request(t, nc, "ledgerapi.v1.view.overview", `{"product":"checkout"}`)
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var ov query.Overview
	require.NoError(t, json.Unmarshal(msg.Data, &ov))
	assert.Zero(t, ov.Replayed, "now comes from the live projections")
	assert.Equal(t, 16, ov.Requests)
	assert.NotEmpty(t, ov.MedianWait)
	assert.Len(t, ov.Latest, query.LatestDecisions)
	assert.NotEmpty(t, ov.Churn)

	msg = request(t, nc, "ledgerapi.v1.view.overview", `{"product":"checkout","asOf":"2026-01-06"}`)
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var past query.Overview
	require.NoError(t, json.Unmarshal(msg.Data, &past))
	assert.Equal(t, "2026-01-06T23:59:59.999999999Z", past.AsOf)
	assert.Zero(t, past.Requests, "no request was submitted by then")
	assert.Less(t, past.Position, ov.Position)

	msg = request(t, nc, "ledgerapi.v1.view.quarantine", `{"product":"checkout"}`)
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var qv query.Quarantine
	require.NoError(t, json.Unmarshal(msg.Data, &qv))
	assert.Zero(t, qv.Quarantined)
	assert.NotNil(t, qv.Entries)

	msg = request(t, nc, "ledgerapi.v1.view.metrics", `{"product":"checkout"}`)
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var mv query.Metrics
	require.NoError(t, json.Unmarshal(msg.Data, &mv))
	assert.Equal(t, 1, mv.Types["ProductCreated"])
	assert.Equal(t, ov.Decided, mv.Waits.Count)

	msg = request(t, nc, "ledgerapi.v1.view.metrics", `{"product":"checkout","status":"all"}`)
	assert.Equal(t, "400", msg.Header.Get(micro.ErrorCodeHeader))
}
