package domain

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeStrict reads one JSON object from data into v as every edge reads
// outside input: bytes that are not UTF-8, an unknown field (a field
// name is matched exactly, case included), a value of the wrong type or
// data after the object is a KindMalformed error naming the field. what
// names the input in messages ("the request"); unknown, when not nil,
// words the error for an unknown field.
func DecodeStrict(data []byte, v any, what string, unknown func(name string) string) error {
	if err := CheckStrict(data, v, what, unknown); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return Malformed(typeErr.Field, "%s must be a %s, not %s", typeErr.Field, typeErr.Type.Kind(), typeErr.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			msg := "unknown field " + strconv.Quote(name)
			if unknown != nil {
				msg = unknown(name)
			}
			return Malformed(name, "%s", msg)
		}
		return Malformed("", "%s is not a JSON object: %s", what, err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Malformed("", "%s must be one JSON object, with nothing after it", what)
	}
	return nil
}

// CheckStrict refuses, in JSON data meant for v, what encoding/json reads
// without a word but must not be believed:
//
//   - text that is not UTF-8, or a \u escape of half a surrogate pair:
//     encoding/json reads each as U+FFFD, so that two different inputs
//     ("\xffA" and "\xfeA" as command ids) become one;
//   - a field name that names a field of v only when case is ignored
//     ("ACTION", "Top"): encoding/json matches names case-insensitively,
//     so a strict decoder would take a name it does not declare.
//
// Both are KindMalformed errors naming the field at fault, worded as
// DecodeStrict words an unknown field (unknown may be nil). A value of
// json.RawMessage is checked for UTF-8 only: whoever decodes it checks
// its names. Data that is not JSON is left to the decoder: CheckStrict
// returns nil for it.
func CheckStrict(data []byte, v any, what string, unknown func(name string) string) error {
	var t reflect.Type
	if v != nil {
		t = reflect.TypeOf(v)
	}
	w := strictWalker{data: data, what: what, unknown: unknown}
	w.value(t, "")
	if w.err != nil {
		return w.err
	}
	if !w.syntax && !utf8.Valid(data) {
		// Outside any string (which a decoder refuses anyway).
		return Malformed("", "%s is not valid UTF-8 text (at byte %d): send it as UTF-8", what, invalidAt(data))
	}
	return nil
}

// strictWalker walks JSON against a Go type. It stops at the first
// problem (err) or at anything it cannot read (syntax), which it leaves
// to encoding/json to name.
type strictWalker struct {
	data    []byte
	i       int
	what    string
	unknown func(string) string
	err     error
	syntax  bool
}

func (w *strictWalker) stopped() bool { return w.err != nil || w.syntax }

func (w *strictWalker) space() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\r', '\n':
			w.i++
		default:
			return
		}
	}
}

// value walks one JSON value meant for a value of type t (nil: anything,
// unchecked); field names the innermost field it is in.
func (w *strictWalker) value(t reflect.Type, field string) {
	w.space()
	if w.i >= len(w.data) {
		w.syntax = true
		return
	}
	t = strictTarget(t)
	switch w.data[w.i] {
	case '{':
		w.object(t, field)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		w.i++
		w.space()
		if w.i < len(w.data) && w.data[w.i] == ']' {
			w.i++
			return
		}
		for !w.stopped() {
			w.value(elem, field)
			if w.stopped() || !w.next(']') {
				return
			}
		}
	case '"':
		w.str(field, false)
	default:
		for w.i < len(w.data) {
			switch w.data[w.i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return
			}
			w.i++
		}
	}
}

// next reads the comma before another element (true) or the closing
// delimiter (false).
func (w *strictWalker) next(closing byte) bool {
	w.space()
	if w.i >= len(w.data) {
		w.syntax = true
		return false
	}
	switch w.data[w.i] {
	case ',':
		w.i++
		return true
	case closing:
		w.i++
		return false
	}
	w.syntax = true
	return false
}

func (w *strictWalker) object(t reflect.Type, field string) {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = strictFields(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	w.i++
	w.space()
	if w.i < len(w.data) && w.data[w.i] == '}' {
		w.i++
		return
	}
	for !w.stopped() {
		w.space()
		if w.i >= len(w.data) || w.data[w.i] != '"' {
			w.syntax = true
			return
		}
		name := w.str(field, true)
		if w.stopped() {
			return
		}
		ft := elem
		if fields != nil {
			var ok bool
			if ft, ok = fields[name]; !ok {
				if want := strictFold(fields, name); want != "" {
					msg := "unknown field " + strconv.Quote(name)
					if w.unknown != nil {
						msg = w.unknown(name)
					}
					w.err = Malformed(name, "%s (did you mean %q? names are matched exactly)", msg, want)
					return
				}
				// Unknown whatever the case: the decoder names it.
			}
		}
		w.space()
		if w.i >= len(w.data) || w.data[w.i] != ':' {
			w.syntax = true
			return
		}
		w.i++
		w.value(ft, name)
		if w.stopped() || !w.next('}') {
			return
		}
	}
}

// str reads a string at w.i, refusing bytes that are not UTF-8 and
// escapes of lone surrogates; it returns the string's value when key.
func (w *strictWalker) str(field string, key bool) string {
	start := w.i
	w.i++
	plain := true
	for w.i < len(w.data) {
		c := w.data[w.i]
		switch {
		case c == '"':
			w.i++
			if !key {
				return ""
			}
			if plain {
				return string(w.data[start+1 : w.i-1])
			}
			var s string
			if json.Unmarshal(w.data[start:w.i], &s) != nil {
				w.syntax = true
			}
			return s
		case c == '\\':
			plain = false
			if w.i+1 >= len(w.data) {
				w.syntax = true
				return ""
			}
			if w.data[w.i+1] != 'u' {
				w.i += 2
				continue
			}
			r, ok := hex4(w.data, w.i+2)
			if !ok {
				w.syntax = true
				return ""
			}
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(0), false
				if w.i+12 <= len(w.data) && w.data[w.i+6] == '\\' && w.data[w.i+7] == 'u' {
					r2, ok2 = hex4(w.data, w.i+8)
				}
				if !ok2 || utf16.DecodeRune(r, r2) == utf8.RuneError {
					w.err = w.notText(field, key, fmt.Sprintf("holds %s, half of a UTF-16 surrogate pair, which is no character", w.data[w.i:w.i+6]))
					return ""
				}
				w.i += 12
				continue
			}
			w.i += 6
		case c < utf8.RuneSelf:
			w.i++
		default:
			r, size := utf8.DecodeRune(w.data[w.i:])
			if r == utf8.RuneError && size == 1 {
				w.err = w.notText(field, key, fmt.Sprintf("is not valid UTF-8 (byte 0x%02x at offset %d)", c, w.i))
				return ""
			}
			w.i += size
		}
	}
	w.syntax = true
	return ""
}

// notText words a string that is no text: about the field it is the
// value of, or about the whole input when it is a name or in no field.
func (w *strictWalker) notText(field string, key bool, what string) error {
	fix := "send text as UTF-8: each such byte would be read as U+FFFD, and different values as one"
	switch {
	case key && field != "":
		return Malformed(field, "a field name in %s %s: %s", field, what, fix)
	case key:
		return Malformed("", "a field name in %s %s: %s", w.what, what, fix)
	case field != "":
		return Malformed(field, "%s %s: %s", field, what, fix)
	}
	return Malformed("", "%s %s: %s", w.what, what, fix)
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	return rune(n), err == nil
}

// invalidAt returns the offset of the first byte of b that is not UTF-8.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// strictTarget returns the type whose shape a JSON value is checked
// against: t without pointers, or nil when the value decodes itself (a
// json.RawMessage, an Unmarshaler) or may be anything (an interface).
func strictTarget(t reflect.Type) reflect.Type {
	for t != nil {
		if t == rawMessageType || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) ||
			t.Implements(textType) || reflect.PointerTo(t).Implements(textType) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

var strictFieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// strictFields returns the JSON names of a struct's fields, as
// encoding/json finds them (embedded structs' fields promoted, "-"
// left out), with their types.
func strictFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := strictFieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	addStrictFields(m, t, 0)
	strictFieldCache.Store(t, m)
	return m
}

func addStrictFields(m map[string]reflect.Type, t reflect.Type, depth int) {
	if depth > 8 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				inner := map[string]reflect.Type{}
				addStrictFields(inner, ft, depth+1)
				for k, v := range inner {
					if _, ok := m[k]; !ok {
						m[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
}

// strictFold returns the declared name that name matches when case is
// ignored, or "".
func strictFold(fields map[string]reflect.Type, name string) string {
	var found string
	for k := range fields {
		if strings.EqualFold(k, name) && (found == "" || k < found) {
			found = k
		}
	}
	return found
}
