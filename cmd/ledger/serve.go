package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/service"
)

func (a *app) serveCommand() *cobra.Command {
	var seed bool
	var listen string
	c := &cobra.Command{
		Use:   "serve [--nats-listen 127.0.0.1:4222] [--demo]",
		Short: "Keep the store open and accept NATS clients, so other ledger commands and the nats CLI can share it",
		Long: `serve keeps the embedded store open and listens for NATS clients on loopback.
While it runs, other ledger commands on the same --data directory talk to it
through that listener, and the nats CLI can inspect the stream:

  nats --server nats://127.0.0.1:4222 stream info LEDGER

Stop it with Ctrl-C (SIGINT) or SIGTERM; it shuts down cleanly.`,
		Example: `  ledger serve --demo
  ledger serve --data /var/lib/ledger --nats-listen 127.0.0.1:4333`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&listen, "nats-listen", "127.0.0.1:4222", "host:port for NATS clients (embedded store only)")
	c.Flags().IntVar(&a.snapshotEvery, "snapshot-every", 1000, "snapshot the live projections every N events of a product, so as-of questions stay fast")
	c.Flags().IntVar(&a.checkpointEvery, "checkpoint-every", 1000, "sign an audit checkpoint every N new events (0: never by count); needs a key from \"ledger audit keygen\"")
	c.Flags().DurationVar(&a.checkpointInterval, "checkpoint-interval", 10*time.Minute, "sign an audit checkpoint at this interval when there are new events (0: never by time)")
	c.Flags().BoolVar(&seed, "demo", false, "first write the demo history (product \"checkout\") if it is not there")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if a.natsURL == "" {
			a.listen = listen
		}
		s, err := a.open(ctx)
		if err != nil {
			return err
		}
		if a.natsURL == "" && !s.Embedded() {
			return fmt.Errorf("data directory %q is already served by another \"ledger serve\" at %s: use that one, or stop it first", a.dataDir, s.ClientURL())
		}
		if seed {
			product := a.productID
			if product == "" {
				product = demo.Product
			}
			sum, err := demo.Seed(ctx, a.handler, product)
			if err != nil {
				return err
			}
			a.reportSeed(product, sum)
		}
		where := "embedded store in " + a.dataDir
		if !s.Embedded() {
			where = "NATS at " + s.ClientURL()
		}
		fmt.Fprintf(a.stdout, "ledger serving (%s)\n", where)
		if u := s.ClientURL(); u != "" && s.Embedded() {
			fmt.Fprintf(a.stdout, "NATS clients: %s   (try: nats --server %s stream info LEDGER)\n", u, u)
		}
		stop, err := a.startBackground(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "NATS service %q: %s (commands) and %s<view> (try: nats micro info %s)\n", service.Name, service.CommandSubject, service.ViewPrefix, service.Name)
		fmt.Fprintln(a.stdout, "in another terminal: ledger log   |   stop with Ctrl-C")
		<-ctx.Done()
		stop()
		fmt.Fprintln(a.stdout, "ledger: shutting down")
		return nil
	}
	return c
}

func (a *app) demoCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "demo",
		Short: "Write the demo history: product \"checkout\", three quarters of decisions",
		Long: `demo writes a deterministic, realistic history for a product "checkout"
(or the id given with -p) spanning 2026-Q1 to 2026-Q3: vision and metrics,
a roadmap, 44 backlog items across epics, 16 stakeholder requests with every
fate, re-rankings with scores, and a Product Owner handover. Running it again
writes nothing twice.`,
		Example: `  ledger demo && ledger log -p checkout`,
		Args:    cobra.NoArgs,
	}
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		product := a.productID
		if product == "" {
			product = demo.Product
		}
		c, err := a.core(ctx)
		if err != nil {
			return err
		}
		sum, err := demo.Seed(ctx, executor{c}, product)
		if err != nil {
			return err
		}
		a.reportSeed(product, sum)
		return nil
	}
	return c
}

func (a *app) reportSeed(product string, sum demo.Summary) {
	if a.jsonOut {
		_ = a.printJSON(map[string]any{"product": product, "commands": sum.Commands, "written": sum.Written, "skipped": sum.Skipped, "events": sum.Events})
		return
	}
	if sum.Written == 0 {
		fmt.Fprintf(a.stdout, "demo product %q is already there (%d decisions): nothing written\n", product, sum.Skipped)
		return
	}
	fmt.Fprintf(a.stdout, "demo product %q: %d decisions recorded as %d events", product, sum.Written, sum.Events)
	if sum.Skipped > 0 {
		fmt.Fprintf(a.stdout, " (%d were already there)", sum.Skipped)
	}
	fmt.Fprintln(a.stdout)
}
