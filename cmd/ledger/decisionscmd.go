// The decision query: "ledger decisions", and the filter flags it shares
// with "ledger audit export".

package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// decisionFlags are the filter flags of a decision query.
type decisionFlags struct {
	types                                     []string
	item, epic, roadmap, request, actor, role string
	reason, from, to, asOf                    string
	overrides, outside, quarantined           bool
}

// add registers the flags on fs; withPeriod false leaves out --from and
// --to, for a command that has them already.
func (d *decisionFlags) add(fs *pflag.FlagSet, withPeriod bool) {
	fs.StringArrayVar(&d.types, "type", nil, "only this kind of decision: a short name (ranked, rejected, rescheduled, accepted, ...) or a type name; repeatable")
	fs.StringVar(&d.item, "item", "", "only decisions about this backlog item")
	fs.StringVar(&d.epic, "epic", "", "only the epic's decisions and those of every item under it when they were taken")
	fs.StringVar(&d.roadmap, "roadmap", "", "only decisions about this roadmap item")
	fs.StringVar(&d.request, "request", "", "only decisions about this request")
	fs.StringVar(&d.actor, "actor", "", "only decisions taken by this actor")
	fs.StringVar(&d.role, "role", "", "only decisions taken in this role: pm, po, stakeholder, team")
	fs.StringVar(&d.reason, "reason", "", "only rejections with this reason code (out-of-scope, low-value, duplicate, ...)")
	if withPeriod {
		fs.StringVar(&d.from, "from", "", "only decisions taken at or after this time, included: YYYY-MM-DD (midnight UTC at its start) or RFC 3339")
		fs.StringVar(&d.to, "to", "", "only decisions taken before this time, excluded: YYYY-MM-DD (midnight UTC at its start: that day is not in) or RFC 3339")
	}
	fs.BoolVar(&d.overrides, "overrides", false, "only rank decisions that jumped over an item with a higher score")
	fs.BoolVar(&d.quarantined, "quarantined", false, "instead of decisions, the events the validating fold refused (no rule allowed them), with why")
	fs.BoolVar(&d.outside, "outside-authority", false, "only imported decisions taken in the tracker by someone without the role the rules require")
	fs.StringVar(&d.asOf, "as-of", "", "what the ledger held at a date (end of that day, UTC), an RFC 3339 time, or seq:N")
}

// filtered reports whether a filter besides the period was given.
func (d *decisionFlags) filtered() bool {
	return len(d.types) > 0 || d.item != "" || d.epic != "" || d.roadmap != "" || d.request != "" || d.actor != "" ||
		d.role != "" || d.reason != "" || d.overrides || d.outside || d.quarantined || d.asOf != ""
}

// filter is the flags as the decisions view's filter.
func (d *decisionFlags) filter() query.DecisionsFilter {
	return query.DecisionsFilter{Types: d.types, Item: d.item, Epic: d.epic, Roadmap: d.roadmap, Request: d.request,
		Actor: d.actor, Role: d.role, Reason: d.reason, From: d.from, To: d.to, Overrides: d.overrides, OutsideAuthority: d.outside, Quarantined: d.quarantined, AsOf: d.asOf}
}

// options are the view's options.
func (d *decisionFlags) options() query.Options {
	return query.Options{Type: d.types, Item: d.item, Epic: d.epic, Roadmap: d.roadmap, Request: d.request,
		Actor: d.actor, Role: d.role, Reason: d.reason, From: d.from, To: d.to, Overrides: d.overrides, OutsideAuthority: d.outside, Quarantined: d.quarantined, AsOf: d.asOf}
}

func (a *app) decisionsCommand() *cobra.Command {
	var df decisionFlags
	var csvOut bool
	c := &cobra.Command{
		Use:   "decisions [filters]",
		Short: "List the decisions that match filters: who decided what, in which role, when, why, and what changed",
		Long: `decisions lists every recorded decision that matches all the filters given, in
stream order: its sequence, time, type, subject, actor and role, why, reason
code, what it changed ("rank 4 -> 1"), and on rank decisions the score and the
items it jumped over although their score was higher (an override).

Filters combine: --type may be repeated (any of them matches), the others must
all hold. --epic follows the hierarchy as it stood when each decision was taken.
--from and --to are the range [from, to) of business time (when the decision was
taken): --from included, --to excluded, and a date is midnight UTC at its start
on both ends, so --from 2026-05-01 --to 2026-06-01 is May, as for diff and
audit export. --as-of answers from what the ledger held at that moment.

To prove such a list complete to someone who does not trust the ledger, export
it with the same filters: "ledger audit export ... --out DIR", then
"ledger audit check DIR --key audit.pub".`,
		Example: `  # every priority change in the CARDS epic in 2026, who made it and why
  ledger decisions --epic CARDS --type ranked --from 2026-01-01 --to 2027-01-01

  # rank decisions that overrode a higher score
  ledger decisions --overrides

  # who turned requests down as duplicates, as JSON lines or CSV
  ledger decisions --type rejected --reason duplicate --json
  ledger decisions --type rejected --csv > rejections.csv

  # what nina decided as Product Owner in May
  ledger decisions --actor nina --role po --from 2026-05-01 --to 2026-06-01`,
		Args: cobra.NoArgs,
	}
	df.add(c.Flags(), true)
	c.Flags().BoolVar(&csvOut, "csv", false, "print CSV (RFC 4180) with a header row")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if csvOut && a.jsonOut {
			return usagef("--csv and --json exclude each other: choose one")
		}
		a.asOfText = asOfLabel(df.asOf)
		var v query.Decisions
		if err := a.view(cmd.Context(), query.ViewDecisions, df.options(), &v); err != nil {
			return err
		}
		switch {
		case a.jsonOut:
			enc := json.NewEncoder(a.stdout)
			for _, r := range v.Decisions {
				if err := enc.Encode(r); err != nil {
					return err
				}
			}
			a.printWarnings(v.Warnings)
			return nil
		case csvOut:
			return a.printDecisionsCSV(v)
		}
		a.printMeta(v.Meta)
		tab := &table{header: []string{"SEQ", "DATE", "TYPE", "ID", "ACTOR", "CHANGED", "WHY"}, limits: map[int]int{3: 10, 5: 22}}
		for _, r := range v.Decisions {
			tab.add(fmt.Sprint(r.Seq), r.At.Format("2006-01-02"), domain.ShortType(r.Type), r.ID, actorOf(r), changedOf(r), whyOf(r))
		}
		if err := tab.print(a.stdout, tableWidth(a.stdout)); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "%d decision(s): %s\n", len(v.Decisions), v.Filter)
		return nil
	}
	return c
}

func actorOf(r query.DecisionRow) string {
	if r.Role == "" {
		return r.Actor
	}
	return r.Actor + " (" + string(r.Role) + ")"
}

// changedOf is the change column: the changes, and an override marked.
func changedOf(r query.DecisionRow) string {
	s := strings.Join(r.Changes, "; ")
	if len(r.Overrides) > 0 {
		s = "OVERRIDE " + s
	}
	return s
}

func whyOf(r query.DecisionRow) string {
	if r.Reason != "" {
		return "[" + string(r.Reason) + "] " + r.Why
	}
	return r.Why
}

func (a *app) printDecisionsCSV(v query.Decisions) error {
	if err := query.WriteCSV(a.stdout, false, query.CSVHeader, v.CSVRows()); err != nil {
		return err
	}
	a.printWarnings(v.Warnings)
	return nil
}
