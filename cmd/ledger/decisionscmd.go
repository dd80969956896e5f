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

// decisionFlags are the decision filters as flags, from the catalogue's
// decisions view: "ledger decisions" and "ledger audit export" share them.
type decisionFlags struct {
	f *viewFlags
	// from and to are set by a command that has flags of its own for
	// them (audit export).
	from, to string
}

// add registers the flags on fs; withPeriod false leaves out --from and
// --to, for a command that has them already.
func (d *decisionFlags) add(fs *pflag.FlagSet, withPeriod bool) {
	var skip []string
	if !withPeriod {
		skip = []string{"from", "to"}
	}
	d.f = bindView(query.ViewDecisions, fs, skip...)
}

// options are the filters given, as the view's options.
func (d *decisionFlags) options() query.Options {
	o, _ := d.f.options(nil) // the decisions view requires nothing, and flags parse as their options
	if d.from != "" || d.to != "" {
		o.From, o.To = d.from, d.to
	}
	return o
}

// filtered reports whether a filter besides the period was given.
func (d *decisionFlags) filtered() bool {
	o := d.options()
	for _, p := range query.DecisionParams() {
		if p.Name != "from" && p.Name != "to" && p.Get(o) != nil {
			return true
		}
	}
	return false
}

// filter is the flags as the decisions view's filter.
func (d *decisionFlags) filter() query.DecisionsFilter { return d.options().DecisionsFilter() }

func (a *app) decisionsCommand() *cobra.Command {
	return viewCommand(a, viewSpec[query.Decisions]{view: query.ViewDecisions, use: "decisions [filters]",
		short: "List the decisions that match filters: who decided what, in which role, when, why, and what changed",
		long: `decisions lists every recorded decision that matches all the filters given, in
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
		example: `  # every priority change in the CARDS epic in 2026, who made it and why
  ledger decisions --epic CARDS --type ranked --from 2026-01-01 --to 2027-01-01

  # rank decisions that overrode a higher score
  ledger decisions --overrides

  # who turned requests down as duplicates, as JSON lines or CSV
  ledger decisions --type rejected --reason duplicate --json
  ledger decisions --type rejected --csv > rejections.csv

  # what nina decided as Product Owner in May
  ledger decisions --actor nina --role po --from 2026-05-01 --to 2026-06-01`,
		jsonLines: func(a *app, v query.Decisions) error {
			enc := json.NewEncoder(a.stdout)
			for _, r := range v.Decisions {
				if err := enc.Encode(r); err != nil {
					return err
				}
			}
			return nil
		},
		text: func(a *app, v query.Decisions, _ query.Options) error {
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
		}})
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
