package query

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSafeCell(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Formula", `=HYPERLINK("https://evil.example","x")`, `'=HYPERLINK("https://evil.example","x")`},
		{"Plus", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"Minus", "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"At", "@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"Tab", "\t=1+1", "'\t=1+1"},
		{"CarriageReturn", "\r=1+1", "'\r=1+1"},
		{"MinusAlone", "-", "'-"},
		{"PlusNumber", "+5", "'+5"},
		{"NegativeCellRef", "-A1", "'-A1"},
		{"NegativeInteger", "-3", "-3"},
		{"NegativeFraction", "-1.5", "-1.5"},
		{"NegativeExponent", "-2e-3", "-2e-3"},
		{"NegativeNumberThenText", "-3 days", "'-3 days"},
		{"Number", "1687.5", "1687.5"},
		{"Text", "Card form", "Card form"},
		{"FormulaLater", "a=1+1", "a=1+1"},
		{"Empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, SafeCell(tc.in))
		})
	}
}

// TestWriteCSVNeutralisesAndQuotes: every cell goes through SafeCell, and
// the result is still RFC 4180 that reads back to the neutralised cells.
func TestWriteCSVNeutralisesAndQuotes(t *testing.T) {
	var b bytes.Buffer
	rows := [][]string{{"1", `=HYPERLINK("https://evil.example","x")`, "-1.5"}, {"2", "line one\nline two", "@x"}}
	require.NoError(t, WriteCSV(&b, true, []string{"n", "title", "score"}, rows))
	assert.Contains(t, b.String(), `"'=HYPERLINK(""https://evil.example"",""x"")"`)
	assert.Contains(t, b.String(), "\r\n")
	back, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"n", "title", "score"}, {"1", `'=HYPERLINK("https://evil.example","x")`, "-1.5"}, {"2", "line one\nline two", "'@x"}}, back)
}
