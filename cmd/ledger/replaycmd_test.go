package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/replay"
)

// historyNow is "now" for the history commands under test: the day the
// demo is compared up to.
var historyNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// history runs a command of the ledger with the history commands added
// (whether or not the root adds them itself) and a fixed clock.
func (c *cli) history(args ...string) outcome {
	c.t.Helper()
	var out, errb syncBuffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.now = func() time.Time { return historyNow }
	defer a.close()
	root := a.rootCommand()
	if cmd, _, err := root.Find([]string{"compare"}); err != nil || cmd == root {
		root.AddCommand(a.replayCommands()...)
	}
	root.SetArgs(append([]string{"--data", c.data}, args...))
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	return outcome{code: exitCode(err), stdout: out.String(), stderr: errb.String(), err: err}
}

func (c *cli) historyOK(args ...string) outcome {
	c.t.Helper()
	o := c.history(args...)
	require.NoError(c.t, o.err, "ledger %s\n%s", strings.Join(args, " "), o.stderr)
	return o
}

func fitsIn(t *testing.T, out string, width int) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), width, "line too wide: %q", line)
	}
}

func TestReplayCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")

	o := c.historyOK("replay", "--snapshot-every", "50")
	assert.Regexp(t, `^replayed \d+ events of "checkout" \(up to seq \d+, 2026-10-05 10:00\) in [0-9.]+ s \(\d+ events/s\); \d+ snapshots written\n$`, o.stdout)
	assert.Contains(t, o.stderr, "replaying checkout: 100% (sequence", "plain progress lines when stdout is not a terminal")

	o = c.historyOK("replay", "--as-of", "2026-04-01", "--snapshot-every", "0", "--json")
	var got struct {
		replay.Rebuilt
		Seconds      float64 `json:"seconds"`
		EventsPerSec float64 `json:"eventsPerSecond"`
	}
	require.NoError(t, json.Unmarshal([]byte(o.stdout), &got))
	assert.Equal(t, "checkout", got.Product)
	assert.Equal(t, "2026-03-30T10:00:00Z", got.At.UTC().Format(time.RFC3339), "stops at the last decision of 1 April or before")
	assert.Equal(t, got.Seq, got.Events, "one product: every sequence is one of its events")
	assert.Zero(t, got.Snapshots)
	assert.Positive(t, got.EventsPerSec)
}

// TestReplayAll replays every product from one read: a line per product
// and a total, the same snapshots a replay per product writes (the as-of
// answers after it come from them), and --all with -p is refused.
func TestReplayAll(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")
	c.ok("product", "create", "shop", "--name", "Shop", "--pm", "pam", "--po", "olga", "--as", "pam")
	o := c.historyOK("replay", "--all", "--snapshot-every", "50")
	assert.Regexp(t, `^replayed 163 events of "checkout" \(up to seq 163, 2026-10-05 10:00\); 4 snapshots written\n`+
		`replayed 1 events of "shop" \(up to seq 164, [0-9: -]+\); 1 snapshots written\n`+
		`replayed 164 events of 2 products in [0-9.]+ s \(\d+ events/s\)\n$`, o.stdout)
	assert.Contains(t, o.stderr, "replaying 2 products: 100% (sequence 164 of 164)")

	o = c.historyOK("replay", "--all", "--as-of", "seq:100", "--snapshot-every", "0", "--json")
	var got struct {
		Products []replay.Rebuilt `json:"products"`
	}
	require.NoError(t, json.Unmarshal([]byte(o.stdout), &got))
	require.Len(t, got.Products, 2)
	assert.Equal(t, uint64(100), got.Products[0].Seq)
	assert.Zero(t, got.Products[1].Events, "shop was created after seq 100")

	show := c.ok("show", "backlog", "-p", "checkout", "--as-of", "seq:150", "--json")
	assert.Contains(t, show, `"replayed": 0`, "answered from a snapshot replay --all wrote at the 150th event")

	o = c.history("replay", "--all", "-p", "shop")
	assert.Equal(t, exitUsage, o.code)
	assert.ErrorContains(t, o.err, "--all replays every product")
}

func TestCompareCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")
	c.historyOK("replay", "--snapshot-every", "40")

	o := c.historyOK("compare", "--planned-as-of", "2026-04-01", "--delivered-as-of", "2026-11-27")
	fitsIn(t, o.stdout, 100)
	assert.Empty(t, o.stderr)
	for _, want := range []string{
		"Roadmap items of \"checkout\" as planned against delivered\n  planned as of    2026-04-01 (seq 92, 2026-03-30 10:00)\n" +
			"  delivered by     2026-11-27 (seq 163, 2026-10-05 10:00)\n",
		"2026-Q1 · say/do 100% (1 of 1 on time)\n  planned 1, on time 1, late 0, dropped 0, open 0, unplanned 0\n",
		"2026-Q2 · say/do 0% (0 of 3 on time)\n  planned 3, on time 0, late 2, dropped 1, open 0, unplanned 0\n",
		"2026-Q3 · say/do 0% (0 of 1 on time)\n  planned 1, on time 0, late 0, dropped 0, open 1 (1 overdue), unplanned 1\n",
		"  R-WALLETS  late     2026-Q2  2026-Q2  2026-07-08  Wallet payments",
		"  R-BNPL      open (overdue)  2026-Q3  2026-Q3  -           Buy now, pay later",
		"  R-RECEIPTS  unplanned       -        2026-Q3  2026-09-15  Digital receipts",
		"2026-05-15 nina (po) BacklogItemRanked: WAL-4 to the bottom: 5 -> 24\n        “Wallet refunds are rare; support refunds by hand at launch”\n",
		"2026-04-20 pam (pm) RoadmapItemRescheduled: rescheduled 2026-Q2 -> 2026-Q3\n        “The credit-check",
	} {
		assert.Contains(t, o.stdout, want)
	}
	// The causes are listed under their item.
	wallets := strings.Index(o.stdout, "R-WALLETS  late")
	invoice := strings.Index(o.stdout, "R-INVOICE  late")
	cause := strings.Index(o.stdout, "WAL-4 to the bottom")
	assert.True(t, wallets < cause && cause < invoice, "the WAL-4 decision is under R-WALLETS")

	o = c.historyOK("compare", "--planned-as-of", "2026-04-01", "--period", "2026-Q2", "--level", "item", "--json")
	var cmp replay.Comparison
	require.NoError(t, json.Unmarshal([]byte(o.stdout), &cmp))
	assert.Equal(t, replay.LevelItem, cmp.Level)
	assert.Equal(t, replay.AtTime(historyNow), cmp.Delivered.AsOf, "T1 defaults to now")
	require.Len(t, cmp.Periods, 1)
	p := cmp.Periods[0]
	assert.Equal(t, []int{13, 3, 7, 3, 0, 2}, []int{p.Planned, p.OnTime, p.Late, p.Dropped, p.Open, p.Unplanned})
	require.NotNil(t, p.SayDo)
	assert.InDelta(t, 3.0/13, *p.SayDo, 1e-9)
	assert.Contains(t, o.stdout, `"sayDo": 0.23076923076923078`)
	assert.Contains(t, o.stdout, `"onTime": 3`)
}

func TestDiffCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")

	o := c.historyOK("diff", "--from", "2026-05-01", "--to", "2026-05-31")
	fitsIn(t, o.stdout, 100)
	for _, want := range []string{
		"Changes in \"checkout\"\n  from  2026-05-01 (seq 103, 2026-04-28 16:00)\n  to    2026-05-31 (seq 122, 2026-05-27 09:00)\n",
		"Added (1)\n  LOC-1  rank 22, new  Polish language and zloty prices\n",
		"Removed (3)\n  FAX-1  was rank 13  Fax order intake\n",
		"Moved (1)\n  WAL-4  down 5 -> 23  Refunds to wallets\n",
		"2026-05-15 nina (po) BacklogItemRanked: WAL-4 to the bottom: 5 -> 24\n        “Wallet refunds are rare;",
		"Status changed (3)\n",
		"  WAL-1  in-progress -> delivered  Apple Pay\n",
		"Requests decided (4)\n",
		"  REQ-13  withdrawn          Show the delivery date in checkout (sam)\n",
		"2026-05-25 sam (stakeholder) RequestWithdrawn: withdrawn\n        “The logistics team",
	} {
		assert.Contains(t, o.stdout, want)
	}

	o = c.historyOK("diff", "--from", "2026-05-01", "--to", "2026-05-31", "--json")
	var d replay.Changes
	require.NoError(t, json.Unmarshal([]byte(o.stdout), &d))
	assert.Len(t, d.Added, 1)
	assert.Len(t, d.RequestsDecided, 4)
	assert.Contains(t, o.stdout, `"requestsDecided": [`)
	assert.Contains(t, o.stdout, `"fromRank": 5`)
}

func TestHistoryCommandErrors(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"ErrNoPlanned", []string{"compare"}, exitUsage, "compare needs --planned-as-of"},
		// A value the core refuses is refused (exit 3) wherever it comes
		// from, and named by its field.
		{"ErrBadPosition", []string{"compare", "--planned-as-of", "April"}, exitRefused, `plannedAsOf: position "April" is not valid`},
		{"ErrBadSeq", []string{"diff", "--from", "seq:0"}, exitRefused, "seq:42"},
		{"ErrLevel", []string{"compare", "--planned-as-of", "2026-04-01", "--level", "epic"}, exitRefused, "use roadmap or item"},
		{"ErrPeriod", []string{"compare", "--planned-as-of", "2026-04-01", "--period", "2026-5"}, exitRefused, "write it like 2027-Q1, 2027-H1, 2027-03, 2027-03-15, 2027 or release:NAME[@YYYY-MM-DD]"},
		{"ErrNoFrom", []string{"diff"}, exitUsage, "diff needs --from"},
		{"ErrToBeforeFrom", []string{"diff", "--from", "2026-05-31", "--to", "2026-05-01"}, exitRefused, "is before the earlier one"},
		{"ErrSnapshotEvery", []string{"replay", "--snapshot-every", "-1"}, exitUsage, "--snapshot-every must be 0 or more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := c.history(tc.args...)
			require.Error(t, o.err)
			assert.Equal(t, tc.code, o.code, o.err.Error())
			assert.Contains(t, o.err.Error(), tc.msg)
		})
	}
}

func TestHistoryCommandsHelp(t *testing.T) {
	a := newApp(strings.NewReader(""), &syncBuffer{}, &syncBuffer{})
	for _, cmd := range a.replayCommands() {
		t.Run(cmd.Name(), func(t *testing.T) {
			assert.NotEmpty(t, cmd.Short)
			assert.NotContains(t, cmd.Short, "\n", "Short is one line")
			assert.NotEmpty(t, cmd.Example)
			assert.Contains(t, cmd.Example, "ledger "+cmd.Name())
			cmd.Flags().VisitAll(func(f *pflag.Flag) { assert.NotEmpty(t, f.Usage, "--%s says what it does", f.Name) })
		})
	}
}
