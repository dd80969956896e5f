package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// printMeta writes the warnings of a view to stderr, so that stdout stays
// a clean table, and for an as-of view the position it stopped at, naming
// the position as the user wrote it.
func (a *app) printMeta(m query.Meta) {
	for _, w := range m.Warnings {
		a.warnf("%s", w)
	}
	if m.AsOf != "" {
		at := ""
		if m.At != nil {
			at = " (" + formatTime(*m.At) + ")"
		}
		fmt.Fprintf(a.stdout, "as of %s: stopped at sequence %d%s, event %d of the product\n", a.asOfText, m.Position, at, m.Events)
	}
}

func (a *app) showCommand() *cobra.Command {
	show := &cobra.Command{
		Use:   "show backlog|roadmap|requests|saydo|overview|quarantine|metrics",
		Short: "Show the backlog, the roadmap, the requests, the say/do per period, the overview, the quarantined events or the metrics, now or as of a past date",
		Long:  `show prints one view of the product, now or --as-of a past date.`,
		Example: `  ledger show backlog
  ledger show backlog --status all --json
  ledger show roadmap --as-of 2026-04-01
  ledger show requests --status rejected --requester sally
  ledger show requests --status pending --sort waiting   # the longest waiting first
  ledger show saydo -p firefox`,
		RunE: groupRunE,
		Args: cobra.ArbitraryArgs,
	}
	show.AddCommand(
		viewCommand(a, viewSpec[query.Backlog]{view: query.ViewBacklog, use: "backlog",
			short: "Show the backlog in rank order, each item with its status, score and last decision",
			example: `  ledger show backlog
  ledger show backlog --status all --json
  ledger show backlog --as-of 2026-04-01 --csv > backlog.csv`,
			text: func(a *app, v query.Backlog, _ query.Options) error { return a.printBacklog(v) }}),
		viewCommand(a, viewSpec[query.Roadmap]{view: query.ViewRoadmap, use: "roadmap",
			short: "Show the roadmap: periods in time order, items in the PM's order",
			example: `  ledger show roadmap
  ledger show roadmap --as-of 2026-04-01`,
			text: func(a *app, v query.Roadmap, _ query.Options) error { return a.printRoadmap(v) }}),
		viewCommand(a, viewSpec[query.Requests]{view: query.ViewRequests, use: "requests",
			short: "Show the requests, oldest first, with their fate, reason and wait",
			example: `  ledger show requests --status rejected --requester sally
  ledger show requests --status pending --sort waiting   # the longest waiting first
  ledger show requests --status pending --json`,
			text: func(a *app, v query.Requests, _ query.Options) error { return a.printRequests(v) }}),
		viewCommand(a, viewSpec[query.SayDo]{view: query.ViewSayDo, use: "saydo",
			short: "Show the say/do ratio of every period begun, each against its own plan",
			example: `  ledger show saydo
  ledger show saydo -p firefox --as-of 2019-12-31`,
			long: `saydo gives, for every quarter or release on the roadmap that has begun,
what was planned for it when it began (a quarter: the day before its
first day; a release: the day before its first delivery, or the day the
release before it shipped if earlier) against what was delivered: on time
(for a release, shipped in it), late (shipped later), never (dropped or
still open), unplanned, and the say/do ratio. A quarter counts roadmap
items, a release the backlog items planned for it; a period nothing was
planned for has no ratio.`,
			text: func(a *app, v query.SayDo, _ query.Options) error { return a.printSayDo(v) }}),
	)
	show.AddCommand(a.overviewCommands()...)
	return show
}

func (a *app) productsCommand() *cobra.Command {
	return viewCommand(a, viewSpec[query.Products]{view: query.ViewProducts, use: "products",
		short:   "List the products the ledger holds",
		example: "  ledger products\n  ledger products --json",
		text: func(a *app, v query.Products, _ query.Options) error {
			if len(v.Products) == 0 {
				fmt.Fprintln(a.stderr, "the ledger has no product yet: create one with \"ledger product create\", or run \"ledger demo\"")
			}
			for _, p := range v.Products {
				fmt.Fprintln(a.stdout, p)
			}
			return nil
		}})
}

func (a *app) printBacklog(v query.Backlog) error {
	if a.jsonOut {
		return a.printJSON(v)
	}
	a.printMeta(v.Meta)
	if len(v.Items) == 0 {
		fmt.Fprintln(a.stdout, "no backlog items match")
		return nil
	}
	t := &table{header: []string{"RANK", "ID", "STATUS", "SCORE", "ROADMAP", "TITLE", "LAST DECISION"}, limits: map[int]int{5: 30}}
	for _, it := range v.Items {
		rank := "-"
		if it.Rank > 0 {
			rank = strconv.Itoa(it.Rank)
		}
		t.add(rank, it.ID, string(it.Status), scoreText(it.Score), orDash(it.Roadmap), it.Title, decisionText(it.LastDecision))
	}
	return t.print(a.stdout, tableWidth(a.stdout))
}

func scoreText(s *query.Score) string {
	if s == nil || s.Value == nil {
		return "-"
	}
	return s.Framework + " " + scoreNumber(*s.Value)
}

// scoreNumber shows a computed score to six significant digits: a RICE
// score is a quotient, and 105.80000000000001 in a table says nothing
// 105.8 does not. JSON and CSV keep the value whole.
func scoreNumber(v float64) string {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	if err != nil {
		r = v
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func decisionText(d query.DecisionRef) string {
	s := d.At.UTC().Format("2006-01-02") + " " + d.Actor + " " + domain.ShortType(d.Type)
	if d.Why != "" {
		s += ": " + d.Why
	}
	return s
}

func (a *app) printRoadmap(v query.Roadmap) error {
	if a.jsonOut {
		return a.printJSON(v)
	}
	a.printMeta(v.Meta)
	if len(v.Periods) == 0 {
		fmt.Fprintln(a.stdout, "the roadmap is empty")
		return nil
	}
	t := &table{header: []string{"PERIOD", "#", "ID", "STATUS", "PROGRESS", "DELIVERED", "TITLE"}}
	for _, p := range v.Periods {
		for _, it := range p.Items {
			delivered := "-"
			if it.DeliveredAt != nil {
				delivered = it.DeliveredAt.UTC().Format("2006-01-02")
				if it.Late {
					delivered += " late"
				}
			}
			progress := fmt.Sprintf("%d/%d", it.Progress.Delivered, it.Progress.Total)
			t.add(p.Name, strconv.Itoa(it.Rank), it.ID, string(it.Status), progress, delivered, it.Title)
		}
	}
	return t.print(a.stdout, tableWidth(a.stdout))
}

func (a *app) printSayDo(v query.SayDo) error {
	if a.jsonOut {
		return a.printJSON(v)
	}
	a.printWarnings(v.Delivered.Warnings)
	if len(v.Periods) == 0 {
		fmt.Fprintln(a.stdout, "no period on the roadmap has begun")
		return nil
	}
	t := &table{header: []string{"PERIOD", "SAY/DO", "PLANNED", "ON TIME", "LATE", "NEVER", "UNPLANNED", "PLAN OF"}}
	none := false
	for _, p := range v.Periods {
		never := strconv.Itoa(p.Dropped + p.Open)
		if p.Overdue > 0 {
			never += fmt.Sprintf(" (%d overdue)", p.Overdue)
		}
		ratio := "-"
		if p.SayDo != nil {
			ratio = fmt.Sprintf("%.0f%%", *p.SayDo*100)
		} else {
			none = true
		}
		t.add(p.Period, ratio, strconv.Itoa(p.Planned), strconv.Itoa(p.OnTime), strconv.Itoa(p.Late), never,
			strconv.Itoa(p.Unplanned), p.PlannedAsOf.UTC().Format(time.DateOnly))
	}
	if err := t.print(a.stdout, tableWidth(a.stdout)); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "\nA calendar period counts roadmap items, a release the backlog items planned for it. On time: for a release,\n"+
		"shipped in it; never: dropped or still open; plan of: the day of the plan the period is judged against.")
	if none {
		fmt.Fprintln(a.stdout, "say/do -: nothing was planned for the period then, so it has no ratio")
	}
	return nil
}

func (a *app) printRequests(v query.Requests) error {
	if a.jsonOut {
		return a.printJSON(v)
	}
	a.printMeta(v.Meta)
	if len(v.Requests) == 0 {
		fmt.Fprintln(a.stdout, "no requests match")
		return nil
	}
	t := &table{header: []string{"ID", "REQUESTER", "STATUS", "REASON", "WAITED", "WAITING", "BY", "ITEM", "TITLE: WHY"}}
	for _, r := range v.Requests {
		text := r.Title
		if r.Why != "" {
			text += ": " + r.Why
		}
		t.add(r.ID, r.Requester, string(r.Status), orDash(string(r.Reason)), orDash(r.Wait), orDash(r.Waiting), orDash(r.DecidedBy), orDash(r.Item), text)
	}
	if err := t.print(a.stdout, tableWidth(a.stdout)); err != nil {
		return err
	}
	for _, r := range v.Requests {
		if r.Waiting != "" && v.WaitingAt != nil {
			a.printf("waiting: since submission, to %s UTC\n", v.WaitingAt.UTC().Format("2006-01-02 15:04"))
			break
		}
	}
	return nil
}

func (a *app) whyCommand() *cobra.Command {
	return viewCommand(a, viewSpec[query.Why]{view: query.ViewWhy, use: "why ID",
		short: "Explain an item, roadmap item or request: every decision about it, who took it and why",
		example: `  ledger why CARD-2
  ledger why REQ-5 --json
  ledger why R-INVOICE --as-of 2026-05-01`,
		args: positional(1, "why ID"),
		text: func(a *app, w query.Why, _ query.Options) error {
			a.printMeta(w.Meta)
			head := fmt.Sprintf("%s %s", w.Kind, w.ID)
			if w.Title != "" {
				head += fmt.Sprintf(" %q", w.Title)
			}
			if w.Status != "" {
				head += " — " + w.Status
			}
			if w.Churn > 0 {
				head += fmt.Sprintf(", re-ranked %d time(s)", w.Churn)
			}
			fmt.Fprintln(a.stdout, head)
			for _, d := range w.Decisions {
				fmt.Fprintln(a.stdout, decisionLine(d))
			}
			return nil
		}})
}

// decisionLine is one decision of a timeline: when, sequence, what, who,
// what changed, and why.
func decisionLine(d query.Decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s  #%-4d %-11s %s", d.At.UTC().Format("2006-01-02 15:04"), d.Seq, domain.ShortType(d.Type), d.Actor)
	if d.Role != "" {
		fmt.Fprintf(&b, " (%s)", d.Role)
	}
	if d.Via != "" {
		fmt.Fprintf(&b, " via %s", d.Via)
	}
	if len(d.Changes) > 0 {
		b.WriteString("  " + strings.Join(d.Changes, ", "))
	}
	if d.Links != nil {
		if d.Links.Request != "" {
			b.WriteString("  from request " + d.Links.Request)
		}
		if d.Links.Item != "" {
			b.WriteString("  became item " + d.Links.Item)
		}
		if d.Links.Repeats != "" {
			b.WriteString("  re-submits " + d.Links.Repeats)
		}
	}
	if len(d.OverridesScore) > 0 {
		var ids []string
		for _, o := range d.OverridesScore {
			ids = append(ids, fmt.Sprintf("%s (%s %s)", o.ID, o.Framework, scoreNumber(o.Score)))
		}
		b.WriteString("  OVERRIDES SCORE of " + strings.Join(ids, ", "))
	}
	if d.Reason != "" {
		b.WriteString("  [" + string(d.Reason) + "]")
	}
	if d.OutsideAuthority {
		b.WriteString("  OUTSIDE AUTHORITY")
	}
	if d.Source != nil {
		fmt.Fprintf(&b, "  [%s %s %s by %s]", d.Source.System, d.Source.Key, d.Source.Change, d.Source.Author)
	}
	if d.Why != "" {
		b.WriteString("  — " + d.Why)
	}
	return b.String()
}

// asOfLabel names an --as-of position as the user wrote it; a bare date
// means the end of that day.
func asOfLabel(s string) string {
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return s + " (end of day, UTC)"
	}
	return s
}
