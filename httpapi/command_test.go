package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommands(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	const path = "/api/v1/products/checkout/commands"
	json := map[string]string{"Content-Type": "application/json"}
	as := func(actor string) map[string]string {
		return map[string]string{"Content-Type": "application/json", "X-Ledger-Actor": actor}
	}
	for _, tc := range []struct {
		name   string
		header map[string]string
		body   string
		status int
		field  string
	}{
		{"OK", as("sally"), `{"action":"request.submit","args":{"id":"REQ-H1","title":"Apple Pay Later","why":"Asked by 3 shops"},"commandId":"h-1","at":"2026-11-27"}`, 201, ""},
		{"Duplicate", as("sally"), `{"action":"request.submit","args":{"id":"REQ-H1","title":"Apple Pay Later","why":"Asked by 3 shops"},"commandId":"h-1","at":"2026-11-27"}`, 200, ""},
		{"ErrNotJSON", map[string]string{"Content-Type": "text/plain", "X-Ledger-Actor": "sally"}, `{"action":"request.submit"}`, 400, "Content-Type"},
		{"ErrEmpty", as("sally"), ` `, 400, ""},
		{"ErrTrailing", as("sally"), `{"action":"request.submit"} {}`, 400, ""},
		{"ErrUnknownField", as("sally"), `{"action":"request.submit","colour":"red"}`, 400, "colour"},
		{"ErrActorInBody", as("sally"), `{"action":"request.submit","actor":"nina"}`, 400, "actor"},
		{"ErrWrongType", as("sally"), `{"action":42}`, 400, "action"},
		{"ErrUnknownAction", as("sally"), `{"action":"item.paint"}`, 400, "action"},
		{"ErrArgWrongType", as("sally"), `{"action":"request.submit","args":{"id":7}}`, 400, "id"},
		{"ErrCommandIDNotUTF8", as("sally"), "{\"action\":\"request.submit\",\"args\":{\"id\":\"REQ-H5\",\"title\":\"x\",\"why\":\"y\"},\"commandId\":\"\xffA\"}", 400, "commandId"},
		{"ErrArgNotUTF8", as("sally"), "{\"action\":\"request.submit\",\"args\":{\"id\":\"REQ-H5\",\"title\":\"\xfe\",\"why\":\"y\"}}", 400, "title"},
		{"ErrFieldOfAnotherCase", as("sally"), `{"Action":"request.submit","args":{"id":"REQ-H5","title":"x","why":"y"}}`, 400, "Action"},
		{"ErrArgOfAnotherCase", as("sally"), `{"action":"request.submit","args":{"ID":"REQ-H5","title":"x","why":"y"}}`, 400, "ID"},
		{"ErrNoActor", json, `{"action":"request.submit","args":{"id":"REQ-H2","title":"x","why":"y"}}`, 401, ""},
		{"ErrNotPO", as("sally"), `{"action":"item.rank","args":{"id":"BNPL-3","top":true,"why":"Mine first"}}`, 403, ""},
		{"ErrNoSuchRequest", as("nina"), `{"action":"request.reject","args":{"id":"REQ-NOPE","reason":"low-value","why":"No"}}`, 404, ""},
		{"ErrNoWhy", as("nina"), `{"action":"request.reject","args":{"id":"REQ-H1","reason":"low-value"}}`, 422, "why"},
		{"ErrBadTime", as("sally"), `{"action":"request.submit","args":{"id":"REQ-H3","title":"x","why":"y"},"at":"soon"}`, 422, "at"},
		{"ErrTooLarge", as("sally"), `{"action":"request.submit","args":{"id":"REQ-H4","title":"x","why":"` + strings.Repeat("y", 1<<20) + `"}}`, 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.h.LastSeq("checkout")
			a := f.do(call{method: http.MethodPost, path: path, body: tc.body, header: tc.header})
			require.Equal(t, tc.status, a.status, "body: %.300s", a.body)
			m := a.json(t)
			switch tc.status {
			case 201:
				assert.Equal(t, false, m["duplicate"])
				evs := m["events"].([]any)
				require.Len(t, evs, 1)
				e := evs[0].(map[string]any)
				assert.Equal(t, "RequestSubmitted", e["type"])
				assert.Equal(t, map[string]any{"id": "sally", "role": "stakeholder"}, e["actor"], "the caller is the actor")
				assert.Equal(t, "h-1", e["commandId"])
			case 200:
				assert.Equal(t, true, m["duplicate"])
				assert.Empty(t, m["events"])
				assert.Equal(t, before, f.h.LastSeq("checkout"), "a retry records nothing")
			default:
				assertError(t, m, tc.status, tc.field)
				assert.Equal(t, before, f.h.LastSeq("checkout"), "a refused request records nothing")
			}
		})
	}
}
