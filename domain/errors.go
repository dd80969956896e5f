package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that the edges (CLI exit codes, HTTP
// statuses) can map it without parsing messages.
type Kind int

// The kinds of domain error.
const (
	// KindOther is an error the domain does not classify.
	KindOther Kind = iota
	// KindInvalid is input that breaks a validation rule.
	KindInvalid
	// KindUnauthorized is a decision by an actor without the needed role.
	KindUnauthorized
	// KindNotFound is a reference to a product, item or request that does not exist.
	KindNotFound
	// KindState is a transition the aggregate's current state forbids.
	KindState
	// KindConflict is a concurrent change: the aggregate moved on since it was read.
	KindConflict
	// KindMalformed is a request that cannot be read at all: bad JSON, an
	// unknown action or field, a value of the wrong type.
	KindMalformed
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindUnauthorized:
		return "unauthorized"
	case KindNotFound:
		return "not found"
	case KindState:
		return "wrong state"
	case KindConflict:
		return "conflict"
	case KindMalformed:
		return "malformed"
	}
	return "error"
}

// Error is a domain error: a kind and a message that says what was wrong
// and, where it helps, what to do.
type Error struct {
	Kind Kind
	// Field is the input field at fault, as a machine key that names the
	// JSON field of a command's args or a view's options ("why", "reason",
	// "title"); "" when no one field is.
	Field string
	Msg   string
	Err   error // optional cause
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrConflict) and friends match on kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Msg == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is; they match any *Error of the same kind.
var (
	ErrInvalid      = &Error{Kind: KindInvalid}
	ErrUnauthorized = &Error{Kind: KindUnauthorized}
	ErrNotFound     = &Error{Kind: KindNotFound}
	ErrState        = &Error{Kind: KindState}
	ErrConflict     = &Error{Kind: KindConflict}
	ErrMalformed    = &Error{Kind: KindMalformed}
)

// KindOf returns the kind of the first *Error in err's chain, or KindOther.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

func invalid(field, format string, args ...any) error {
	return &Error{Kind: KindInvalid, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func unauthorized(format string, args ...any) error {
	return &Error{Kind: KindUnauthorized, Msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &Error{Kind: KindNotFound, Msg: fmt.Sprintf(format, args...)}
}

func wrongState(format string, args ...any) error {
	return &Error{Kind: KindState, Msg: fmt.Sprintf(format, args...)}
}

// Invalid returns a KindInvalid error about field.
func Invalid(field, format string, args ...any) error {
	return invalid(field, format, args...)
}

// Malformed returns a KindMalformed error about field ("" when the whole
// request is unreadable).
func Malformed(field, format string, args ...any) error {
	return &Error{Kind: KindMalformed, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// FieldOf returns the field of the first *Error in err's chain, or "".
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Conflict returns a KindConflict error; the event store uses it for
// JetStream's wrong-last-sequence answers.
func Conflict(format string, args ...any) error {
	return &Error{Kind: KindConflict, Msg: fmt.Sprintf(format, args...)}
}
