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
		Short: "Run the ledger as a NATS service: the only writer, with live views for every client",
		Long: `serve keeps the store open and runs the ledger as the NATS micro service
"ledger": it decides and records every command (ledgerapi.v1.command) and
answers every view from projections it keeps current (ledgerapi.v1.view.<name>).
While it runs, other ledger commands on the same --data directory (or on the
same --nats) send their commands and views to it; any NATS client can too:

  nats --server nats://127.0.0.1:4222 micro info ledger
  nats --server nats://127.0.0.1:4222 req ledgerapi.v1.view.backlog '{"product":"checkout"}'

Clients of its listener may call the service and read the streams, never
write them. Only serve listens: other commands open no port. With --nats it
joins that NATS system and listens on nothing itself; several serve processes
there are instances of one service.

Stop it with Ctrl-C (SIGINT) or SIGTERM: it lets the requests in flight
finish for 6 s, and exits within 10 s whatever is still running, naming on
stderr what it did not wait for (a decision whose answer never came is one
of unknown outcome, retried safely with its command id).`,
		Example: `  ledger serve --demo                    # then open http://127.0.0.1:8080/
  ledger serve --data /var/lib/ledger --nats-listen 127.0.0.1:4333
  ledger serve --nats nats://nats-1:4222,nats://nats-2:4222`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&listen, "nats-listen", "127.0.0.1:4222", "host:port for NATS clients (embedded store only)")
	c.Flags().IntVar(&a.snapshotEvery, "snapshot-every", 1000, "snapshot the live projections every N events of a product, so as-of questions stay fast")
	c.Flags().IntVar(&a.checkpointEvery, "checkpoint-every", 1000, "sign an audit checkpoint every N new events (0: never by count); needs a key from \"ledger audit keygen\"")
	c.Flags().DurationVar(&a.checkpointInterval, "checkpoint-interval", 10*time.Minute, "sign an audit checkpoint at this interval when there are new events (0: never by time)")
	a.addHTTPFlags(c)
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
		stops, err := a.startBackground(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "NATS service %q: %s (commands) and %s<view> (try: nats micro info %s)\n", service.Name, service.CommandSubject, service.ViewPrefix, service.Name)
		fmt.Fprintln(a.stdout, "in another terminal: ledger log   |   stop with Ctrl-C")
		<-ctx.Done()
		// From now on every step of the shutdown is bounded (see
		// stopGrace): the process ends in time whatever is in flight.
		a.stopping()
		fmt.Fprintln(a.stdout, "ledger: shutting down")
		a.abandon(stopTogether(stops, a.deadline(stopGrace)), stopGrace)
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
