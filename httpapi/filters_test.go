package httpapi_test

import (
	"html"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestUnknownFilterValuesRefused: a filter value a view does not take is
// refused with 400 naming the parameter and the values it takes, by the
// API and by the dashboard alike; nothing answers as if it were not
// there (?outsideAuthority=1 used to show every decision).
func TestUnknownFilterValuesRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	for _, tc := range []struct {
		name, view, query, field, values string
	}{
		{"ErrOutsideAuthority", "decisions", "outsideAuthority=1", "outsideAuthority", "true, false"},
		{"ErrOverrides", "decisions", "overrides=yes", "overrides", "true, false"},
		{"ErrRole", "decisions", "role=boss", "role", "pm, po, stakeholder, team"},
		{"ErrReason", "decisions", "reason=boring", "reason", "out-of-scope, low-value, duplicate"},
		{"ErrType", "decisions", "type=ranked&type=promoted", "type", "rejected"},
		{"ErrBacklogStatus", "backlog", "status=closed", "status", "open, all, new, in-progress, delivered, removed"},
		{"ErrRequestStatus", "requests", "status=open", "status", "pending, accepted, rejected, deferred, withdrawn"},
		{"ErrRequestReason", "requests", "reason=boring", "reason", "out-of-scope, low-value"},
		{"ErrLevel", "compare", "plannedAsOf=2026-04-01&level=epic", "level", "roadmap, item"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.do(call{path: "/api/v1/products/checkout/" + tc.view + "?" + tc.query})
			assert.Equal(t, 400, a.status, "%s", a.body)
			e := a.json(t)["error"].(map[string]any)
			assert.Equal(t, tc.field, e["field"])
			assert.Equal(t, "malformed", e["kind"])
			assert.Contains(t, e["message"], tc.values)

			page := f.do(call{path: "/p/checkout/" + tc.view + "?" + tc.query})
			assert.Equal(t, 400, page.status, "the dashboard refuses it too")
			assert.Contains(t, html.UnescapeString(string(page.body)), tc.values)
		})
	}
	// An unknown parameter on a page is refused as on the API; an empty one
	// (a form's "any") is no filter.
	assert.Equal(t, 400, f.do(call{path: "/p/checkout/decisions?outsideauthority=true"}).status)
	assert.Equal(t, 200, f.do(call{path: "/p/checkout/decisions?role=&type=&outsideAuthority=true"}).status)
	assert.Equal(t, 200, f.do(call{path: "/p/checkout/compare?asOf=2026-11-01"}).status, "the header's date is compare's T1")
}
