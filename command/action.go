package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"

	"github.com/decisionledger/ledger/domain"
)

// Request is one decision as every edge sends it: the CLI builds it from
// its flags, the NATS service and the HTTP API read it as JSON. Args holds
// the action's own fields, named like the CLI's long flags
// ({"id":"BNPL-3","top":true,"why":"..."}).
type Request struct {
	// Action names the decision: "item.rank", "request.reject", ... (see
	// Actions).
	Action string `json:"action"`
	// Product the decision is about. For product.create it may instead be
	// given as args.id.
	Product string `json:"product,omitempty"`
	// Actor is who decides.
	Actor string `json:"actor,omitempty"`
	// CommandID makes the decision idempotent: a retry with the same id is
	// recorded once. Empty means a fresh id.
	CommandID string `json:"commandId,omitempty"`
	// At is when the decision was taken: RFC 3339, or YYYY-MM-DD for
	// midnight UTC. Empty means now.
	At string `json:"at,omitempty"`
	// Args are the action's fields.
	Args json.RawMessage `json:"args,omitempty"`
	// RelayedBy is who relays the decision for Actor, as the edge that
	// authenticated the caller found it (access.Act): never read from a
	// request's JSON, which names only the actor.
	RelayedBy string `json:"-"`
}

// NewID returns a fresh command id. An edge that must be able to tell the
// user which id to retry with (the CLI, when the service does not answer)
// assigns one itself before sending.
func NewID() string { return ulid.Make().String() }

// MaxCommandIDLen bounds a command id, in bytes.
const MaxCommandIDLen = 128

// Decode turns a request into the domain command it asks for. Its errors
// are *domain.Error values: KindMalformed with the field at fault for what
// cannot be read (an unknown action or field, a value of the wrong type),
// KindInvalid for a value that is readable but wrong (a time that is no
// time). Rules about the decision itself are checked later, by Decide.
func Decode(r Request) (domain.Command, error) {
	spec, ok := actions[r.Action]
	if !ok {
		if r.Action == "" {
			return domain.Command{}, domain.Malformed("action", "action is required: one of %s", strings.Join(Actions(), ", "))
		}
		return domain.Command{}, domain.Malformed("action", "unknown action %q: one of %s", r.Action, strings.Join(Actions(), ", "))
	}
	args := spec.args()
	if err := decodeStrict(r.Args, args); err != nil {
		return domain.Command{}, err
	}
	c := domain.Command{ID: r.CommandID, Product: r.Product, Actor: r.Actor, RelayedBy: r.RelayedBy}
	if c.ID == "" {
		c.ID = NewID()
	} else if err := checkCommandID(c.ID); err != nil {
		return domain.Command{}, err
	}
	if r.At != "" {
		at, err := ParseTime("at", r.At)
		if err != nil {
			return domain.Command{}, err
		}
		c.At = at
	}
	if err := args.decode(&c); err != nil {
		return domain.Command{}, err
	}
	return c, nil
}

// Encode is Decode's inverse: the request that asks for c. Clients that
// hold a domain.Command (the demo script, tests) use it to send c to a
// service.
func Encode(c domain.Command) (Request, error) {
	r := Request{Product: c.Product, Actor: c.Actor, CommandID: c.ID}
	if !c.At.IsZero() {
		r.At = c.At.UTC().Format(time.RFC3339Nano)
	}
	name, args := encodeAction(c)
	if name == "" {
		return Request{}, fmt.Errorf("cannot encode action %T", c.Action)
	}
	r.Action = name
	b, err := json.Marshal(args)
	if err != nil {
		return Request{}, err
	}
	r.Args = b
	return r, nil
}

// Actions lists the action names, sorted.
func Actions() []string {
	out := make([]string, 0, len(actions))
	for name := range actions {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// ActionName returns the name of a domain action: its verb with a dot
// ("item rank" is "item.rank").
func ActionName(a domain.Action) string { return strings.ReplaceAll(a.Verb(), " ", ".") }

// ParseTime reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC).
// field names the input in the error.
//
// A year outside domain.MinYear to domain.MaxYear is refused: 0001-01-01
// is Go's zero time, which would otherwise mean "now".
func ParseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return time.Time{}, domain.Invalid(field, "%s %q is not a time: write 2026-04-01 or 2026-04-01T14:30:00Z", field, s)
		}
	}
	if y := t.UTC().Year(); y < domain.MinYear || y > domain.MaxYear {
		return time.Time{}, domain.Invalid(field, "%s %q is not a plausible time for a decision: give a year from %d to %d", field, s, domain.MinYear, domain.MaxYear)
	}
	return t.UTC(), nil
}

// CheckText refuses a request whose own fields are not UTF-8 text,
// naming the field. An edge that builds a request from text that is not
// JSON (the CLI's flags, a form) calls it before sending: encoding the
// request as JSON would turn each byte that is not UTF-8 into U+FFFD, so
// that two different command ids ("\xffA", "\xfeA") would become one
// and the second would be answered as a duplicate. Its args are checked
// by MarshalArgs.
func (r Request) CheckText() error {
	for _, f := range []struct{ name, v string }{{"action", r.Action}, {"product", r.Product}, {"actor", r.Actor},
		{"commandId", r.CommandID}, {"at", r.At}} {
		if !utf8.ValidString(f.v) {
			return domain.Invalid(f.name, "%s is not valid UTF-8: give it as UTF-8 text", f.name)
		}
	}
	return nil
}

// MarshalArgs encodes args built from text that is not JSON (flags, form
// fields), refusing a string that is not UTF-8 with a KindInvalid error
// naming its field: json.Marshal would write each such byte as U+FFFD,
// and record a value other than the one given.
func MarshalArgs(args map[string]any) (json.RawMessage, error) {
	for name, v := range args {
		var texts []string
		switch v := v.(type) {
		case string:
			texts = []string{v}
		case []string:
			texts = v
		}
		for _, s := range texts {
			if !utf8.ValidString(s) {
				return nil, domain.Invalid(name, "%s is not valid UTF-8: give it as UTF-8 text", name)
			}
		}
	}
	return json.Marshal(args)
}

func checkCommandID(id string) error {
	if len(id) > MaxCommandIDLen {
		return domain.Invalid("commandId", "commandId is %d bytes long: at most %d", len(id), MaxCommandIDLen)
	}
	if !utf8.ValidString(id) {
		return domain.Invalid("commandId", "commandId is not valid UTF-8")
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == ' ' {
			return domain.Invalid("commandId", "commandId %q contains a space or control character", id)
		}
	}
	return nil
}

// decodeStrict reads JSON args into v, refusing text that is not UTF-8,
// unknown fields (names match exactly, case included), values of the
// wrong type and trailing data, each naming the field.
func decodeStrict(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = json.RawMessage("{}")
	}
	if err := domain.CheckStrict(raw, v, "args", nil); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError("args", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return domain.Malformed("args", "args must be one JSON object, with nothing after it")
	}
	return nil
}

// jsonError turns encoding/json's errors into malformed-input errors that
// name the field.
func jsonError(where string, err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		// Embedded structs show in the path ("placement.top"): the
		// field is the last element, as the caller wrote it.
		field := typeErr.Field
		if i := strings.LastIndex(field, "."); i >= 0 {
			field = field[i+1:]
		}
		if field == "" {
			return domain.Malformed(where, "%s must be a JSON object, not %s", where, typeErr.Value)
		}
		return domain.Malformed(field, "%s must be %s, not %s", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return domain.Malformed(where, "%s is not valid JSON: %s (at byte %d)", where, syntaxErr.Error(), syntaxErr.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return domain.Malformed(name, "unknown field %q", name)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Malformed(where, "%s is not valid JSON: it ends early", where)
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return domain.Malformed(where, "%s: %s", where, err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "float64", "int", "int64", "uint64":
		return "a number"
	case "slice":
		return "a list"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "a " + k
}
