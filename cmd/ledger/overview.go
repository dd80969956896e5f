package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/query"
)

// overviewCommands are the commands of the overview, quarantine and
// metrics views, under show.
func (a *app) overviewCommands() []*cobra.Command {
	return []*cobra.Command{
		viewCommand(a, viewSpec[query.Overview]{view: query.ViewOverview, use: "overview",
			short: "Show what the dashboard shows first: say/do, the request funnel, the median wait, churn and the latest decisions",
			example: `  ledger show overview
  ledger show overview --as-of 2026-04-01 --json`,
			text: func(a *app, v query.Overview, _ query.Options) error { return a.printOverview(v) }}),
		viewCommand(a, viewSpec[query.Quarantine]{view: query.ViewQuarantine, use: "quarantine",
			short: "Show the events the validating fold refused, with why",
			example: `  ledger show quarantine
  ledger show quarantine --json`,
			text: func(a *app, v query.Quarantine, _ query.Options) error { return a.printQuarantine(v) }}),
		viewCommand(a, viewSpec[query.Metrics]{view: query.ViewMetrics, use: "metrics",
			short: "Show the product's events by type and how long requests waited for a first decision",
			example: `  ledger show metrics
  ledger show metrics --json`,
			text: func(a *app, v query.Metrics, _ query.Options) error { return a.printMetrics(v) }}),
	}
}

func (a *app) printOverview(v query.Overview) error {
	a.printMeta(v.Meta)
	if v.SayDo != nil {
		if err := a.printSayDo(*v.SayDo); err != nil {
			return err
		}
	} else {
		a.warnf("say/do: %s", v.SayDoError)
	}
	fmt.Fprintf(a.stdout, "\nrequests: %d submitted", v.Requests)
	for _, s := range v.Funnel {
		fmt.Fprintf(a.stdout, ", %d %s", s.Count, s.Status)
	}
	fmt.Fprintln(a.stdout)
	if len(v.Reasons) > 0 {
		var rs []string
		for _, r := range v.Reasons {
			rs = append(rs, fmt.Sprintf("%s %d", r.Reason, r.Count))
		}
		fmt.Fprintf(a.stdout, "rejected, by reason: %s\n", strings.Join(rs, ", "))
	}
	if v.MedianWait != "" {
		fmt.Fprintf(a.stdout, "median time to a decision: %s over %d decided requests\n", v.MedianWait, v.Decided)
	} else {
		fmt.Fprintln(a.stdout, "median time to a decision: none decided yet")
	}
	fmt.Fprintln(a.stdout)
	if len(v.Churn) == 0 {
		fmt.Fprintln(a.stdout, "no rank decisions yet")
	} else {
		t := &table{header: []string{"ITEM", "RANK DECISIONS"}}
		for _, c := range v.Churn {
			t.add(c.ID, strconv.Itoa(c.Count))
		}
		if err := t.print(a.stdout, tableWidth(a.stdout)); err != nil {
			return err
		}
	}
	fmt.Fprintln(a.stdout)
	t := &table{header: []string{"SEQ", "WHEN", "DECISION", "ID", "BY", "WHY"}}
	for _, e := range v.Latest {
		t.add(strconv.FormatUint(e.Seq, 10), formatTime(e.OccurredAt), e.Type, e.Aggregate.ID, fmt.Sprintf("%s (%s)", e.Actor.ID, e.Actor.Role), e.Why)
	}
	if v.Quarantined > 0 {
		defer fmt.Fprintf(a.stdout, "\n%d event(s) quarantined: \"ledger show quarantine\" lists them\n", v.Quarantined)
	}
	return t.print(a.stdout, tableWidth(a.stdout))
}

func (a *app) printQuarantine(v query.Quarantine) error {
	a.printMeta(v.Meta)
	if v.Quarantined == 0 {
		fmt.Fprintln(a.stdout, "no event quarantined: every event passed the rules of its moment")
		return nil
	}
	t := &table{header: []string{"SEQ", "TYPE", "SUBJECT", "ACTOR", "WHY"}}
	for _, q := range v.Entries {
		t.add(strconv.FormatUint(q.Seq, 10), q.Type, q.Subject, q.Actor, q.Reason)
	}
	if err := t.print(a.stdout, tableWidth(a.stdout)); err != nil {
		return err
	}
	if v.Quarantined > len(v.Entries) {
		fmt.Fprintf(a.stdout, "%d quarantined in all; the first %d are listed\n", v.Quarantined, len(v.Entries))
	}
	return nil
}

func (a *app) printMetrics(v query.Metrics) error {
	a.printMeta(v.Meta)
	types := make([]string, 0, len(v.Types))
	for ty := range v.Types {
		types = append(types, ty)
	}
	sort.Strings(types)
	t := &table{header: []string{"EVENT TYPE", "EVENTS"}}
	for _, ty := range types {
		t.add(ty, strconv.Itoa(v.Types[ty]))
	}
	if err := t.print(a.stdout, tableWidth(a.stdout)); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\n%d requests had a first decision", v.Waits.Count)
	if v.Waits.Count == 0 {
		fmt.Fprintln(a.stdout)
		return nil
	}
	fmt.Fprintln(a.stdout, "; waited at most:")
	w := &table{header: []string{"WAIT", "REQUESTS"}}
	for _, b := range v.Waits.Buckets {
		w.add(query.Span(time.Duration(b.LeSeconds)*time.Second), strconv.FormatUint(b.Count, 10))
	}
	return w.print(a.stdout, tableWidth(a.stdout))
}
