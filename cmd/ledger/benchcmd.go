package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/decisionledger/ledger/bench"
)

// benchCommand is `ledger bench`: the ledger measured against raw
// JetStream on a generated history, in a data directory of its own.
func (a *app) benchCommand() *cobra.Command {
	var events, products, reps, decisions, openItems, oneShotEvents int
	var freshOneShot, instances bool
	var instanceDecisions int
	var seed uint64
	var tmp string
	c := &cobra.Command{
		Use:   "bench [--events N] [--json]",
		Short: "Measure the ledger against raw JetStream on a generated history",
		Long: `bench generates a realistic history (the demo's shape, scaled: epics, items,
requests with every fate, re-rankings with scores, several products) into a
fresh temporary data directory, which it removes afterwards, and measures each
path of the ledger against the raw JetStream operation it rests on, with the
same durability (fsync on every write), interleaved in the same run:

  durable decision via the service   sync publish expecting the stream's last seq
  decision on 20,000 open items      the same decision on 100 open items
  16 writers at once, new items      16 sync publishes at once, expected subject seq
  one-shot write, 20,000 events      the same write on a 10-event ledger
  3 serve instances, one product     1 instance; 16 writers at once on both sides
  3 serve instances, 3 products      1 instance; 16 writers at once on both sides
  bulk import in atomic batches      raw atomic batch publish of the same messages
  full rebuild of every projection   ordered consumer reading and decoding the stream
  backlog as of a date, snapshots    the same answer by full replay
  why of one item                    reading that item's subject alone
  backlog over HTTP, 32 readers      the same bytes as static JSON, same server

and reports the as-of cost early and late in the history, serve's cold start,
snapshot bytes against stream bytes and the peak RSS of a rebuild (ledger replay
--all, run as a process of its own on the bench's directory). The instances
rows run this binary as "serve --nats URL" processes on a NATS server of their
own, started in the bench's process (--instances=false leaves them out), and
say the CPU per decision of the serve processes and of the bench's. Ratios are
oriented so that higher is better. It prints a table, then one JSON line with
every figure (--json: only the JSON line). The default size finishes in about
3 minutes on 2 cores (the one-shot row waits for its histories to leave
JetStream's two-minute duplicate window); the issue's targets are stated for
--events 1000000.
It never touches --data.`,
		Example: `  ledger bench
  ledger bench --events 1000000 --json > bench.json`,
		Args: cobra.NoArgs,
	}
	c.Flags().IntVar(&events, "events", bench.DefaultEvents, "length of the generated history")
	c.Flags().IntVar(&products, "products", 4, "products the history is shared among")
	c.Flags().IntVar(&reps, "reps", 2, "interleaved repetitions of the slower paths (the best is kept)")
	c.Flags().IntVar(&decisions, "decisions", 500, "durable decisions on each side")
	c.Flags().Uint64Var(&seed, "seed", 1, "seed of the generated history")
	c.Flags().IntVar(&openItems, "open-items", bench.DefaultOpenItems, "open items of the big backlog in the decision-cost row")
	c.Flags().IntVar(&oneShotEvents, "oneshot-events", bench.DefaultOneShotEvents, "events of the long history in the one-shot row")
	c.Flags().BoolVar(&freshOneShot, "oneshot-fresh", false, "time the one-shot row without waiting for its histories to leave JetStream's two-minute duplicate window (a quicker run; the row then counts the server reading their message ids again)")
	c.Flags().BoolVar(&instances, "instances", true, "measure the instances rows: 1 and 3 serve --nats processes of this binary on a NATS server of their own")
	c.Flags().IntVar(&instanceDecisions, "instance-decisions", bench.DefaultInstanceDecisions, "decisions on each side of an instances row")
	c.Flags().StringVar(&tmp, "tmp", "", "where to make the temporary data directory (default: the system's)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		dir, err := bench.TempDir(tmp)
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		opt := bench.Options{Dir: dir, Events: events, Products: products, Seed: seed, Reps: reps, Decisions: decisions,
			OpenItems: openItems, OneShotEvents: oneShotEvents, FreshOneShot: freshOneShot,
			SkipInstances: !instances, InstanceDecisions: instanceDecisions}
		if exe, err := os.Executable(); err == nil {
			// The replay row runs this very binary's replay --all in a
			// process of its own: its peak RSS is what a user's takes.
			opt.ReplayCommand = []string{exe, "replay", "--all"}
			// The one-shot row writes without serve with this binary too.
			opt.WriteCommand = []string{exe}
			// And the instances rows serve with it.
			opt.ServeCommand = []string{exe}
		}
		if f, ok := file(a.stderr); ok && term.IsTerminal(int(f.Fd())) {
			opt.Progress = f
		}
		rep, err := bench.Run(cmd.Context(), opt)
		if err != nil {
			return err
		}
		if !a.jsonOut {
			if err := rep.WriteTable(a.stdout); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout)
		}
		return rep.WriteJSON(a.stdout)
	}
	return c
}
