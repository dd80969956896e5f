package query

import (
	"encoding/csv"
	"io"
)

// WriteCSV writes a header and rows as RFC 4180 CSV (encoding/csv quotes
// a field with a comma, a quote, a line break or a leading space; crlf
// ends records with CRLF, as RFC 4180 and the HTTP API do), every cell
// through SafeCell. It is the one CSV writer: every CSV the ledger hands
// out (the HTTP API's ?format=csv, ledger decisions --csv) goes through it.
func WriteCSV(w io.Writer, crlf bool, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = crlf
	rec := make([]string, 0, len(header))
	write := func(r []string) error {
		rec = rec[:0]
		for _, c := range r {
			rec = append(rec, SafeCell(c))
		}
		return cw.Write(rec)
	}
	if err := write(header); err != nil {
		return err
	}
	for _, r := range rows {
		if err := write(r); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SafeCell neutralises a cell a spreadsheet would run as a formula (CSV
// injection, as OWASP describes it): one that begins with =, +, -, @, a
// tab or a carriage return gets a single quote in front, which spreadsheets
// show as text. Titles, whys and ids are outside input: "=HYPERLINK(...)"
// in a request's title must not become a link on the auditor's screen.
//
// A plain decimal number is left as it is, so that numeric columns stay
// numbers a spreadsheet can sum: a negative score or wait ("-3", "-1.5",
// "-2e-3") begins with "-" but is no formula. "Plain" means an optional
// minus, digits, an optional fraction and an optional exponent, nothing
// else; "-1+1", "+5" or "-A1" are not, and are neutralised wherever they
// appear. A text column that holds such a number is left as a number too,
// which runs nothing.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if plainNumber(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// plainNumber reports whether s is -?digits[.digits][(e|E)[+-]digits].
func plainNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}
