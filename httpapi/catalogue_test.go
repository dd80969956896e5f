package httpapi_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/domain/domaintest"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
)

// TestEveryTypeThroughTheEdges runs the history of every event type
// through what the HTTP edge derives from the event catalogue: /metrics
// counts every type and times every decision the PO took on a request,
// and the decisions page offers every decision's short name as a filter.
func TestEveryTypeThroughTheEdges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	decided := regexp.MustCompile(`(?m)^ledger_request_decision_seconds_count (\d+)$`)
	count := func(text string) int {
		m := decided.FindStringSubmatch(text)
		if m == nil {
			return -1
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	var before int
	require.Eventually(t, func() bool {
		text := string(f.do(call{path: "/metrics"}).body)
		before = count(text)
		return strings.Contains(text, `ledger_events_total{product="checkout",type="RequestSubmitted"} 16`)
	}, 10*time.Second, 20*time.Millisecond, "the demo is counted")

	evs := eventstoretest.SeedEveryType(t, f.s)
	want := map[string]int{}
	poDecisions := 0
	for _, e := range evs {
		want[e.Type]++
		if spec, _ := domain.SpecOf(e.Type); spec.Kind == domain.KindRequest && spec.Role == domain.RolePO {
			poDecisions++
		}
	}
	require.Equal(t, 4, poDecisions, "two acceptances, a rejection and a deferral")
	var text string
	require.Eventually(t, func() bool {
		text = string(f.do(call{path: "/metrics"}).body)
		return strings.Contains(text, fmt.Sprintf(`ledger_events_total{product=%q,type="RoleRevoked"} %d`, domaintest.Product, want["RoleRevoked"])) &&
			count(text) == before+poDecisions
	}, 10*time.Second, 20*time.Millisecond, "the new product is counted to its last event")
	for _, typ := range domain.EventTypes() {
		assert.Contains(t, text, fmt.Sprintf(`ledger_events_total{product=%q,type=%q} %d`, domaintest.Product, typ, want[typ]))
	}

	page := string(f.do(call{path: "/p/" + domaintest.Product + "/decisions"}).body)
	for _, s := range domain.Events() {
		switch s.Category {
		case domain.CategoryRoadmap, domain.CategoryBacklog, domain.CategoryRequest, domain.CategoryDelivery:
			assert.Contains(t, page, fmt.Sprintf(`<option value=%q>`, s.Short), "a filter on %s", s.Type)
		}
	}
}
