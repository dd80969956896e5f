// The proof commands of "ledger audit": prove, check and export.

package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/audit"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

func (a *app) auditProveCommand() *cobra.Command {
	var cpFile, keyFile, out string
	c := &cobra.Command{
		Use:   "prove SEQ [--checkpoint FILE] --out PROOF.json",
		Short: "Write a proof that the event at sequence SEQ is in the ledger, for checking offline",
		Long: `prove writes a JSON file holding the event at SEQ exactly as stored, its leaf
hash, the Merkle inclusion proof and the signed checkpoint it leads to. The
checkpoint is --checkpoint FILE, or a new one of the whole ledger signed with
the signing key (and published). "ledger audit check" verifies the file with
only the verifier key.`,
		Example: `  ledger audit prove 42 --out proof-42.json
  ledger audit prove 42 --checkpoint ~/kept/2026-07-01.txt --out proof-42.json`,
		Args: positional(1, "prove SEQ"),
	}
	c.Flags().StringVar(&cpFile, "checkpoint", "", "prove against this checkpoint file (default: sign one now)")
	c.Flags().StringVar(&keyFile, "key", "", "signing key file, when no --checkpoint (default $"+envAuditKey+", else <data>/audit.key)")
	c.Flags().StringVarP(&out, "out", "o", "", "proof file to write (default: print it)")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		seq, err := strconv.ParseUint(args[0], 10, 64)
		if err != nil || seq == 0 {
			return usagef("SEQ %q is not a stream sequence: a positive number, as \"ledger log\" shows", args[0])
		}
		var raw *eventstore.Raw
		visit := func(r eventstore.Raw) error {
			if r.Seq == seq {
				raw = &r
			}
			return nil
		}
		found := func(l *audit.Ledger) error {
			switch {
			case raw != nil:
				return nil
			case seq <= uint64(l.Tree.Size()):
				return fmt.Errorf("sequence %d is missing from the stream: the message was deleted; run \"ledger audit verify\"", seq)
			}
			return &domain.Error{Kind: domain.KindNotFound, Msg: fmt.Sprintf("sequence %d is not in the ledger (it ends at %d)", seq, l.Tree.Size())}
		}
		var p *audit.Proof
		err = a.auditProve(ctx, cpFile, keyFile, visit, found, func(l *audit.Ledger, signed []byte) error {
			var err error
			p, err = l.Prove(*raw, signed)
			return err
		})
		if err != nil {
			return err
		}
		b, err := p.Marshal()
		if err != nil {
			return err
		}
		if out == "" || out == "-" {
			_, err := a.stdout.Write(b)
			return err
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			return fmt.Errorf("writing the proof: %w", err)
		}
		if a.jsonOut {
			return a.printJSON(map[string]any{"seq": p.Seq, "file": out, "treeSize": p.TreeSize})
		}
		a.printf("proof of sequence %d (%s) against the checkpoint of %d events written to %s\n", p.Seq, orDash(p.Type), p.TreeSize, out)
		return nil
	}
	return c
}

// auditProve scans the ledger with visit, asks ready whether there is
// something to prove, gets the checkpoint (the file, or a new one signed
// and published: by this process, or by the serve that runs the ledger)
// and calls prove with it.
func (a *app) auditProve(ctx context.Context, cpFile, keyFile string, visit func(eventstore.Raw) error,
	ready func(*audit.Ledger) error, prove func(*audit.Ledger, []byte) error) error {
	var signed []byte
	var key *audit.Signer
	var err error
	if cpFile != "" {
		if signed, err = os.ReadFile(cpFile); err != nil {
			return usagef("--checkpoint: %v", err)
		}
	}
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	var upTo uint64
	if cpFile == "" {
		svc, err := a.ledgerService(ctx)
		switch {
		case err != nil:
			return err
		case svc != nil:
			// serve signs first, and the proof is of the ledger as its
			// checkpoint saw it, however far the ledger went on since.
			if err := keyWhileServed(keyFile); err != nil {
				return err
			}
			var cp audit.Checkpoint
			if signed, cp, _, err = a.signByServe(ctx, svc); err != nil {
				return fmt.Errorf("%w (or pass --checkpoint FILE)", err)
			}
			if err := a.caughtUp(ctx, s, cp.Size, 0); err != nil {
				return err
			}
			upTo = uint64(cp.Size)
		default:
			if key, err = a.auditSigner(keyFile); err != nil {
				return fmt.Errorf("%w (or pass --checkpoint FILE)", err)
			}
		}
	}
	bar := a.progress("reading the ledger")
	l, err := audit.Scan(ctx, s, audit.ScanOptions{Progress: bar.update, Visit: visit, UpTo: upTo})
	bar.done()
	if err != nil {
		return err
	}
	if err := ready(l); err != nil {
		return err
	}
	if key != nil {
		if signed, _, err = audit.Sign(ctx, s, key, l); err != nil {
			return err
		}
	}
	return prove(l, signed)
}

func (a *app) auditCheckCommand() *cobra.Command {
	var keys []string
	c := &cobra.Command{
		Use:   "check PROOF.json|BUNDLE-DIR --key VERIFIER",
		Short: "Verify a proof file or an export bundle offline, with only the verifier key",
		Long: `check verifies what prove or export wrote, with no access to the ledger: the
checkpoint's signature by the verifier key, the event's leaf hash, and the
inclusion proof from it to the checkpoint's root. For a bundle it also checks
that the sequences are contiguous, so no event between the first and the last
was left out; for a bundle of decisions (export with filters) it proves and
says three claims: every listed decision is in the ledger unchanged, the period
has no gap, and no decision that matches the filter was left out. Use a verifier key you obtained from the ledger's operator
beforehand, and compare the checkpoint with the ones you keep.`,
		Example: `  ledger audit check proof-42.json --key audit.pub
  ledger audit check ./q2-bundle --key "decisionledger/LEDGER+1a2b3c4d+AXyz..."`,
		Args: positional(1, "check PROOF.json|BUNDLE-DIR"),
	}
	c.Flags().StringArrayVar(&keys, "key", nil, "verifier key, a file or the key text (repeatable; default $"+envAuditPub+")")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		// check never opens the store: an auditor has none.
		if len(keys) == 0 {
			if v := os.Getenv(envAuditPub); v != "" {
				keys = []string{v}
			} else {
				return usagef("which verifier key? pass --key FILE (the ledger's .pub, obtained from its operator) or set %s", envAuditPub)
			}
		}
		verifiers, err := readVerifiers(keys)
		if err != nil {
			return err
		}
		path := args[0]
		if audit.IsBundle(path) && audit.IsDecisionsBundle(path) {
			res, err := audit.CheckDecisions(path, verifiers...)
			if err != nil {
				return err
			}
			return a.printDecisionsBundle(res)
		}
		if audit.IsBundle(path) {
			res, err := audit.CheckBundle(path, verifiers...)
			if err != nil {
				return err
			}
			return a.printBundle(res)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return usagef("%v", err)
		}
		p, err := audit.ParseProof(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		c, err := p.Check(verifiers...)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if a.jsonOut {
			return a.printJSON(checkedJSON(c))
		}
		a.printf("OK: sequence %d is in the ledger as checkpoint %s saw it\n", c.Leaf.Seq, c.Checkpoint)
		a.printChecked(c)
		return nil
	}
	return c
}

// checkedJSON is the JSON form of a checked event.
func checkedJSON(c *audit.Checked) map[string]any {
	m := map[string]any{"ok": true, "seq": c.Leaf.Seq, "origin": c.Checkpoint.Origin, "treeSize": c.Checkpoint.Size,
		"root": c.Checkpoint.Root.String(), "event": domain.Recorded{Seq: c.Leaf.Seq, Event: c.Event}}
	if c.Warning != "" {
		m["warning"] = c.Warning
	}
	return m
}

func (a *app) printChecked(c *audit.Checked) {
	if c.Warning != "" {
		a.warnf("sequence %d: %s", c.Leaf.Seq, c.Warning)
		return
	}
	e := c.Event
	line := fmt.Sprintf("  #%d %s %s %s/%s by %s  %s", c.Leaf.Seq, formatTime(e.OccurredAt), e.Type, e.Aggregate.Kind, e.Aggregate.ID,
		actorRole(e.Actor), clip(whyWithReason(e), 80))
	a.printf("%s\n", strings.TrimRight(line, " "))
}

func (a *app) printBundle(res *audit.BundleResult) error {
	m := res.Manifest
	if a.jsonOut {
		events := make([]map[string]any, len(res.Events))
		for i, c := range res.Events {
			events[i] = checkedJSON(c)
		}
		return a.printJSON(map[string]any{"ok": true, "from": m.From, "to": m.To, "firstSeq": m.FirstSeq, "lastSeq": m.LastSeq,
			"origin": res.Checkpoint.Origin, "treeSize": res.Checkpoint.Size, "root": res.Checkpoint.Root.String(),
			"events": events, "warnings": res.Warnings})
	}
	var in int
	for _, e := range m.Events {
		if e.InPeriod {
			in++
		}
	}
	a.printf("OK: %d events, sequences %d to %d with none left out, are in the ledger as checkpoint %s saw it\n",
		len(res.Events), m.FirstSeq, m.LastSeq, res.Checkpoint)
	a.printf("period %s to %s (end excluded): %d of them\n", m.From.Format(time.RFC3339), m.To.Format(time.RFC3339), in)
	for i, c := range res.Events {
		if m.Events[i].InPeriod {
			a.printChecked(c)
		}
	}
	for _, w := range res.Warnings {
		a.warnf("%s", w)
	}
	return nil
}

func (a *app) auditExportCommand() *cobra.Command {
	var from, to, out, cpFile, keyFile string
	var df decisionFlags
	c := &cobra.Command{
		Use:   "export [--from T0] [--to T1] [filters] --out DIR",
		Short: "Write the events of a period, or the decisions matching filters, with proofs: a bundle \"audit check\" verifies",
		Long: `export writes into DIR (new or empty) a bundle that "ledger audit check DIR --key
VERIFIER" verifies offline, against the signed checkpoint it holds: --checkpoint
FILE, or a new one signed with the signing key.

With only --from and --to, the bundle holds a proof for every event from the
first one that occurred at or after T0 to the last one before T1, with no
sequence left out: the range [T0, T1), a date being midnight UTC at its start,
as for decisions and diff.

With the filters of "ledger decisions" (--type, --item, --epic, --roadmap,
--request, --actor, --role, --reason, --as-of; --from and --to are then
optional), the bundle holds each matching decision with its proof, every other
event of the period as its leaf (or in full where its subject and type cannot
show that it does not match), and the events that fixed each item's epic. check
then proves three things and says each: every listed decision is in the ledger
unchanged; the period has no gap; no decision that matches the filter was left
out. --overrides cannot be proven offline (it depends on the whole backlog) and
is refused.`,
		Example: `  ledger audit export --from 2026-04-01 --to 2026-07-01 --out q2-bundle
  ledger audit export --epic CARDS --type ranked --from 2026-01-01 --to 2027-01-01 --out cards-2026
  ledger audit check cards-2026 --key audit.pub`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&from, "from", "", "start of the period, included: RFC 3339 or YYYY-MM-DD (midnight UTC at its start)")
	c.Flags().StringVar(&to, "to", "", "end of the period, excluded: RFC 3339 or YYYY-MM-DD (midnight UTC at its start: that day is not in)")
	c.Flags().StringVarP(&out, "out", "o", "", "bundle directory to create (required)")
	c.Flags().StringVar(&cpFile, "checkpoint", "", "prove against this checkpoint file (default: sign one now)")
	c.Flags().StringVar(&keyFile, "key", "", "signing key file, when no --checkpoint (default $"+envAuditKey+", else <data>/audit.key)")
	df.add(c.Flags(), false)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if df.filtered() {
			df.from, df.to = from, to
			return a.auditExportDecisions(ctx, df, out, cpFile, keyFile)
		}
		if from == "" || to == "" || out == "" {
			return usagef("export needs --from, --to and --out, or filters and --out (see \"%s --help\")", cmd.CommandPath())
		}
		t0, err := parseTime("from", from)
		if err != nil {
			return err
		}
		t1, err := parseTime("to", to)
		if err != nil {
			return err
		}
		if !t0.Before(t1) {
			return usagef("--from %s is not before --to %s", from, to)
		}
		period := audit.NewPeriod(t0, t1)
		var m *audit.Manifest
		ready := func(*audit.Ledger) error {
			if period.Len() == 0 {
				return &domain.Error{Kind: domain.KindNotFound, Msg: fmt.Sprintf("no event occurred between %s and %s", t0.Format(time.RFC3339), t1.Format(time.RFC3339))}
			}
			return nil
		}
		err = a.auditProve(ctx, cpFile, keyFile, period.Visit, ready, func(l *audit.Ledger, signed []byte) error {
			var err error
			m, err = audit.Export(l, period, signed, out)
			return err
		})
		if err != nil {
			return err
		}
		if a.jsonOut {
			return a.printJSON(map[string]any{"dir": out, "events": len(m.Events), "firstSeq": m.FirstSeq, "lastSeq": m.LastSeq})
		}
		a.printf("bundle of %d events (sequences %d to %d) written to %s\n", len(m.Events), m.FirstSeq, m.LastSeq, out)
		a.printf("an auditor checks it with: ledger audit check %s --key audit.pub\n", out)
		return nil
	}
	return c
}

// auditExportDecisions writes a decisions bundle for the filter.
func (a *app) auditExportDecisions(ctx context.Context, df decisionFlags, out, cpFile, keyFile string) error {
	if out == "" {
		return usagef("export needs --out DIR: the bundle directory to create")
	}
	if df.quarantined {
		return usagef("--quarantined lists events the ledger refused, not decisions: see \"ledger decisions --quarantined\" and \"ledger audit verify\"")
	}
	if df.outside {
		return usagef("--outside-authority is not part of an export's proof yet: export without it (the bundle holds every matching decision, each with its outsideAuthority flag in the event)")
	}
	if df.overrides {
		return usagef("--overrides cannot be proven offline: whether a rank overrode a higher score depends on the whole backlog; export without it (the bundle then holds every matching rank decision with its score)")
	}
	product, err := a.product(ctx)
	if err != nil {
		return err
	}
	f, _, err := df.filter().DomainFilter(product)
	if err != nil {
		return err
	}
	sel := audit.NewSelection(f)
	var m *audit.DecisionsManifest
	err = a.auditProve(ctx, cpFile, keyFile, sel.Visit, func(*audit.Ledger) error { return nil }, func(l *audit.Ledger, signed []byte) error {
		var err error
		m, err = audit.ExportDecisions(l, sel, signed, out)
		return err
	})
	if err != nil {
		return err
	}
	n := 0
	for _, e := range m.Events {
		if e.Decision {
			n++
		}
	}
	if a.jsonOut {
		return a.printJSON(map[string]any{"dir": out, "decisions": n, "firstSeq": m.FirstSeq, "lastSeq": m.LastSeq,
			"full": len(m.Events), "leaves": len(m.Leaves)})
	}
	a.printf("bundle of %d decision(s) matching %s written to %s\n", n, f, out)
	a.printf("sequences %d to %d: %d event(s) in full, %d by their leaf alone\n", m.FirstSeq, m.LastSeq, len(m.Events), len(m.Leaves))
	a.printf("an auditor checks it with: ledger audit check %s --key audit.pub\n", out)
	return nil
}

// printDecisionsBundle says what a decisions bundle proved.
func (a *app) printDecisionsBundle(res *audit.DecisionsResult) error {
	m := res.Manifest
	if a.jsonOut {
		events := make([]map[string]any, len(res.Decisions))
		for i, c := range res.Decisions {
			events[i] = checkedJSON(c)
		}
		return a.printJSON(map[string]any{"ok": true, "filter": m.Filter, "firstSeq": m.FirstSeq, "lastSeq": m.LastSeq,
			"origin": res.Checkpoint.Origin, "treeSize": res.Checkpoint.Size, "root": res.Checkpoint.Root.String(),
			"claims":    []string{audit.ClaimText[audit.ClaimUnchanged], audit.ClaimText[audit.ClaimNoGap], audit.ClaimText[audit.ClaimComplete]},
			"decisions": events, "warnings": res.Warnings})
	}
	a.printf("OK: %d decision(s) matching %s, against checkpoint %s\n", len(res.Decisions), m.Filter, res.Checkpoint)
	a.printf("  1. every listed decision is in the ledger unchanged: %d proof(s) lead to the checkpoint's root\n", len(res.Decisions))
	a.printf("  2. the period has no gap: sequences %d to %d are all there, %d in full and %d by their leaf\n",
		m.FirstSeq, m.LastSeq, len(res.Decisions)+res.Full, res.Leaves)
	a.printf("  3. no decision that matches the filter was left out: the %d other event(s) shown in full do not match, nor can the %d leaves\n",
		res.Full, res.Leaves)
	for _, c := range res.Decisions {
		a.printChecked(c)
	}
	for _, w := range res.Warnings {
		a.warnf("%s", w)
	}
	return nil
}
