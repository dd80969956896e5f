package domain_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

type strictInner struct {
	Top   bool   `json:"top,omitempty"`
	Above string `json:"above,omitempty"`
}

type strictTarget struct {
	Action   string             `json:"action"`
	ID       string             `json:"commandId,omitempty"`
	Args     json.RawMessage    `json:"args,omitempty"`
	Tags     []string           `json:"tags,omitempty"`
	Inputs   map[string]float64 `json:"inputs,omitempty"`
	Nested   *strictInner       `json:"nested,omitempty"`
	Ignored  string             `json:"-"`
	Untagged string
	strictInner
}

// TestDecodeStrictTakesOnlyWhatItDeclares: what encoding/json would read
// as something else (bytes that are not UTF-8 become U+FFFD, names match
// whatever their case) is refused, naming the field, and the rest is read
// as before.
func TestDecodeStrictTakesOnlyWhatItDeclares(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		field string // "" with msg "" means accepted
		msg   string
	}{
		{"OK", `{"action":"a","commandId":"x","top":true,"nested":{"above":"B"},"tags":["t"],"inputs":{"Reach":1},"Untagged":"u"}`, "", ""},
		{"OKUnicode", `{"action":"Zürich ✓ \ud83d\ude00 \u00e9"}`, "", ""},
		{"OKRawMessageNamesLeftToItsDecoder", `{"action":"a","args":{"ID":"x"}}`, "", ""},
		{"OKEscapedExactName", `{"\u0061ction":"a"}`, "", ""},
		{"ErrInvalidUTF8Value", "{\"action\":\"a\",\"commandId\":\"\xffA\"}", "commandId", "not valid UTF-8"},
		{"ErrInvalidUTF8InRawArgs", "{\"action\":\"a\",\"args\":{\"id\":\"\xfeA\"}}", "id", "not valid UTF-8"},
		{"ErrInvalidUTF8InList", "{\"tags\":[\"ok\",\"\xc3\"]}", "tags", "not valid UTF-8"},
		{"ErrInvalidUTF8Name", "{\"act\xffion\":\"a\"}", "", "a field name in the input"},
		{"ErrTruncatedRune", "{\"action\":\"\xe2\x82\"}", "action", "not valid UTF-8"},
		{"ErrLoneHighSurrogate", `{"commandId":"\ud800A"}`, "commandId", "half of a UTF-16 surrogate pair"},
		{"ErrLoneLowSurrogate", `{"commandId":"\udcffA"}`, "commandId", "half of a UTF-16 surrogate pair"},
		{"ErrTwoHighSurrogates", `{"commandId":"\ud800\ud800"}`, "commandId", "half of a UTF-16 surrogate pair"},
		{"ErrUpperCaseName", `{"ACTION":"item.rank"}`, "ACTION", `unknown field "ACTION" (did you mean "action"?`},
		{"ErrCaseOfPromotedField", `{"action":"a","Top":true}`, "Top", `did you mean "top"?`},
		{"ErrCaseInNestedStruct", `{"nested":{"ABOVE":"B"}}`, "ABOVE", `did you mean "above"?`},
		{"ErrLongS", "{\"tag\u017f\":[]}", "tag\u017f", `did you mean "tags"?`},
		{"ErrCaseOfUntagged", `{"untagged":"u"}`, "untagged", `did you mean "Untagged"?`},
		{"ErrUnknown", `{"colour":"red"}`, "colour", `unknown field "colour"`},
		{"ErrIgnoredField", `{"Ignored":"x"}`, "Ignored", `unknown field "Ignored"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v strictTarget
			err := domain.DecodeStrict([]byte(tc.data), &v, "the input", nil)
			if tc.field == "" && tc.msg == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, domain.KindMalformed, domain.KindOf(err), err.Error())
			assert.Equal(t, tc.field, domain.FieldOf(err), err.Error())
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// TestCheckStrictLeavesSyntaxToTheDecoder: JSON that does not parse is
// the decoder's to name, whatever it holds.
func TestCheckStrictLeavesSyntaxToTheDecoder(t *testing.T) {
	for name, data := range map[string]string{
		"Truncated":     `{"action":"a`,
		"NoColon":       `{"action" "a"}`,
		"BadEscape":     `{"action":"\u12"}`,
		"NotAnObject":   `[1,2`,
		"TrailingComma": `{"action":"a",}`,
	} {
		t.Run(name, func(t *testing.T) {
			var v strictTarget
			assert.NoError(t, domain.CheckStrict([]byte(data), &v, "the input", nil))
			err := domain.DecodeStrict([]byte(data), &v, "the input", nil)
			require.Error(t, err)
			assert.Equal(t, domain.KindMalformed, domain.KindOf(err))
		})
	}
}

// TestDecodeStrictWordsUnknownNamesAsAsked: the edge's own words for an
// unknown field apply to a name of the wrong case too.
func TestDecodeStrictWordsUnknownNamesAsAsked(t *testing.T) {
	var v strictTarget
	err := domain.DecodeStrict([]byte(`{"Action":"a"}`), &v, "the request", func(name string) string {
		return "unknown field " + name + ": a request has action"
	})
	require.Error(t, err)
	assert.Equal(t, `unknown field Action: a request has action (did you mean "action"? names are matched exactly)`, err.Error())
}
