package main

import (
	"fmt"
	"io"
	"sort"
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
	var all bool
	c := &cobra.Command{
		Use:   "replay [--all] [--as-of T] [--snapshot-every N]",
		Short: "Rebuild the projections from the stream and write snapshots that make as-of questions fast",
		Long: `replay reads the product's whole history (up to --as-of when given), rebuilds
the backlog, roadmap and requests from it, and writes snapshots of them every
N events and at the end. Snapshots are a cache: "show --as-of", "compare",
"diff" and serve's start begin at the nearest one and replay only the events
after it; one from another version of the ledger, or that does not match the
stream, is ignored. The transparency log is not rebuilt: no snapshot holds it
(it grows with history), and serve builds it from the stream when it starts.

--all replays every product from one read of the stream, the products folding
side by side: on a ledger of several products it is faster than one replay per
product.

It keeps its heap near 400 MiB (a soft limit, raised to one and a half times
what it holds live on a history that needs more), where the Go runtime would
let it double what is live; GOMEMLIMIT, when set, is the limit instead.

On a terminal it shows a progress bar with events/s and the time left (with
several products in the store, it counts stream positions); otherwise it
prints plain progress lines to stderr. It ends with a one-line summary (one
per product with --all).`,
		Example: `  ledger replay -p checkout
  ledger replay --all
  ledger replay -p checkout --as-of 2026-04-01 --snapshot-every 500
  ledger replay -p checkout --snapshot-every 0 --json   # rebuild only, write nothing`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&asOf, "as-of", "", "stop at a date (2026-04-01, end of day UTC), an RFC 3339 time or seq:N")
	c.Flags().IntVar(&every, "snapshot-every", query.DefaultSnapshotEvery, "write a snapshot every N events (0: write none)")
	c.Flags().BoolVar(&all, "all", false, "replay every product, from one read of the stream (not with -p)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		pos, err := parsePosition("as-of", asOf)
		if err != nil {
			return err
		}
		if every < 0 {
			return usagef("--snapshot-every must be 0 or more, not %d", every)
		}
		if all && a.productID != "" {
			return usagef("--all replays every product: leave out -p %s (or LEDGER_PRODUCT), or leave out --all", a.productID)
		}
		defer boundHeap(replayHeapFloor)()
		if all {
			return a.replayAll(cmd, pos, every)
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
		res, err := query.Rebuild(ctx, s, s.Snapshots(), product, pos, every, true, prog.update)
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

// replayAll is replay --all: every product from one read of the stream.
func (a *app) replayAll(cmd *cobra.Command, pos query.Position, every int) error {
	ctx := cmd.Context()
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	products, err := s.Products(ctx)
	if err != nil {
		return err
	}
	if len(products) == 0 {
		return usagef("the ledger has no product yet: create one with \"ledger product create ID --name N --pm ACTOR --po ACTOR --as ACTOR\", or run \"ledger demo\"")
	}
	sort.Strings(products)
	prog := a.newProgress(fmt.Sprintf("%d products", len(products)))
	start := time.Now()
	opt := query.RebuildOptions{Every: every, Progress: prog.update, ViewsOnly: true}
	if every > 0 {
		opt.Snapshots = s.Snapshots()
	}
	res, err := query.RebuildAll(ctx, s, products, pos, opt)
	prog.finish()
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	var events uint64
	for _, r := range res {
		events += r.Events
	}
	rate := float64(events) / max(secs, 1e-9)
	if a.jsonOut {
		return a.printJSON(struct {
			Products     []query.Rebuilt `json:"products"`
			Seconds      float64         `json:"seconds"`
			EventsPerSec float64         `json:"eventsPerSecond"`
		}{res, secs, rate})
	}
	for _, r := range res {
		a.printWarnings(r.Warnings)
		a.printf("replayed %d events of %q (up to %s); %d snapshots written\n", r.Events, r.Product, stoppedAt(r.Result), r.Snapshots)
	}
	a.printf("replayed %d events of %d products in %.2f s (%.0f events/s)\n", events, len(res), secs, rate)
	return nil
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
