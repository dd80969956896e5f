package httpapi

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/decisionledger/ledger/domain"
)

// The one table of this edge, kind by kind; the handler tests reach every
// status through real requests but for 409 and 500, which need a race or
// a broken store.
func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		kind   string
	}{
		{"Malformed", domain.Malformed("args", "bad"), 400, "malformed"},
		{"Unauthenticated", unauthenticated("no token"), 401, "unauthenticated"},
		{"Unauthorized", &domain.Error{Kind: domain.KindUnauthorized, Msg: "not the PO"}, 403, "unauthorized"},
		{"NotFound", &domain.Error{Kind: domain.KindNotFound, Msg: "no REQ-9"}, 404, "not found"},
		{"Conflict", domain.Conflict("item %q was changed", "PAY-1"), 409, "conflict"},
		{"ConflictWrapped", fmt.Errorf("busy: %w", domain.Conflict("busy")), 409, "conflict"},
		{"TooLarge", tooLarge(), 413, "too large"},
		{"Invalid", domain.Invalid("why", "why is required"), 422, "invalid"},
		{"State", &domain.Error{Kind: domain.KindState, Msg: "already decided"}, 422, "wrong state"},
		{"Other", errors.New("disk on fire"), 500, "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.status, Status(tc.err))
			b := errorBody(tc.err)
			assert.Equal(t, tc.status, b.Error.Code)
			assert.Equal(t, tc.kind, b.Error.Kind)
			assert.Equal(t, tc.err.Error(), b.Error.Message)
		})
	}
}

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:8080": true, "localhost": true,
		"127.0.0.1": true, "evil.example:8080": false, "10.0.0.1:8080": false, "": false} {
		assert.Equal(t, want, loopbackHost(host), host)
	}
}
