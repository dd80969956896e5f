package service

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/decisionledger/ledger/domain"
)

// codes maps every error kind to the service's error code: the one table
// of this edge.
var codes = map[domain.Kind]int{
	domain.KindMalformed:    400,
	domain.KindUnauthorized: 403,
	domain.KindNotFound:     404,
	domain.KindConflict:     409,
	domain.KindInvalid:      422,
	domain.KindState:        422,
	domain.KindOther:        500,
}

// Code returns the service error code for err.
func Code(err error) int {
	if c, ok := codes[domain.KindOf(err)]; ok {
		return c
	}
	return 500
}

// ErrorBody is the JSON body of an error reply.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: the code (as in the header), the
// domain's kind ("invalid", "wrong state", ...), the field at fault (a
// machine key such as "why"; empty when no one field is) and a message
// for people.
type ErrorDetail struct {
	Code    int    `json:"code"`
	Kind    string `json:"kind"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// body returns the error reply for err.
func body(err error) (code int, b []byte) {
	code = Code(err)
	b, _ = json.Marshal(ErrorBody{Error: ErrorDetail{Code: code, Kind: domain.KindOf(err).String(),
		Field: domain.FieldOf(err), Message: err.Error()}})
	return code, b
}

// kindsByName reverses Kind.String, for clients.
var kindsByName = func() map[string]domain.Kind {
	m := map[string]domain.Kind{}
	for k := range codes {
		m[k.String()] = k
	}
	return m
}()

// kindsByCode is the kind a client assumes when a reply names none.
var kindsByCode = map[int]domain.Kind{400: domain.KindMalformed, 403: domain.KindUnauthorized,
	404: domain.KindNotFound, 409: domain.KindConflict, 422: domain.KindInvalid}

// decodeError rebuilds the domain error of an error reply, so that a
// client of the service sees the same kinds, fields and messages as a
// caller of the core.
func decodeError(codeHeader, description string, data []byte) error {
	var b ErrorBody
	if err := json.Unmarshal(data, &b); err != nil || b.Error.Message == "" {
		code, _ := strconv.Atoi(codeHeader)
		return &domain.Error{Kind: kindsByCode[code], Msg: "ledger service: " + description}
	}
	kind, ok := kindsByName[b.Error.Kind]
	if !ok {
		kind = kindsByCode[b.Error.Code]
	}
	if kind == domain.KindOther {
		return errors.New(b.Error.Message)
	}
	return &domain.Error{Kind: kind, Field: b.Error.Field, Msg: b.Error.Message}
}
