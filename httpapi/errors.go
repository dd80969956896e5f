package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/decisionledger/ledger/domain"
)

// codes maps every error kind to its HTTP status: the one table of this
// edge. The two statuses no domain kind has (401, 413) come from the
// edge's own errors below.
var codes = map[domain.Kind]int{
	domain.KindMalformed:    http.StatusBadRequest,
	domain.KindUnauthorized: http.StatusForbidden,
	domain.KindNotFound:     http.StatusNotFound,
	domain.KindConflict:     http.StatusConflict,
	domain.KindInvalid:      http.StatusUnprocessableEntity,
	domain.KindState:        http.StatusUnprocessableEntity,
	domain.KindOther:        http.StatusInternalServerError,
}

// edgeError is a refusal of the HTTP edge itself, before the core is
// called: no or a bad token (401), a body too large (413), too many event
// streams at once (503).
type edgeError struct {
	status int
	kind   string
	msg    string
}

func (e *edgeError) Error() string { return e.msg }

func unauthenticated(msg string) error {
	return &edgeError{status: http.StatusUnauthorized, kind: "unauthenticated", msg: msg}
}

func tooLarge() error {
	return &edgeError{status: http.StatusRequestEntityTooLarge, kind: "too large",
		msg: "the request body is larger than 1 MiB: send one decision per request"}
}

func tooManyStreams(n int) error {
	return &edgeError{status: http.StatusServiceUnavailable, kind: "unavailable",
		msg: fmt.Sprintf("the server streams events to %d clients already, its limit: retry later, or read the log instead", n)}
}

// Status returns the HTTP status for err.
func Status(err error) int {
	var ee *edgeError
	if errors.As(err, &ee) {
		return ee.status
	}
	if c, ok := codes[domain.KindOf(err)]; ok {
		return c
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of every error answer, the same as the NATS
// service's: {"error":{"code","kind","field","message"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: the status, the kind ("invalid",
// "unauthenticated", ...), the field at fault (empty when no one field
// is) and a message for people.
type ErrorDetail struct {
	Code    int    `json:"code"`
	Kind    string `json:"kind"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func errorBody(err error) ErrorBody {
	code := Status(err)
	kind := domain.KindOf(err).String()
	var ee *edgeError
	if errors.As(err, &ee) {
		kind = ee.kind
	}
	return ErrorBody{Error: ErrorDetail{Code: code, Kind: kind, Field: domain.FieldOf(err), Message: err.Error()}}
}

// writeError answers err as JSON; a server fault is logged, since the
// caller cannot fix it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	b := errorBody(err)
	if b.Error.Code >= 500 {
		s.logf("http %s %s: %v", r.Method, r.URL.Path, err)
	}
	if b.Error.Code == http.StatusUnauthorized {
		w.Header().Add("WWW-Authenticate", `Bearer realm="ledger"`)
	}
	writeJSON(w, b.Error.Code, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
