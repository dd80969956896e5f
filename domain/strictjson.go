package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// DecodeStrict reads one JSON object from data into v as every edge reads
// outside input: an unknown field, a value of the wrong type or data after
// the object is a KindMalformed error naming the field. what names the
// input in messages ("the request"); unknown, when not nil, words the
// error for an unknown field.
func DecodeStrict(data []byte, v any, what string, unknown func(name string) string) error {
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
