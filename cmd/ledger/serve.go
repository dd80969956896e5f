package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/eventstore"
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
every import (ledgerapi.v1.import), and answers every view from projections
it keeps current (ledgerapi.v1.view.<name>).
While it runs, other ledger commands on the same --data directory (or on the
same --nats) send their commands and views to it ("ledger audit checkpoint"
asks it to sign a checkpoint now, with its key); any NATS client can too:

  nats --server nats://127.0.0.1:4222 micro info ledger
  nats --server nats://127.0.0.1:4222 req ledgerapi.v1.view.backlog '{"product":"checkout"}'

The store lives in a NATS account of its own that only serve uses; clients
of its listener belong to another account, which imports the service and
holds read-only copies of the streams (LEDGER, LEDGER_CHECKPOINTS), so no
message a client sends can change the ledger. Without tokens serve is a
single-user tool on loopback (local mode); once "ledger token add" has made
one, every client signs in (nats --user ACTOR --password TOKEN, or --token)
and decides as its token's actor. The CLI on this machine signs in by
itself with a credential serve keeps in the data directory. Only serve
listens: other commands open no port. With --nats it joins that NATS
system and listens on nothing itself (see "ledger accounts" for the
operator's configuration); several serve processes there are instances of
one service.

Stop it with Ctrl-C (SIGINT) or SIGTERM: it lets the requests in flight
finish for 6 s, and exits within 10 s whatever is still running, naming on
stderr what it did not wait for (a decision whose answer never came is one
of unknown outcome, retried safely with its command id).`,
		Example: `  ledger serve --demo                    # then open http://127.0.0.1:8080/
  ledger serve --data /var/lib/ledger --nats-listen 127.0.0.1:4333
  ledger serve --nats nats://nats-1:4222,nats://nats-2:4222`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&listen, "nats-listen", "127.0.0.1:4222", "host:port for NATS clients (embedded store only); without tokens it must be a loopback address")
	c.Flags().StringVar(&a.clientsURL, "clients-nats", os.Getenv("LEDGER_CLIENTS_NATS"), "with --nats: the clients' account of the same NATS system, as the user that keeps the clients' read-only copies (see \"ledger accounts\"; env LEDGER_CLIENTS_NATS)")
	c.Flags().IntVar(&a.snapshotEvery, "snapshot-every", 1000, "snapshot the live projections every N events of a product, so as-of questions stay fast")
	c.Flags().IntVar(&a.checkpointEvery, "checkpoint-every", 1000, "sign an audit checkpoint every N new events (0: never by count), and at start when no checkpoint covers the events; needs a key from \"ledger audit keygen\"")
	c.Flags().DurationVar(&a.checkpointInterval, "checkpoint-interval", 10*time.Minute, "sign an audit checkpoint at this interval when there are new events (0: never by time)")
	a.addHTTPFlags(c)
	c.Flags().BoolVar(&seed, "demo", false, "first write the demo history (product \"checkout\") if it is not there")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if a.natsURL == "" {
			a.listen = listen
		} else if a.clientsURL == "" {
			a.warnf("no --clients-nats: serve keeps no read-only copy of the streams for the clients' account (see \"ledger accounts\")")
		}
		reg, err := access.Open(a.tokensFile())
		if err != nil {
			return err
		}
		a.access = reg
		if a.natsURL == "" {
			reg.EnableLocal()
		}
		if reg.Local() {
			if err := localOnly("--nats-listen", a.listen); err != nil {
				return err
			}
			if a.web.addr != "off" {
				if err := localOnly("--http", a.web.addr); err != nil {
					return err
				}
			}
		}
		s, err := a.open(ctx)
		if err != nil {
			return err
		}
		reg.OnRevoke(func(t access.Token) { _, _ = s.Disconnect(t.ID) })
		go reg.Watch(ctx, tokenWatch)
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
			where = "NATS at " + redactURL(s.ClientURL())
		}
		fmt.Fprintf(a.stdout, "ledger serving (%s)\n", where)
		if u := s.ClientURL(); u != "" && s.Embedded() {
			fmt.Fprintf(a.stdout, "NATS clients: %s   (try: nats --server %s micro info %s)\n", u, u, service.Name)
		}
		switch {
		case !s.Embedded():
			fmt.Fprintf(a.stdout, "NATS users are the operator's (see \"ledger accounts\"): each decides as itself; the tokens in %s sign in HTTP callers and say who may act for others\n", reg.Path())
		case reg.Local():
			fmt.Fprintln(a.stdout, "local mode: no tokens, so serve answers on loopback only and whoever uses it names who decides (--as, X-Ledger-Actor); to serve a team, make tokens with \"ledger token add ACTOR\"")
		default:
			fmt.Fprintf(a.stdout, "tokens from %s: every caller signs in (HTTP: Authorization: Bearer TOKEN; NATS: --user ACTOR --password TOKEN) and decides as its token's actor\n", reg.Path())
		}
		stops, err := a.startBackground(ctx)
		if err != nil {
			return err
		}
		if a.instance != "" {
			fmt.Fprintf(a.stdout, "instance %s: writes the products whose lease it holds in %s, and sends the decisions about the others to the instance that holds theirs\n", a.instance, eventstore.OwnersBucket)
		}
		fmt.Fprintf(a.stdout, "NATS service %q: %s (commands), %s (imports) and %s<view> (try: nats micro info %s)\n", service.Name, service.CommandSubject, service.ImportSubject, service.ViewPrefix, service.Name)
		fmt.Fprintf(a.stdout, "in another terminal: ledger log%s   |   stop with Ctrl-C\n", a.dataHint())
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

// tokenWatch is how often serve looks at the tokens file: a revoked
// token's connections close within it.
const tokenWatch = 250 * time.Millisecond

// localOnly refuses a non-loopback address in local mode: without tokens
// anyone who reaches serve could decide as anyone.
func localOnly(flag, addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("%s %q is not host:port: %v", flag, addr, err)
	}
	ip := net.ParseIP(host)
	if host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return usagef("%s %s is not a loopback address: without tokens serve is a single-user tool, and anyone who reached it could decide as anyone; listen on 127.0.0.1, or make tokens with \"ledger token add ACTOR\" first", flag, addr)
}

// dataHint is what a command run in another terminal needs to find this
// ledger: --data and the data directory, always and absolute (a relative
// or default one names another directory from another working directory,
// and LEDGER_DATA may not be set there); with --nats, the NATS system
// instead, without serve's own credentials, which are not the caller's.
func (a *app) dataHint() string {
	if a.natsURL != "" {
		return " --nats " + withoutUser(a.natsURL) + "   (as your own NATS user)"
	}
	dir := a.dataDir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return " --data " + shellQuote(dir)
}

// withoutUser writes NATS URLs (comma-separated) without their user and
// password; one that does not parse is redacted instead.
func withoutUser(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.Host == "" {
			parts[i] = redactURL(p)
			continue
		}
		u.User = nil
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:@%,=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// redactURL hides the passwords in NATS URLs printed for a user.
func redactURL(u string) string {
	out := []byte(u)
	for i := 0; i < len(out); i++ {
		if out[i] == '@' {
			j := i
			for j > 0 && out[j-1] != ':' && out[j-1] != '/' && out[j-1] != ',' {
				j--
			}
			if j > 0 && out[j-1] == ':' {
				for k := j; k < i; k++ {
					out[k] = '*'
				}
			}
		}
	}
	return string(out)
}

func (a *app) accountsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "accounts",
		Short: "Print the NATS accounts an operator configures to run the ledger on a NATS cluster (--nats)",
		Long: `accounts prints the accounts block to put in the configuration of every
server of a NATS system that runs the ledger with --nats. It is the layout
the embedded server uses: the account ` + eventstore.StoreAccount + ` holds the streams and
buckets and is used by serve alone; ` + eventstore.ClientsAccount + ` is every other client's,
imports the ledger's service with the caller's identity shared, and holds
read-only copies of LEDGER and LEDGER_CHECKPOINTS, which serve keeps as the
user ledger-copier (serve --clients-nats). Passwords come from the
environment of the servers ($LEDGER_SERVE_PASSWORD, $LEDGER_COPIER_PASSWORD,
one per person or tool): the NATS user name is the actor.`,
		Example: `  ledger accounts > ledger-accounts.conf      # then: include ledger-accounts.conf in nats-server.conf
  ledger serve --nats nats://ledger-serve:$LEDGER_SERVE_PASSWORD@nats-1:4222 \
               --clients-nats nats://ledger-copier:$LEDGER_COPIER_PASSWORD@nats-1:4222 --replicas 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), eventstore.OperatorAccounts())
			return err
		},
	}
}
