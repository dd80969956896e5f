package replay

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Position is a point in a product's history that an as-of question stops
// at. The zero Position is the latest: everything stored.
type Position struct {
	// Seq, when not 0, stops after the event with this stream sequence.
	Seq uint64
	// At, when not zero, stops before the first event that occurred after
	// it; it is inclusive.
	At time.Time
}

// Latest is the zero Position: the whole history.
var Latest = Position{}

// AtSeq is the position just after the event with stream sequence seq.
func AtSeq(seq uint64) Position { return Position{Seq: seq} }

// AtTime is the position just after the last event that occurred at or
// before t.
func AtTime(t time.Time) Position { return Position{At: t.UTC()} }

// EndOfDay is the position at the end of a UTC day: every event of that
// day included.
func EndOfDay(day time.Time) Position {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	return Position{At: d.AddDate(0, 0, 1).Add(-time.Nanosecond)}
}

// IsLatest reports whether p is the whole history.
func (p Position) IsLatest() bool { return p.Seq == 0 && p.At.IsZero() }

// ParsePosition reads a position as people write it: a date
// ("2026-04-01", the end of that day UTC, so every event of that day is
// in), an RFC 3339 time ("2026-04-01T14:30:00Z", inclusive) or a stream
// position ("seq:42", up to and including sequence 42).
func ParsePosition(s string) (Position, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "seq:"); ok {
		n, err := strconv.ParseUint(rest, 10, 64)
		if err != nil || n == 0 {
			return Position{}, badPosition(s, "a stream position is seq: and a sequence of 1 or more, like seq:42")
		}
		return AtSeq(n), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return EndOfDay(t), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return AtTime(t), nil
	}
	return Position{}, badPosition(s, "write a date (2026-04-01, the end of that day UTC), an RFC 3339 time (2026-04-01T14:30:00Z) or a stream position (seq:42)")
}

func badPosition(s, hint string) error {
	return &domain.Error{Kind: domain.KindInvalid, Field: "as-of",
		Msg: fmt.Sprintf("position %q is not valid: %s", s, hint)}
}

// String writes p so that ParsePosition reads it back: "seq:N", an RFC
// 3339 time, or "latest".
func (p Position) String() string {
	switch {
	case p.IsLatest():
		return "latest"
	case p.Seq != 0 && p.At.IsZero():
		return "seq:" + strconv.FormatUint(p.Seq, 10)
	case p.Seq == 0:
		return p.At.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("seq:%d and %s", p.Seq, p.At.UTC().Format(time.RFC3339Nano))
}

// MarshalText writes String, so that JSON shows a position as text.
func (p Position) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (p *Position) UnmarshalText(b []byte) error {
	if string(b) == "latest" || len(b) == 0 {
		*p = Latest
		return nil
	}
	q, err := ParsePosition(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Past reports whether e lies beyond p. An event without a business time
// (bytes that are not an envelope) is never past a time.
func (p Position) Past(e domain.Event) bool {
	if p.Seq != 0 && e.Seq > p.Seq {
		return true
	}
	return !p.At.IsZero() && !e.OccurredAt.IsZero() && e.OccurredAt.After(p.At)
}

// covers reports whether a snapshot lies at or before p: everything it
// folded in belongs to the answer.
func (p Position) covers(s SnapshotInfo) bool {
	return (p.Seq == 0 || s.Seq <= p.Seq) && (p.At.IsZero() || !s.LastAt.After(p.At))
}
