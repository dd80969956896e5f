package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/domain"
)

func (a *app) logCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "log",
		Short: "List the product's events in order: who decided what, in which role, and why",
		Example: `  ledger log -p checkout
  ledger log --as-of 2026-04-01
  ledger log -p checkout --json | jq 'select(.type=="RequestRejected")'`,
		Args: cobra.NoArgs,
	}
	var asOf string
	c.Flags().StringVar(&asOf, "as-of", "", "only events up to a date (end of that day, UTC), an RFC 3339 time, or seq:N")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		pos, err := parsePosition("as-of", asOf)
		if err != nil {
			return err
		}
		product, err := a.product(ctx)
		if err != nil {
			return err
		}
		s, err := a.open(ctx)
		if err != nil {
			return err
		}
		var enc *json.Encoder
		if a.jsonOut {
			enc = json.NewEncoder(a.stdout)
		}
		tab := &table{header: []string{"SEQ", "DATE", "TYPE", "ID", "ACTOR", "WHY"}}
		var unknown int
		var firstUnknown uint64
		var n int
		var last domain.Event
		_, err = s.Read(ctx, product, 0, func(e domain.Event) error {
			if pos.Past(e) {
				return errStop
			}
			n++
			last = e
			if _, ok := e.Data.(domain.Unknown); ok {
				unknown++
				if firstUnknown == 0 {
					firstUnknown = e.Seq
				}
			}
			if enc != nil {
				return enc.Encode(recordedEvent{Seq: e.Seq, Event: e})
			}
			tab.add(fmt.Sprint(e.Seq), e.OccurredAt.UTC().Format(time.DateOnly), orDash(e.Type), orDash(e.Aggregate.ID), actorRole(e.Actor), whyWithReason(e))
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		if !pos.IsLatest() && enc == nil {
			fmt.Fprintf(a.stdout, "as of %s: stopped at sequence %d (%s)\n", asOfLabel(asOf), last.Seq, formatTime(last.OccurredAt))
		}
		if enc == nil {
			if err := tab.print(a.stdout, tableWidth(a.stdout)); err != nil {
				return err
			}
			if n == 0 {
				fmt.Fprintf(a.stderr, "product %q has no events yet\n", product)
			}
		}
		if unknown > 0 {
			a.warnf("%d event(s) this version cannot read (first at sequence %d): shown as they are, skipped by the projections", unknown, firstUnknown)
		}
		return nil
	}
	return c
}

// errStop ends a read early.
var errStop = errors.New("stop")

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
