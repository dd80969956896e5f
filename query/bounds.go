package query

import (
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/replay"
)

// A from/to pair, wherever one is taken (the decisions view, diff, the
// audit export), is the half-open range [from, to) of business time: from
// included, to excluded, and a bare date is midnight UTC at its start on
// either end. So --from 2026-05-01 --to 2026-06-01 is May, consecutive
// ranges share their bound and count every decision once, and the
// decisions --from D --to E lists are the ones diff --from D --to E cites.
// (An as-of date is a position, not a range bound: the end of that day.)

// RangeRule says the rule in a help text's words.
const RangeRule = "the range is [from, to): from included, to excluded; a date is midnight UTC at its start"

// rangePosition reads one end of diff's range as the position just before
// that instant: the ledger as it stood when the range began (from) or
// ended (to), so that the decisions in between are those of [from, to).
// seq:N is the position just after sequence N, as everywhere.
func rangePosition(field, s string) (Position, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Latest, nil
	}
	if strings.HasPrefix(s, "seq:") {
		return Pos(field, s)
	}
	t, err := parseBound(field, s)
	if err != nil {
		return Latest, domain.Invalid(field, "%s %q is not a time: write a date (2026-04-01, midnight UTC at its start), an RFC 3339 time (2026-04-01T14:30:00Z) or a stream position (seq:42)", field, s)
	}
	// A position's time is inclusive: what occurred at the instant
	// itself belongs to the range that starts there.
	return replay.AtTime(t.Add(-time.Nanosecond)), nil
}
