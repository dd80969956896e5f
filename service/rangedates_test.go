package service_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// TestFromToReadTheSameDates: over NATS, the decisions and diff views
// read from and to as the same range [from, to): the decisions of a day
// are those between diff's positions for that day.
func TestFromToReadTheSameDates(t *testing.T) {
	srv := serve(t, true)
	c := service.NewClient(client(t, srv.url))
	ctx := context.Background()
	for _, r := range [][2]string{{"2026-01-08", "2026-01-09"}, {"2026-05-01", "2026-06-01"}} {
		var d query.Decisions
		require.NoError(t, c.View(ctx, query.ViewDecisions, query.Options{Product: "checkout", From: r[0], To: r[1]}, &d))
		var ch query.Changes
		require.NoError(t, c.View(ctx, query.ViewDiff, query.Options{Product: "checkout", From: r[0], To: r[1]}, &ch))
		var want, got []uint64
		for s := ch.From.Seq + 1; s <= ch.To.Seq; s++ {
			want = append(want, s)
		}
		for _, row := range d.Decisions {
			got = append(got, row.Seq)
		}
		require.NotEmpty(t, got)
		assert.Equal(t, want, got, "[%s, %s)", r[0], r[1])
	}
}
