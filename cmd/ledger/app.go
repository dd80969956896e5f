package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
)

// app holds the global flags and the store, opened on first use so that
// --help and usage errors never start a server.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	dataDir   string
	natsURL   string
	replicas  int
	productID string
	actor     string
	jsonOut   bool
	timeout   time.Duration
	token     string // --token: the caller's credential on a NATS or a serve it connects to
	// instance is serve's id among the instances sharing a NATS system
	// (--nats), the value of the product leases it holds; empty otherwise.
	instance string

	store   *eventstore.Store
	handler *command.Handler
	theCore core // the core commands call, chosen on first use
	now     func() time.Time
	listen  string // set by serve's RunE before the store opens: only serve listens

	asOfText string // the --as-of position as the user wrote it, for headers
	logTab   *table // log: the table its pages are printed in

	stopAt time.Time // serve: when it was asked to stop (see stopGrace)

	snapshotEvery int // serve: snapshot the views every N events

	checkpointEvery    int           // serve: sign a checkpoint every N events
	checkpointInterval time.Duration // serve: or at this interval

	web webFlags // serve: the HTTP API and dashboard (token.go)

	access     *access.Registry // serve: who the callers are, by their tokens
	clientsURL string           // serve --clients-nats: where it keeps the clients' copies
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	a := &app{stdin: stdin, stderr: &textWriter{w: stderr, raw: new(bool)}, now: time.Now}
	a.stdout = &textWriter{w: stdout, raw: &a.jsonOut}
	return a
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "ledger",
		Short: "Record every product decision as an immutable event, and explain it later",
		Long: `ledger records backlog changes, priority decisions and stakeholder requests as
immutable events on a NATS JetStream stream, enforcing who may decide what
(Product Manager, Product Owner, stakeholders, team), and rebuilds the backlog,
the roadmap and the reasons behind every decision from them.

By default the store is an embedded NATS server with its data in ./ledger-data.
Start with:  ledger serve --demo   (then, in another terminal, ledger log)`,
		Example: `  ledger product create checkout --name Checkout --pm pam --po olga --as pam
  ledger item add PAY-1 --title "Card form" -p checkout --as olga
  ledger item rank PAY-1 --top --why "Biggest drop-off in the funnel" -p checkout --as olga
  ledger log -p checkout`,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE:          groupRunE,
		Args:          cobra.ArbitraryArgs,
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	f := root.PersistentFlags()
	f.StringVar(&a.dataDir, "data", envOr("LEDGER_DATA", "./ledger-data"), "data directory of the embedded store (env LEDGER_DATA)")
	f.StringVar(&a.natsURL, "nats", os.Getenv("LEDGER_NATS"), "use the NATS server or cluster at this URL instead of the embedded store (env LEDGER_NATS)")
	f.IntVar(&a.replicas, "replicas", 1, "stream replicas when creating the stream on a cluster (with --nats)")
	f.StringVarP(&a.productID, "product", "p", os.Getenv("LEDGER_PRODUCT"), "product id; optional when the ledger holds one product (env LEDGER_PRODUCT)")
	f.StringVar(&a.actor, "as", os.Getenv("LEDGER_ACTOR"), "who is deciding, for write commands (env LEDGER_ACTOR)")
	f.BoolVar(&a.jsonOut, "json", false, "print JSON instead of text")
	f.StringVar(&a.token, "token", os.Getenv("LEDGER_TOKEN"), "sign in to a \"ledger serve\" or a NATS system with this token (env LEDGER_TOKEN; made by \"ledger token add\"); on the machine that holds the data directory the CLI signs in by itself")
	f.DurationVar(&a.timeout, "timeout", 10*time.Second, "how long to wait for a running \"ledger serve\" to answer (a write it does not confirm in time has an unknown outcome, retried safely with --command-id), or, without serve, for the other commands using the data directory to finish (exit 4 when they do not)")
	root.SetFlagErrorFunc(flagError)

	root.AddGroup(
		&cobra.Group{ID: "write", Title: "Record decisions:"},
		&cobra.Group{ID: "read", Title: "Read the ledger:"},
		&cobra.Group{ID: "run", Title: "Run and maintain:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("write", a.productCommand(), a.roleCommand(), a.visionCommand(), a.goalCommand(),
		a.roadmapCommand(), a.itemCommand(), a.requestCommand())
	add("read", a.logCommand())
	add("run", a.serveCommand(), a.demoCommand(), a.accountsCommand())
	for _, c := range a.extraCommands() {
		if c.GroupID == "" {
			c.GroupID = "read"
		}
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("run")
	return root
}

// open opens the store (embedded, shared with a running serve, or a
// remote NATS) and the command handler over it.
func (a *app) open(ctx context.Context) (*eventstore.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	sign, verify, err := a.eventKeys()
	if err != nil {
		return nil, err
	}
	opt := eventstore.Options{
		DataDir:    a.dataDir,
		URL:        a.natsURL,
		Replicas:   a.replicas,
		Listen:     a.listen,
		LockWait:   a.timeout,
		Name:       "ledger",
		Sign:       sign,
		Verify:     verify,
		Token:      a.token,
		LocalUser:  access.LocalActor,
		ClientsURL: a.clientsURL,
		Warnf:      a.warnf,
		Debug:      os.Getenv("LEDGER_NATS_DEBUG") != "",
	}
	if a.access != nil {
		opt.Clients = tokenAuth{a.access}
	}
	s, err := eventstore.Open(ctx, opt)
	if err != nil {
		return nil, err
	}
	a.store = s
	every := command.DefaultSnapshotEvery
	if a.snapshotEvery > 0 {
		every = a.snapshotEvery // serve's --snapshot-every
	}
	a.handler = command.New(s, a.now,
		command.WithSnapshots(s.WriteStates(), every),
		command.WithWarnings(func(err error) { a.warnf("%s", err) }),
	)
	return s, nil
}

// close stores the write-state snapshots being stored and closes the
// store; for serve once it is stopping, only until stopLimit.
func (a *app) close() {
	var steps []stopStep
	if h := a.handler; h != nil {
		steps = append(steps, stopStep{"write-state snapshots being stored", h.Wait})
	}
	if s := a.store; s != nil {
		steps = append(steps, stopStep{"closing the store", func() { _ = s.Close() }})
		a.store = nil
	}
	a.abandon(stopInTurn(steps, a.deadline(stopLimit)), stopLimit)
}

// product resolves the product: the flag, or the only product there is.
func (a *app) product(ctx context.Context) (string, error) {
	if a.productID != "" {
		return a.productID, domain.CheckID("product", a.productID)
	}
	s, err := a.open(ctx)
	if err != nil {
		return "", err
	}
	_ = s
	c, err := a.core(ctx)
	if err != nil {
		return "", err
	}
	var list query.Products
	if err := c.View(ctx, query.ViewProducts, query.Options{}, &list); err != nil {
		return "", err
	}
	ps := list.Products
	switch len(ps) {
	case 0:
		return "", usagef("the ledger has no product yet: create one with \"ledger product create ID --name N --pm ACTOR --po ACTOR --as ACTOR\", or run \"ledger demo\"")
	case 1:
		a.productID = ps[0]
		return ps[0], nil
	}
	sort.Strings(ps)
	return "", usagef("which product? pass -p ID or set LEDGER_PRODUCT (products: %s)", strings.Join(ps, ", "))
}

// printJSON writes v as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}

// warnf writes a warning line to stderr.
func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "warning: "+format+"\n", args...)
}

// flagError turns pflag's errors into usage errors with a suggestion.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if s := closestFlag(cmd, name); s != "" {
			msg += fmt.Sprintf("; did you mean --%s?", s)
		}
	}
	return &usageError{msg: fmt.Sprintf("%s (see \"%s --help\")", msg, cmd.CommandPath())}
}

// closestFlag returns the flag of cmd nearest to name, if close enough.
func closestFlag(cmd *cobra.Command, name string) string {
	best, bestD := "", 3
	visit := func(f *pflag.Flag) {
		if d := levenshtein(name, f.Name); d < bestD || (strings.HasPrefix(f.Name, name) && bestD > 1) {
			best, bestD = f.Name, min(d, 1)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// groupRunE runs for a command that only groups subcommands: without
// arguments it shows help; with one it suggests the subcommand meant.
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return usagef("%s (commands: %s)", msg, strings.Join(names, ", "))
}

// isCobraUsage recognises cobra's own usage errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag",
		"accepts ", "requires ", "invalid argument", "flag needs an argument", "if any flags in the group", "none of the others can be", "at least one of the flags"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func suggestFix(root *cobra.Command, args []string, err error) string {
	msg := oneLine(err.Error())
	if cmd, _, ferr := root.Find(args); ferr == nil && cmd != nil {
		return fmt.Sprintf("%s (see \"%s --help\")", msg, cmd.CommandPath())
	}
	return msg
}

// parseTime reads a time flag of a command that does not go through the
// core (audit export): RFC 3339 or YYYY-MM-DD.
func parseTime(flag, s string) (time.Time, error) {
	t, err := command.ParseTime(flag, s)
	if err != nil {
		return t, usagef("--%s %q is not a time: write 2026-04-01 or 2026-04-01T14:30:00Z", flag, s)
	}
	return t, nil
}

// tokenAuth lets the embedded server's listener authenticate clients by
// the tokens of the access registry.
type tokenAuth struct{ r *access.Registry }

func (t tokenAuth) Authenticate(user, secret string) (actor, key string, ok bool) {
	id, ok := t.r.Authenticate(user, secret)
	return id.Actor, id.TokenID, ok
}

func (t tokenAuth) Local() bool { return t.r.Local() }
