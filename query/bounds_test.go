package query

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRangeReadsDatesOnce: decisions --from D --to E and diff --from D
// --to E read the same dates as the same instants, [D, E): the decisions
// listed are exactly the product's events after diff's from position up
// to its to position, for every day of the demo and for longer ranges.
// (diff read a bare date as the end of that day, decisions as its start.)
func TestRangeReadsDatesOnce(t *testing.T) {
	q, _ := demoService(t)
	ctx := context.Background()
	day := func(d time.Time) string { return d.Format(time.DateOnly) }
	check := func(from, to string) {
		t.Helper()
		d, err := q.Decisions(ctx, "checkout", DecisionsFilter{From: from, To: to}, 0)
		require.NoError(t, err)
		c, err := q.Diff(ctx, "checkout", from, to)
		require.NoError(t, err)
		want := []uint64{}
		if c.To.Seq > c.From.Seq {
			want = span(c.From.Seq+1, c.To.Seq)
		}
		assert.Equal(t, want, seqsOf(d), "[%s, %s): diff from seq %d to %d", from, to, c.From.Seq, c.To.Seq)
		for _, r := range d.Decisions {
			assert.False(t, r.At.Before(mustDate(t, from)), "seq %d at %s is before %s", r.Seq, r.At, from)
			assert.True(t, r.At.Before(mustDate(t, to)), "seq %d at %s is not before %s", r.Seq, r.At, to)
		}
	}
	var days int
	for d := time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC); d.Before(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		check(day(d), day(d.AddDate(0, 0, 1)))
		days++
	}
	require.Greater(t, days, 250)
	check("2026-01-08", "2026-01-08T10:05:00Z") // an instant: the decision at 10:05 is the next range's
	check("2026-04-01", "2026-07-01")           // Q2
	check("2026-05-01", "2026-06-01")           // May

	// The ranks of 8 January, in both.
	c, err := q.Diff(ctx, "checkout", "2026-01-08", "2026-01-09")
	require.NoError(t, err)
	var moved []string
	for _, m := range c.Moved {
		moved = append(moved, m.ID)
	}
	assert.Contains(t, moved, "CARD-2", "ranked on 8 January, in the diff of [8 Jan, 9 Jan)")
	c, err = q.Diff(ctx, "checkout", "2026-01-09", "2026-01-10")
	require.NoError(t, err)
	assert.Empty(t, c.Moved, "and not in the next day's")

	_, err = q.Diff(ctx, "checkout", "8 Jan", "")
	assert.ErrorContains(t, err, `from "8 Jan" is not a time: write a date (2026-04-01, midnight UTC at its start)`)
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := parseBound("date", s)
	require.NoError(t, err)
	return d
}
