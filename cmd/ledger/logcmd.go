package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

func (a *app) logCommand() *cobra.Command {
	return viewCommand(a, viewSpec[query.Log]{view: query.ViewLog, use: "log",
		short: "List the product's events in order: who decided what, in which role, and why",
		example: `  ledger log -p checkout
  ledger log --as-of 2026-04-01
  ledger log -p checkout --json | jq 'select(.type=="RequestRejected")'`,
		jsonLines: func(a *app, log query.Log) error {
			enc := json.NewEncoder(a.stdout)
			for _, e := range log.Entries {
				if err := enc.Encode(e); err != nil {
					return err
				}
			}
			return nil
		},
		text: func(a *app, log query.Log, o query.Options) error {
			return a.printLogPage(log, o, nil, o.After == "")
		},
		// Without --limit the log is printed page after page as the
		// pages come: a ledger of a million events in bounded memory.
		stream: func(a *app, log query.Log, o query.Options, first bool) error {
			if a.jsonOut {
				enc := json.NewEncoder(a.stdout)
				for _, e := range log.Entries {
					if err := enc.Encode(e); err != nil {
						return err
					}
				}
				if log.Next == "" {
					a.printWarnings(log.Warnings)
				}
				return nil
			}
			if first {
				a.logTab = a.logTable(nil)
				if log.Next == "" {
					return a.printLogPage(log, o, a.logTab, true) // one page: as it always read
				}
			}
			asOf := log.AsOf
			log.AsOf = "" // where it stopped is known with the last page
			if err := a.printLogPage(log, o, a.logTab, first); err != nil {
				return err
			}
			if asOf != "" && log.Next == "" {
				fmt.Fprintf(a.stdout, "as of %s: stopped at sequence %d (%s)\n", asOfLabel(o.AsOf), log.Position, formatAt(log.At))
			}
			return nil
		}})
}

// printLogPage prints a page of the log as a table; tab, when not nil,
// is the table of the pages before it, whose columns it keeps.
func (a *app) printLogPage(log query.Log, o query.Options, tab *table, first bool) error {
	if log.AsOf != "" {
		fmt.Fprintf(a.stdout, "as of %s: stopped at sequence %d (%s)\n", asOfLabel(o.AsOf), log.Position, formatAt(log.At))
	}
	if tab == nil {
		tab = a.logTable(nil)
	}
	tab.rows = a.logTable(log.Entries).rows
	if err := tab.print(a.stdout, tableWidth(a.stdout)); err != nil {
		return err
	}
	if len(log.Entries) == 0 && first {
		fmt.Fprintf(a.stderr, "product %q has no events yet\n", log.Product)
	}
	if log.Next == "" {
		a.printWarnings(log.Warnings)
	}
	return nil
}

// logTable lays log entries out for people.
func (a *app) logTable(entries []query.LogEntry) *table {
	tab := &table{header: []string{"SEQ", "DATE", "TYPE", "ID", "ACTOR", "WHY"}}
	for _, e := range entries {
		why := whyWithReason(e.Event)
		if e.Quarantined != "" {
			why = strings.TrimSuffix("QUARANTINED, never applied: "+e.Quarantined+" — "+why, " — ")
		}
		date := "-"
		if !e.OccurredAt.IsZero() {
			date = e.OccurredAt.UTC().Format(time.DateOnly)
		}
		id := e.Aggregate.ID
		if id == "" && e.Stored != nil {
			id = e.Stored.Subject // bytes that are no envelope: where they were stored
		}
		who := actorRole(e.Actor)
		if e.RelayedBy != "" {
			who += " via " + e.RelayedBy
		}
		tab.add(fmt.Sprint(e.Seq), date, orDash(e.Type), orDash(id), who, why)
	}
	return tab
}

// formatAt prints an optional time as people read it in a table.
func formatAt(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return formatTime(*t)
}

func actorRole(a domain.Actor) string {
	if a.Role == "" {
		return a.ID
	}
	return a.ID + " (" + string(a.Role) + ")"
}

func whyWithReason(e domain.Event) string {
	if e.Reason != "" {
		return "[" + string(e.Reason) + "] " + e.Why
	}
	return e.Why
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clip shortens s to n runes with an ellipsis, on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// formatTime prints a time as people read it in a table.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}
