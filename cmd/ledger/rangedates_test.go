package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
)

// TestFromToReadTheSameDates: "decisions --from D --to D+1" and "diff
// --from D --to D+1" are the same day: the decisions listed are those
// between diff's two positions, with serve running or not; every --help
// with --from and --to says how a date is read.
func TestFromToReadTheSameDates(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")
	check := func(from, to string) {
		t.Helper()
		var seqs []uint64
		for _, line := range strings.Split(strings.TrimSpace(c.ok("decisions", "--from", from, "--to", to, "--json")), "\n") {
			var r query.DecisionRow
			require.NoError(t, json.Unmarshal([]byte(line), &r), line)
			seqs = append(seqs, r.Seq)
		}
		var d query.Changes
		require.NoError(t, json.Unmarshal([]byte(c.ok("diff", "--from", from, "--to", to, "--json")), &d))
		var want []uint64
		for s := d.From.Seq + 1; s <= d.To.Seq; s++ {
			want = append(want, s)
		}
		assert.Equal(t, want, seqs, "[%s, %s)", from, to)
		require.NotEmpty(t, seqs)
	}
	check("2026-01-08", "2026-01-09") // the first rankings, 44-48
	check("2026-05-01", "2026-06-01")
	c.serveHTTP()
	check("2026-01-08", "2026-01-09")
	check("2026-04-01", "2026-07-01")

	for _, cmd := range [][]string{{"decisions"}, {"diff"}, {"audit", "export"}} {
		help := c.ok(append(cmd, "--help")...)
		assert.Contains(t, help, "midnight UTC at its start", "ledger %s --help", strings.Join(cmd, " "))
		assert.Contains(t, help, "excluded", "ledger %s --help", strings.Join(cmd, " "))
	}
}
