package main

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/decisionledger/ledger/command"
)

// whyRule says whether a write command needs a rationale.
type whyRule int

const (
	whyRequired whyRule = iota
	whyOptional
)

// writeSpec describes one write command. Its action is the command's
// path with a dot ("item rank" is item.rank), and its args are the
// positional arguments (named by args) and every flag the user set, under
// the flag's long name: the CLI sends the same request as any other edge.
type writeSpec struct {
	use, short, example string
	args                []string // JSON names of the positional arguments ("id"; "actor", "role")
	why                 whyRule
	whyHelp             string
	flags               func(c *cobra.Command)
}

// writeCommand builds a command that records one decision. Every write
// command takes --at, --why and --command-id.
func (a *app) writeCommand(s writeSpec) *cobra.Command {
	var at, cmdID string
	c := &cobra.Command{
		Use:     s.use,
		Short:   s.short,
		Example: s.example,
		Args:    positional(len(s.args), s.use),
	}
	whyHelp := s.whyHelp
	if whyHelp == "" {
		whyHelp = "rationale for the decision"
	}
	if s.why == whyRequired {
		whyHelp += " (required)"
	}
	c.Flags().String("why", "", whyHelp)
	c.Flags().StringVar(&at, "at", "", "when the decision was taken: RFC 3339 or YYYY-MM-DD (default now; never before the product's latest event)")
	c.Flags().StringVar(&cmdID, "command-id", "", "idempotency key: a retry with the same id is recorded once (default a fresh id)")
	if s.flags != nil {
		s.flags(c)
	}
	c.RunE = func(cmd *cobra.Command, pos []string) error {
		args, err := argsOf(cmd, s.args, pos)
		if err != nil {
			return err
		}
		return a.record(cmd, command.Request{
			Action:    cmd.Parent().Name() + "." + cmd.Name(),
			At:        at,
			CommandID: cmdID,
			Args:      args,
		})
	}
	return c
}

// argsOf builds a request's args: the positional arguments under their
// names and every flag the user set (but --at and --command-id, which are
// the request's own) under its long name, typed as the flag is.
func argsOf(cmd *cobra.Command, names, pos []string) (json.RawMessage, error) {
	args := map[string]any{}
	for i, name := range names {
		args[name] = pos[i]
	}
	var err error
	local := cmd.LocalNonPersistentFlags()
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "at" || f.Name == "command-id" || local.Lookup(f.Name) == nil || err != nil {
			return
		}
		switch f.Value.Type() {
		case "bool":
			args[f.Name], err = cmd.Flags().GetBool(f.Name)
		case "float64":
			args[f.Name], err = cmd.Flags().GetFloat64(f.Name)
		case "stringArray":
			args[f.Name], err = cmd.Flags().GetStringArray(f.Name)
		default:
			args[f.Name] = f.Value.String()
		}
	})
	if err != nil {
		return nil, err
	}
	return command.MarshalArgs(args)
}

// positional checks the positional arguments with a message that shows
// the expected form.
func positional(want int, use string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == want {
			return nil
		}
		if len(args) < want {
			return usagef("missing %s: usage is \"%s %s\" (see \"%s --help\")", missingWhat(len(args), use), cmd.Parent().CommandPath(), use, cmd.CommandPath())
		}
		return usagef("%s takes %d argument(s), got %d: %s (quote text that has spaces)", cmd.CommandPath(), want, len(args), strings.Join(args, " "))
	}
}

// missingWhat names the first missing positional argument from the usage line.
func missingWhat(got int, use string) string {
	fields := strings.Fields(use)
	if 1+got < len(fields) {
		return fields[1+got]
	}
	return "argument"
}

// record sends one decision to the core and prints what it wrote.
func (a *app) record(cmd *cobra.Command, r command.Request) error {
	ctx := cmd.Context()
	if a.actor == "" && a.token == "" && !strings.Contains(a.natsURL, "@") {
		return usagef("who is deciding? pass --as ACTOR or set LEDGER_ACTOR (or sign in with --token, and the token's actor decides)")
	}
	r.Actor = a.actor
	if r.CommandID == "" {
		r.CommandID = command.NewID()
	}
	if err := r.CheckText(); err != nil {
		return err
	}
	if r.Action != "product.create" {
		var err error
		if r.Product, err = a.product(ctx); err != nil {
			return err
		}
	} else {
		r.Product = a.productID
	}
	c, err := a.core(ctx)
	if err != nil {
		return err
	}
	out, err := c.Do(ctx, r)
	if err != nil {
		return err
	}
	return a.printResult(out)
}

func (a *app) printResult(res command.Output) error {
	if a.jsonOut {
		return a.printJSON(res)
	}
	if res.Duplicate {
		a.printf("already recorded (command first written at sequence %d): nothing new written\n", res.FirstSeq)
		return nil
	}
	for _, e := range res.Events {
		role := ""
		if e.Actor.Role != "" {
			role = " (" + string(e.Actor.Role) + ")"
		}
		via := ""
		if e.RelayedBy != "" {
			via = " via " + e.RelayedBy
		}
		a.printf("recorded #%d %s %s/%s by %s%s%s at %s\n", e.Seq, e.Type, e.Aggregate.Kind, e.Aggregate.ID,
			e.Actor.ID, role, via, e.OccurredAt.Format(time.RFC3339))
	}
	return nil
}

// group returns a command that only holds subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, RunE: groupRunE, Args: cobra.ArbitraryArgs}
	c.AddCommand(subs...)
	return c
}

// placementFlags adds the mutually exclusive --top/--bottom/--above/--below.
func placementFlags(c *cobra.Command, what string) {
	c.Flags().Bool("top", false, "move to the top")
	c.Flags().Bool("bottom", false, "move to the bottom")
	c.Flags().String("above", "", "move directly above this "+what)
	c.Flags().String("below", "", "move directly below this "+what)
	c.MarkFlagsMutuallyExclusive("top", "bottom", "above", "below")
	c.MarkFlagsOneRequired("top", "bottom", "above", "below")
}
