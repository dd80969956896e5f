package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// textWriter is stdout for people: text that came from the ledger (a
// title, a why) is printed with its control characters made visible, so
// that no event, forged or not, can move the cursor, clear the screen or
// rewrite what the terminal shows. JSON output is written as it is
// (encoding/json escapes control characters itself).
type textWriter struct {
	w   io.Writer
	raw *bool // JSON mode: write unchanged
}

func (t *textWriter) Write(p []byte) (int, error) {
	if *t.raw || !needsEscape(p) {
		return t.w.Write(p)
	}
	if _, err := io.WriteString(t.w, escapeControls(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// file returns the terminal or file behind w, if there is one.
func file(w io.Writer) (*os.File, bool) {
	if t, ok := w.(*textWriter); ok {
		w = t.w
	}
	f, ok := w.(*os.File)
	return f, ok
}

func needsEscape(p []byte) bool {
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		if isControl(r) {
			return true
		}
		i += n
	}
	return false
}

// isControl is a C0 or C1 control character or DEL other than a newline
// or tab, or a Unicode bidirectional override.
func isControl(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// escapeControls writes every control character as \xNN or \u{NNNN}.
func escapeControls(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !isControl(r) {
			b.WriteRune(r)
			continue
		}
		if r < 0x100 {
			fmt.Fprintf(&b, `\x%02x`, r)
		} else {
			fmt.Fprintf(&b, `\u{%04x}`, r)
		}
	}
	return b.String()
}
