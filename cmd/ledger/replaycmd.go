package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/decisionledger/ledger/query"
)

// replayCommands are the history commands: replay, compare and diff.
func (a *app) replayCommands() []*cobra.Command {
	return []*cobra.Command{a.replayCommand(), a.compareCommand(), a.diffCommand()}
}

// parsePosition reads a position flag of a command that does not go
// through a view (replay); "" is the latest.
func parsePosition(flag, s string) (query.Position, error) {
	p, err := query.Pos(flag, s)
	if err != nil {
		return p, usagef("--%s: %s", flag, strings.TrimPrefix(err.Error(), flag+": "))
	}
	return p, nil
}

func (a *app) replayCommand() *cobra.Command {
	var asOf string
	var every int
	c := &cobra.Command{
		Use:   "replay [--as-of T] [--snapshot-every N]",
		Short: "Rebuild every projection from the stream and write snapshots that make as-of questions fast",
		Long: `replay reads the product's whole history (up to --as-of when given), rebuilds
every projection from it, and writes snapshots of the backlog, roadmap and
requests every N events, and of everything at the end. Snapshots are a cache:
"show --as-of", "compare" and "diff" start from the nearest one and replay only
the events after it; one from another version of the ledger is ignored.

On a terminal it shows a progress bar with events/s and the time left (with
several products in the store, it counts stream positions); otherwise it
prints plain progress lines to stderr. It ends with a one-line summary.`,
		Example: `  ledger replay -p checkout
  ledger replay -p checkout --as-of 2026-04-01 --snapshot-every 500
  ledger replay -p checkout --snapshot-every 0 --json   # rebuild only, write nothing`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&asOf, "as-of", "", "stop at a date (2026-04-01, end of day UTC), an RFC 3339 time or seq:N")
	c.Flags().IntVar(&every, "snapshot-every", query.DefaultSnapshotEvery, "write a snapshot every N events (0: write none)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		pos, err := parsePosition("as-of", asOf)
		if err != nil {
			return err
		}
		if every < 0 {
			return usagef("--snapshot-every must be 0 or more, not %d", every)
		}
		product, err := a.product(ctx)
		if err != nil {
			return err
		}
		s, err := a.open(ctx)
		if err != nil {
			return err
		}
		prog := a.newProgress(product)
		start := time.Now()
		res, err := query.Rebuild(ctx, s, s.Snapshots(), product, pos, every, prog.update)
		prog.finish()
		if err != nil {
			return err
		}
		secs := time.Since(start).Seconds()
		rate := float64(res.Events) / max(secs, 1e-9)
		if a.jsonOut {
			return a.printJSON(struct {
				query.Rebuilt
				Seconds      float64 `json:"seconds"`
				EventsPerSec float64 `json:"eventsPerSecond"`
			}{res, secs, rate})
		}
		a.printWarnings(res.Warnings)
		a.printf("replayed %d events of %q (up to %s) in %.2f s (%.0f events/s); %d snapshots written\n",
			res.Events, product, stoppedAt(res.Result), secs, rate, res.Snapshots)
		return nil
	}
	return c
}

// rebuildProgress shows a rebuild's progress: a bar on a terminal, a plain line
// to stderr every tenth of the way otherwise.
type rebuildProgress struct {
	bar     *progressbar.ProgressBar
	plain   io.Writer
	product string
	start   time.Time
	decile  uint64
}

func (a *app) newProgress(product string) *rebuildProgress {
	p := &rebuildProgress{product: product, start: time.Now()}
	if f, ok := file(a.stdout); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription("replaying "+product),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("events"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		return p
	}
	p.plain = a.stderr
	return p
}

func (p *rebuildProgress) update(done, total uint64) {
	if p.bar != nil {
		if total > 0 && p.bar.GetMax64() != int64(total) {
			p.bar.ChangeMax64(int64(total))
		}
		_ = p.bar.Set64(int64(done))
		return
	}
	if total == 0 {
		return
	}
	decile := min(done*10/total, 10)
	if decile <= p.decile && done < total {
		return
	}
	p.decile = decile
	secs := time.Since(p.start).Seconds()
	rate := float64(done) / max(secs, 1e-9)
	eta := time.Duration(float64(total-min(done, total)) / max(rate, 1e-9) * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(p.plain, "replaying %s: %3d%% (sequence %d of %d), %.0f events/s, %s left\n",
		p.product, done*100/total, done, total, rate, eta)
}

func (p *rebuildProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func (a *app) printWarnings(ws []string) {
	for _, w := range ws {
		a.warnf("%s", w)
	}
}

// stoppedAt names where an answer stopped: "seq 79, 2026-03-30 10:00".
func stoppedAt(r query.Result) string {
	if r.Seq == 0 {
		return "the start (no events)"
	}
	if r.At == nil {
		return fmt.Sprintf("seq %d", r.Seq)
	}
	return fmt.Sprintf("seq %d, %s", r.Seq, formatTime(*r.At))
}

// named writes a position as the user gave it, or "now".
func named(flagValue string) string {
	if flagValue == "" {
		return "now"
	}
	return flagValue
}
