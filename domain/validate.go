package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on input, from the brief.
const (
	MaxIDLen    = 64
	MaxTitleLen = 200
	MaxTextLen  = 4000
	// MaxMetrics bounds the success metrics of a vision.
	MaxMetrics = 20
	// MaxEventBytes bounds one stored event: every text within its limit
	// fits with room to spare, and the stream (1 MiB messages) never
	// refuses what the rules accepted.
	MaxEventBytes = 64 << 10
	// MinYear and MaxYear bound a decision's business time: the zero time
	// or year 9999 are typing mistakes, not decisions.
	MinYear = 1970
	MaxYear = 2999
)

// ValidID reports whether s can be an id: it becomes a NATS subject
// token, so a dot, '*', '>' or space must never get through. It is
// ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$ (validate_test.go holds it to that),
// written out: the validating fold checks the ids of every event it
// reads, and the regular expression was 6% of folding a history.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// CheckID validates an id, naming the field in the error.
func CheckID(field, s string) error {
	if s == "" {
		return invalid(field, "%s is required", field)
	}
	if !ValidID(s) {
		return invalid(field, "%s %q is not a valid id: use 1-64 letters, digits, '-' or '_', starting with a letter or digit", field, s)
	}
	return nil
}

func checkOptionalID(field, s string) error {
	if s == "" {
		return nil
	}
	return CheckID(field, s)
}

func checkText(field, s string, required bool, max int) error {
	return checkChars(field, s, required, max, true)
}

// checkChars validates text: valid UTF-8, within max runes, and free of
// control characters (a terminal escape in a title would rewrite the
// screen of whoever reads the backlog); multiline text may keep newlines
// and tabs.
func checkChars(field, s string, required bool, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return invalid(field, "%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return invalid(field, "%s contains the control character %U: remove it", field, r)
		}
	}
	if strings.TrimSpace(s) == "" {
		if required {
			return invalid(field, "%s is required and must not be blank", field)
		}
		return nil
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid(field, "%s is %d characters long; the limit is %d", field, n, max)
	}
	return nil
}

func checkTitle(field, s string) error { return checkChars(field, s, true, MaxTitleLen, false) }

// IsControl reports whether r is a C0 or C1 control character, DEL, or a
// Unicode bidirectional override or isolate: characters that change how
// text is shown rather than being shown.
func IsControl(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200b, r == 0xfeff:
		return true
	}
	return false
}

// checkSize refuses a decision whose events would not fit the limit.
func checkSize(evs []Event) error {
	for _, e := range evs {
		b, err := Encode(e)
		if err != nil {
			return err
		}
		if len(b) > MaxEventBytes {
			return invalid("", "the decision's %s event is %d bytes: the limit is %d bytes (%d KiB); shorten its texts", e.Type, len(b), MaxEventBytes, MaxEventBytes>>10)
		}
	}
	return nil
}

// checkWhy enforces the rationale rule: a decision that changes priority,
// scope or a request's fate says why.
func checkWhy(why, decision string) error {
	if strings.TrimSpace(why) == "" {
		return invalid("why", "why is required for %s: say why the decision was taken", decision)
	}
	return checkText("why", why, true, MaxTextLen)
}

// checkPeriod validates the period a decision names: every form
// ParsePeriod reads (2027-Q1, 2027-H1, 2027-03, 2027-03-15, 2027,
// release:NAME or release:NAME@YYYY-MM-DD), one line of at most
// MaxTitleLen characters, and a release name without spaces around it.
func checkPeriod(p string) error {
	if p == "" {
		return invalid("period", "period is required: a quarter such as 2027-Q1, a half, a month, or a release such as release:2.0@2027-06-30")
	}
	if err := checkChars("period", p, true, MaxTitleLen, false); err != nil {
		return err
	}
	pp, err := ParsePeriod(p)
	if err != nil {
		return err
	}
	if pp.Release != "" && strings.TrimSpace(pp.Release) != pp.Release {
		return invalid("period", "period %q: the release name has spaces around it: write it like release:%s", p, strings.TrimSpace(pp.Release))
	}
	return nil
}

// PeriodBounds returns the first instant of a period and the first instant
// after it, in UTC, by ParsePeriod; an undated release has none, and is an
// error here.
func PeriodBounds(p string) (start, end time.Time, err error) {
	pp, err := ParsePeriod(p)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !pp.Dated {
		return time.Time{}, time.Time{}, invalid("period", "release %q has no date: its bounds are unknown", pp.Release)
	}
	return pp.Start, pp.End, nil
}

// PeriodOf returns the quarter that contains t, such as 2026-Q3.
func PeriodOf(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

func (k ItemKind) valid() bool {
	for _, x := range ItemKinds {
		if k == x {
			return true
		}
	}
	return false
}

// ValidReason reports whether r is a known reason code.
func ValidReason(r ReasonCode) bool {
	for _, x := range ReasonCodes {
		if r == x {
			return true
		}
	}
	return false
}

func listOf[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
