package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/trackers"
	"github.com/decisionledger/ledger/service"
)

func (a *app) importCommand() *cobra.Command {
	var mapFile, baseURL string
	var dryRun bool
	formats := trackers.Names()
	c := &cobra.Command{
		GroupID: "write",
		Use:     "import FORMAT FILE...",
		Short:   "Import a tracker's history (" + strings.Join(formats, ", ") + ") as decisions with provenance",
		Long: `import turns a tracker export into ledger events: requests, backlog items,
priority moves, milestones as roadmap items, deliveries, rejections and reopens,
each with its source (system, key, link, change, original login). A decision
someone took in the tracker without the role the ledger's rules require is
recorded as it happened, flagged outsideAuthority, never re-attributed.

Filing an issue submits a request; it is accepted when the team first takes it
on (assigned to a person, not an inbox; a status that takes it on; a milestone,
fix version or sprint set; its priority changed from the default; resolved as
fixed), so the time it waited is real. The rules are the same for every format
and are written out, with an example, in docs/import.md.

The map file (--map) says who held which role when, which priorities order the
backlog, what resolutions mean and when milestones were due (docs/import.md);
without one, the format's defaults apply and everyone is a stakeholder.

Importing the same export twice records nothing new; a later export records
only what is new. An export older than the product's latest event is refused,
naming its first new change, and nothing is written. Events are written in
atomic batches; an interrupted import is finished by running it again.

Formats: ` + strings.Join(formats, ", ") + `.`,
		Example: `  ledger import bugzilla bugs.jsonl --map map.json -p firefox --url https://bugzilla.mozilla.org --dry-run
  ledger import bugzilla bugs.jsonl hist-*.json -p platform-ui --url https://bugs.eclipse.org/bugs
  ledger import jira page-*.json -p ee --map ee-map.json --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("import needs a format (%s) and at least one export file", strings.Join(formats, ", "))
			}
			if _, ok := trackers.Lookup(args[0]); !ok {
				return usagef("unknown import format %q: use %s", args[0], strings.Join(formats, ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runImport(cmd.Context(), args[0], args[1:], mapFile, baseURL, dryRun)
		},
	}
	c.Flags().StringVar(&mapFile, "map", "", "map file (JSON): roles, priorities, resolutions, milestone dates")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print the summary and write nothing")
	c.Flags().StringVar(&baseURL, "url", "", "the tracker's base address, for links to its issues (a Bugzilla export names none: without it, or the map's url, bugs get no link)")
	return c
}

func (a *app) runImport(ctx context.Context, format string, paths []string, mapFile, baseURL string, dryRun bool) error {
	if a.productID == "" {
		return usagef("which product does the history belong to? pass -p ID (it is created when it does not exist)")
	}
	if err := domain.CheckID("product", a.productID); err != nil {
		return err
	}
	var raw []byte
	if mapFile != "" {
		b, err := os.ReadFile(mapFile)
		if err != nil {
			return usagef("reading the map file: %s", err)
		}
		raw = b
	}
	files := make([][]byte, len(paths))
	for i, p := range paths {
		var err error
		if files[i], err = os.ReadFile(p); err != nil {
			return usagef("reading the export: %s", err)
		}
	}
	steps, sum, err := trackers.PlanWith(format, a.productID, raw, files, trackers.Options{URL: baseURL})
	if err != nil {
		return usagef("%s: %s", strings.Join(paths, ", "), err)
	}
	t, _ := trackers.Lookup(format)

	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	if !s.Embedded() && service.Available(ctx, s.Conn(), serviceProbe) {
		return fmt.Errorf("a ledger service owns this store, and it has no import action yet: stop \"ledger serve\", import, and start it again")
	}
	var bar importBar
	if !dryRun {
		bar = a.importProgress()
	}
	written, already, err := importInto(ctx, s, a.productID, steps, a.now(), dryRun, bar.set)
	bar.finish()
	if err != nil {
		return err
	}
	sum.Written, sum.Already = written, already
	if a.jsonOut {
		return a.printJSON(sum)
	}
	a.printSummary(t.System, sum, dryRun)
	return nil
}

func (a *app) printSummary(system string, s importer.Summary, dryRun bool) {
	verb := "written"
	if dryRun {
		verb = "to write (dry run: nothing written)"
	}
	a.printf("%s import into %s: %d events %s, %d decisions already recorded\n", system, a.productID, s.Written, verb, s.Already)
	a.printf("the export maps to %d events: %d requests, %d items, %d deliveries, %d rejections, %d slips, %d reopens\n",
		s.Events, s.Requests, s.Items, s.Deliveries, s.Rejections, s.Slips, s.Reopens)
	span := ""
	if s.From != nil && s.To != nil {
		span = fmt.Sprintf(", from %s to %s", s.From.Format(time.RFC3339), s.To.Format(time.RFC3339))
	}
	a.printf("%d events outside the authority the rules require, %d people%s\n", s.OutsideAuthority, s.Actors, span)
	if s.FiledUnnamed > 0 {
		a.printf("%d issue(s) with no filing in the export (history only): filed before their first change by someone it does not name\n", s.FiledUnnamed)
	}
	if s.LinksDropped > 0 {
		a.printf("%d issue link(s) left out of the provenance: not an http or https address\n", s.LinksDropped)
	}
	if len(s.Skipped) == 0 {
		return
	}
	fields := make([]string, 0, len(s.Skipped))
	for f := range s.Skipped {
		fields = append(fields, f)
	}
	sort.Slice(fields, func(i, j int) bool {
		if s.Skipped[fields[i]] != s.Skipped[fields[j]] {
			return s.Skipped[fields[i]] > s.Skipped[fields[j]]
		}
		return fields[i] < fields[j]
	})
	parts := make([]string, len(fields))
	total := 0
	for i, f := range fields {
		parts[i] = fmt.Sprintf("%s %d", f, s.Skipped[f])
		total += s.Skipped[f]
	}
	a.printf("%d changes with no ledger meaning, by field: %s\n", total, strings.Join(parts, ", "))
}

// importInto records steps in product: it reads the product's write
// state, leaves out what is recorded already, refuses an import older than
// the product, and (unless dryRun) appends the rest in atomic batches,
// telling progress how many of how many events are stored. It returns the
// events written (to write, on a dry run) and the decisions already there.
func importInto(ctx context.Context, s *eventstore.Store, product string, steps []importer.Step, now time.Time, dryRun bool, progress func(done, total int)) (written, already int, err error) {
	st := domain.NewState(product)
	if _, err := s.Read(ctx, product, 0, func(e domain.Event) error {
		st.Apply(e)
		return nil
	}); err != nil {
		return 0, 0, fmt.Errorf("reading product %q: %w", product, err)
	}
	expect := st.LastSeq
	res, err := importer.Apply(st, steps, now, eventstore.MaxBatch)
	if err != nil {
		return 0, 0, err
	}
	if dryRun {
		return res.Written, res.Already, nil
	}
	done := 0
	for _, batch := range res.Batches {
		seqs, err := s.Append(ctx, batch, expect)
		if err != nil {
			return done, res.Already, fmt.Errorf("after %d of %d events (they are kept; run the same import again to finish): %w", done, res.Written, err)
		}
		expect = seqs[len(seqs)-1]
		done += len(batch)
		if progress != nil {
			progress(done, res.Written)
		}
	}
	return res.Written, res.Already, nil
}

// importBar shows the write's progress on a terminal, nothing otherwise.
type importBar struct{ bar *progressbar.ProgressBar }

func (a *app) importProgress() importBar {
	f, ok := file(a.stderr)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return importBar{}
	}
	return importBar{bar: progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("events"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

func (b importBar) set(done, total int) {
	if b.bar != nil {
		if b.bar.GetMax() != total {
			b.bar.ChangeMax(total)
		}
		_ = b.bar.Set(done)
	}
}

func (b importBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}
