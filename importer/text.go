package importer

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/decisionledger/ledger/domain"
)

// Clean removes what the ledger refuses in text: control characters
// (NUL, escapes), zero-width and bidirectional controls, a byte-order
// mark; it keeps newlines and tabs, turns CRLF into LF, replaces invalid
// UTF-8 and trims. Non-ASCII text survives intact.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r':
			b.WriteRune('\n')
		case domain.IsControl(r), r == 0x200c, r == 0x200d, r == 0x2060:
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// Title cleans s to one line within domain.MaxTitleLen runes. A longer
// title is cut, and note says so (for the item's detail); note is empty
// otherwise.
func Title(s string) (title, note string) {
	s = strings.Join(strings.Fields(Clean(s)), " ")
	if n := utf8.RuneCountInString(s); n > domain.MaxTitleLen {
		r := []rune(s)
		return strings.TrimSpace(string(r[:domain.MaxTitleLen-1])) + "…", fmt.Sprintf("[title cut from %d characters: %s]", n, s)
	}
	return s, ""
}

// Text cleans s and cuts it to max runes, ending a cut text with a note.
func Text(s string, max int) string {
	s = Clean(s)
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	const note = " … [cut by the import]"
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-utf8.RuneCountInString(note)])) + note
}
