package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
)

// whyRule says whether a write command needs a rationale.
type whyRule int

const (
	whyRequired whyRule = iota
	whyOptional
)

// writeSpec describes one write command.
type writeSpec struct {
	use, short, example string
	arg                 string // name of the single positional argument ("ID"), or "" for none
	extraArgs           int    // further positional arguments (role assign ACTOR ROLE)
	why                 whyRule
	whyHelp             string
	flags               func(c *cobra.Command)
	build               func(args []string) (domain.Action, error)
}

// writeCommand builds a command that records one decision. Every write
// command takes --at, --why and --command-id.
func (a *app) writeCommand(s writeSpec) *cobra.Command {
	var at, why, cmdID string
	c := &cobra.Command{
		Use:     s.use,
		Short:   s.short,
		Example: s.example,
		Args:    positional(s.arg, s.extraArgs, s.use),
	}
	whyHelp := s.whyHelp
	if whyHelp == "" {
		whyHelp = "rationale for the decision"
	}
	if s.why == whyRequired {
		whyHelp += " (required)"
	}
	c.Flags().StringVar(&why, "why", "", whyHelp)
	c.Flags().StringVar(&at, "at", "", "when the decision was taken: RFC 3339 or YYYY-MM-DD (default now; never before the product's latest event)")
	c.Flags().StringVar(&cmdID, "command-id", "", "idempotency key: a retry with the same id is recorded once (default a fresh id)")
	if s.flags != nil {
		s.flags(c)
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		action, err := s.build(args)
		if err != nil {
			return err
		}
		var when time.Time
		if at != "" {
			if when, err = parseTime("at", at); err != nil {
				return err
			}
		}
		return a.record(cmd, action, when, why, cmdID)
	}
	return c
}

// positional checks the positional arguments with a message that shows
// the expected form.
func positional(arg string, extra int, use string) cobra.PositionalArgs {
	want := extra
	if arg != "" {
		want++
	}
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == want {
			return nil
		}
		if len(args) < want {
			return usagef("missing %s: usage is \"%s %s\" (see \"%s --help\")", missingWhat(arg, extra, len(args), use), cmd.Parent().CommandPath(), use, cmd.CommandPath())
		}
		return usagef("%s takes %d argument(s), got %d: %s (quote text that has spaces)", cmd.CommandPath(), want, len(args), strings.Join(args, " "))
	}
}

// missingWhat names the first missing positional argument from the usage line.
func missingWhat(arg string, extra, got int, use string) string {
	fields := strings.Fields(use)
	if 1+got < len(fields) {
		return fields[1+got]
	}
	return arg
}

// record executes one command and prints what it wrote.
func (a *app) record(cmd *cobra.Command, action domain.Action, at time.Time, why, cmdID string) error {
	ctx := cmd.Context()
	if a.actor == "" {
		return usagef("who is deciding? pass --as ACTOR or set LEDGER_ACTOR")
	}
	if cmdID == "" {
		cmdID = ulid.Make().String()
	}
	var product string
	if cp, ok := action.(domain.CreateProduct); ok {
		_ = cp
		if a.productID == "" {
			return usagef("product create needs the product id as its argument")
		}
		product = a.productID
	} else {
		var err error
		if product, err = a.product(ctx); err != nil {
			return err
		}
	}
	if _, err := a.open(ctx); err != nil {
		return err
	}
	res, err := a.handler.Execute(ctx, domain.Command{
		ID: cmdID, Product: product, Actor: a.actor, At: at, Why: why, Action: action,
	})
	if err != nil {
		return err
	}
	return a.printResult(res)
}

// recordedEvent is the JSON form of a recorded event: its envelope and its
// stream sequence.
type recordedEvent struct {
	Seq uint64 `json:"seq"`
	domain.Event
}

func (a *app) printResult(res command.Result) error {
	if res.Duplicate {
		if a.jsonOut {
			return a.printJSON(map[string]any{"duplicate": true, "firstSeq": res.FirstSeq, "events": []recordedEvent{}})
		}
		a.printf("already recorded (command first written at sequence %d): nothing new written\n", res.FirstSeq)
		return nil
	}
	if a.jsonOut {
		out := make([]recordedEvent, len(res.Events))
		for i, e := range res.Events {
			out[i] = recordedEvent{Seq: e.Seq, Event: e}
		}
		return a.printJSON(map[string]any{"duplicate": false, "events": out})
	}
	for _, e := range res.Events {
		role := ""
		if e.Actor.Role != "" {
			role = " (" + string(e.Actor.Role) + ")"
		}
		a.printf("recorded #%d %s %s/%s by %s%s at %s\n", e.Seq, e.Type, e.Aggregate.Kind, e.Aggregate.ID,
			e.Actor.ID, role, e.OccurredAt.Format(time.RFC3339))
	}
	return nil
}

// group returns a command that only holds subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, RunE: groupRunE, Args: cobra.ArbitraryArgs}
	c.AddCommand(subs...)
	return c
}

// placement reads the mutually exclusive --top/--bottom/--above/--below.
type placement struct {
	top, bottom  bool
	above, below string
}

func (p *placement) flags(c *cobra.Command, what string) {
	c.Flags().BoolVar(&p.top, "top", false, "move to the top")
	c.Flags().BoolVar(&p.bottom, "bottom", false, "move to the bottom")
	c.Flags().StringVar(&p.above, "above", "", "move directly above this "+what)
	c.Flags().StringVar(&p.below, "below", "", "move directly below this "+what)
	c.MarkFlagsMutuallyExclusive("top", "bottom", "above", "below")
	c.MarkFlagsOneRequired("top", "bottom", "above", "below")
}

func (p *placement) position() domain.Position {
	switch {
	case p.top:
		return domain.Position{Place: domain.PlaceTop}
	case p.bottom:
		return domain.Position{Place: domain.PlaceBottom}
	case p.above != "":
		return domain.Position{Place: domain.PlaceAbove, Ref: p.above}
	case p.below != "":
		return domain.Position{Place: domain.PlaceBelow, Ref: p.below}
	}
	return domain.Position{}
}

// parseScore reads FRAMEWORK:k=v,... such as RICE:reach=500,impact=2,confidence=0.8,effort=3.
func parseScore(s string) (*domain.Score, error) {
	fw, rest, ok := strings.Cut(s, ":")
	if !ok || fw == "" || rest == "" {
		return nil, usagef("--score %q: write FRAMEWORK:key=value,... such as RICE:reach=500,impact=2,confidence=0.8,effort=3 or WSJF:bv=8,tc=5,rr=3,size=5", s)
	}
	in := map[string]float64{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(kv, "=")
		var f float64
		if _, err := fmt.Sscanf(v, "%g", &f); !ok || err != nil {
			return nil, usagef("--score: %q is not key=number", kv)
		}
		in[strings.TrimSpace(k)] = f
	}
	return &domain.Score{Framework: fw, Inputs: in}, nil
}
