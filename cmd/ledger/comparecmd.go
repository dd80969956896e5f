package main

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// The compare and diff commands, and how they print: a table per period
// or per kind of change, with the decisions cited under each item.

func (a *app) compareCommand() *cobra.Command {
	var planned, delivered, period, level string
	c := &cobra.Command{
		Use:   "compare --planned-as-of T0 [--delivered-as-of T1] [--period P] [--level roadmap|item]",
		Short: "Compare the roadmap as planned at one date with what was delivered by a later one, and why",
		Long: `compare takes every roadmap item on the roadmap at T0 (not dropped) and says what
became of it by T1 (default now): on-time (delivered within the period planned
at T0), late (delivered after it), dropped, or open (overdue once its period
has ended), and lists the work delivered meanwhile that was not on the plan
(unplanned). A release is judged by what shipped in it: on time is delivered
while planned for that release (or one before it) and, when it has a date, by
that date; late is shipped after it or in a later release; an undated release
has no end, so nothing in it is overdue. Every deviation names the decisions that caused it: reschedules,
drops, scope changes of its backlog items, and re-rankings that pushed its
items down, each with sequence, time, who decided in which role, and why.
Per period it counts the outcomes and gives the say/do ratio (on time /
planned). --level item does the same for the backlog items that served a
roadmap item at T0.`,
		Example: `  ledger compare -p checkout --planned-as-of 2026-04-01
  ledger compare -p checkout --planned-as-of 2026-04-01 --delivered-as-of 2026-09-30 --period 2026-Q2
  ledger compare -p checkout --planned-as-of 2026-04-01 --level item --json
  ledger compare -p firefox --planned-as-of 2019-08-12 --level item --period release:mozilla70@2019-10-22`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&planned, "planned-as-of", "", "T0: take the plan as it stood then (date, RFC 3339 time or seq:N)")
	c.Flags().StringVar(&delivered, "delivered-as-of", "", "T1: count deliveries up to then (default now)")
	c.Flags().StringVar(&period, "period", "", "only this period: "+periodForms)
	c.Flags().StringVar(&level, "level", query.LevelRoadmap, "roadmap or item")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if planned == "" {
			return usagef("compare needs --planned-as-of, the date the plan is taken from (for example 2026-04-01)")
		}
		var cmp *query.Comparison
		if err := a.view(ctx, query.ViewCompare, query.Options{PlannedAsOf: planned, DeliveredAsOf: delivered, Period: period, Level: level}, &cmp); err != nil {
			return err
		}
		if a.jsonOut {
			return a.printJSON(cmp)
		}
		a.printWarnings(cmp.Delivered.Warnings)
		return a.printComparison(cmp, planned, named(delivered))
	}
	return c
}

func (a *app) printComparison(c *query.Comparison, t0, t1 string) error {
	width := tableWidth(a.stdout)
	what := "Roadmap items"
	if string(c.Level) == query.LevelItem {
		what = "Backlog items"
	}
	a.printf("%s of %q as planned against delivered\n", what, c.Product)
	a.printf("  planned as of    %s (%s)\n", t0, stoppedAt(c.Planned))
	a.printf("  delivered by     %s (%s)\n", t1, stoppedAt(c.Delivered))
	if len(c.Periods) == 0 {
		a.printf("\nnothing was planned then, and nothing unplanned was delivered since\n")
	}
	for _, p := range c.Periods {
		open := fmt.Sprint(p.Open)
		if p.Overdue > 0 {
			open += fmt.Sprintf(" (%d overdue)", p.Overdue)
		}
		if domain.IsRelease(p.Period) {
			a.printf("\n%s · say/do %s\n  planned %d: shipped in it %d, later %d, never %d (dropped %d, open %s); unplanned %d\n",
				p.Period, sayDo(p), p.Planned, p.OnTime, p.Late, p.Dropped+p.Open, p.Dropped, open, p.Unplanned)
		} else {
			a.printf("\n%s · say/do %s\n  planned %d, on time %d, late %d, dropped %d, open %s, unplanned %d\n",
				p.Period, sayDo(p), p.Planned, p.OnTime, p.Late, p.Dropped, open, p.Unplanned)
		}
		header := []string{"ID", "OUTCOME", "PLANNED", "NOW", "DATE", "TITLE"}
		if string(c.Level) == query.LevelItem {
			header[3] = "ROADMAP"
		}
		rows := make([][]string, len(p.Items))
		for i, it := range p.Items {
			outcome, date, now := string(it.Outcome), "-", orDash(it.PeriodNow)
			if it.Overdue {
				outcome += " (overdue)"
			}
			switch {
			case it.DeliveredAt != nil:
				date = it.DeliveredAt.UTC().Format(time.DateOnly)
			case it.DroppedAt != nil:
				date = it.DroppedAt.UTC().Format(time.DateOnly)
			}
			if string(c.Level) == query.LevelItem {
				now = orDash(it.Roadmap)
			}
			planned := it.Period
			if it.Outcome == query.Unplanned {
				planned = "-"
			}
			rows[i] = []string{it.ID, outcome, planned, now, date, it.Title}
		}
		lines := alignRows(header, rows, width-2)
		a.printf("  %s\n", lines[0])
		for i, it := range p.Items {
			a.printf("  %s\n", lines[i+1])
			for _, d := range it.Causes {
				a.printf("%s\n", citeLines("      ", d, width))
			}
		}
	}
	return nil
}

func sayDo(p query.PeriodOutcome) string {
	if p.SayDo == nil {
		return "- (nothing planned)"
	}
	if domain.IsRelease(p.Period) {
		return fmt.Sprintf("%.0f%% (%d of %d shipped in it)", *p.SayDo*100, p.OnTime, p.Planned)
	}
	return fmt.Sprintf("%.0f%% (%d of %d on time)", *p.SayDo*100, p.OnTime, p.Planned)
}

// citeLines writes a cited decision in at most two lines that fit width:
// "#80 2026-04-02 pam (pm) RoadmapItemRanked: effect", then the why.
func citeLines(indent string, d query.Cause, width int) string {
	room := max(width-utf8.RuneCountInString(indent), 20)
	s := indent + clip(fmt.Sprintf("#%d %s %s %s: %s", d.Seq, d.At.UTC().Format(time.DateOnly),
		actorRole(domain.Actor{ID: d.Actor, Role: d.Role}), d.Type, d.Effect), room)
	why := d.Why
	if d.Reason != "" {
		why = "[" + string(d.Reason) + "] " + why
	}
	if strings.TrimSpace(why) != "" {
		s += "\n" + indent + "  " + clip(quoted(why), room-2)
	}
	return s
}

// quoted quotes a rationale the way people quote, not Go.
func quoted(s string) string { return "“" + s + "”" }

// alignRows lays rows out in columns under header, the last column clipped
// so that every line fits width.
func alignRows(header []string, rows [][]string, width int) []string {
	n := len(header)
	widths := make([]int, n)
	for _, r := range append([][]string{header}, rows...) {
		for i := 0; i < n-1 && i < len(r); i++ {
			widths[i] = max(widths[i], utf8.RuneCountInString(r[i]))
		}
	}
	used := 0
	for i := 0; i < n-1; i++ {
		used += widths[i] + 2
	}
	var out []string
	for _, r := range append([][]string{header}, rows...) {
		var b strings.Builder
		for i := 0; i < n && i < len(r); i++ {
			if i == n-1 {
				b.WriteString(clip(r[i], max(width-used, 12)))
				break
			}
			b.WriteString(r[i] + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(r[i])+2))
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	return out
}

func (a *app) diffCommand() *cobra.Command {
	var from, to string
	c := &cobra.Command{
		Use:   "diff --from T0 [--to T1]",
		Short: "Show what changed in the backlog and requests between two dates, each change with its decision",
		Long: `diff compares the backlog and the requests at T0 with T1 (default now): items
added, removed, moved up or down by a rank decision (old and new rank; items
that only shifted because items above them closed are not listed), status
changes, and requests decided, each with the decision that made it: sequence,
time, who decided in which role, and why.

--from and --to are the range [from, to), read as decisions and audit export
read theirs: the ledger just before --from against the ledger just before --to,
a date being midnight UTC at its start on both ends. So --from 2026-05-01 --to
2026-06-01 is what changed in May, and lists the decisions that "ledger
decisions --from 2026-05-01 --to 2026-06-01" does.`,
		Example: `  ledger diff -p checkout --from 2026-05-01 --to 2026-06-01   # May
  ledger diff -p checkout --from seq:120 --json`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&from, "from", "", "T0, included: a date (2026-05-01, midnight UTC at its start), an RFC 3339 time, or seq:N (just after that event)")
	c.Flags().StringVar(&to, "to", "", "T1, excluded, not before T0 (default now): a date (midnight UTC at its start: that day is not in), an RFC 3339 time or seq:N")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if from == "" {
			return usagef("diff needs --from, the earlier date (for example 2026-05-01)")
		}
		var d *query.Changes
		if err := a.view(ctx, query.ViewDiff, query.Options{From: from, To: to}, &d); err != nil {
			return err
		}
		if a.jsonOut {
			return a.printJSON(d)
		}
		a.printWarnings(d.To.Warnings)
		a.printChanges(d, from, named(to))
		return nil
	}
	return c
}

func (a *app) printChanges(d *query.Changes, t0, t1 string) {
	width := tableWidth(a.stdout)
	a.printf("Changes in %q\n", d.Product)
	a.printf("  from  %s (%s)\n", t0, stoppedAt(d.From))
	a.printf("  to    %s (%s)\n", t1, stoppedAt(d.To))
	if len(d.Added)+len(d.Removed)+len(d.Moved)+len(d.StatusChanged)+len(d.RequestsDecided) == 0 {
		a.printf("\nnothing changed\n")
		return
	}
	section := func(title string, items []query.ItemChange, what func(query.ItemChange) string) {
		if len(items) == 0 {
			return
		}
		a.printf("\n%s (%d)\n", title, len(items))
		rows := make([][]string, len(items))
		for i, it := range items {
			rows[i] = []string{it.ID, what(it), it.Title}
		}
		lines := alignRows([]string{"ID", "CHANGE", "TITLE"}, rows, width-2)
		for i, it := range items {
			a.printf("  %s\n", lines[i+1])
			for _, dec := range it.Decisions {
				a.printf("%s\n", citeLines("      ", dec, width))
			}
		}
	}
	section("Added", d.Added, func(it query.ItemChange) string {
		if it.ToRank == 0 {
			return string(it.ToStatus)
		}
		return fmt.Sprintf("rank %d, %s", it.ToRank, it.ToStatus)
	})
	section("Removed", d.Removed, func(it query.ItemChange) string {
		if it.FromRank == 0 {
			return "removed"
		}
		return fmt.Sprintf("was rank %d", it.FromRank)
	})
	section("Moved", d.Moved, func(it query.ItemChange) string {
		return fmt.Sprintf("%s %d -> %d", it.Direction, it.FromRank, it.ToRank)
	})
	section("Status changed", d.StatusChanged, func(it query.ItemChange) string {
		return fmt.Sprintf("%s -> %s", it.FromStatus, it.ToStatus)
	})
	if len(d.RequestsDecided) == 0 {
		return
	}
	a.printf("\nRequests decided (%d)\n", len(d.RequestsDecided))
	rows := make([][]string, len(d.RequestsDecided))
	for i, r := range d.RequestsDecided {
		fate := string(r.ToStatus)
		if r.Item != "" && string(r.ToStatus) == string(domain.StatusAccepted) {
			fate += " as " + r.Item
		}
		rows[i] = []string{r.ID, fate, r.Title + " (" + r.Requester + ")"}
	}
	lines := alignRows([]string{"ID", "FATE", "TITLE"}, rows, width-2)
	for i, r := range d.RequestsDecided {
		a.printf("  %s\n", lines[i+1])
		a.printf("%s\n", citeLines("      ", r.Decision, width))
	}
}
