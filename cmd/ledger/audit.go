package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/term"

	"github.com/decisionledger/ledger/audit"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// Where audit keys are looked for when no --key is given.
const (
	envAuditKey = "LEDGER_AUDIT_KEY" // the signing key file
	envAuditPub = "LEDGER_AUDIT_PUB" // the verifier key: a file or the key itself
	auditPrefix = "audit"            // <data dir>/audit.key and audit.pub
)

// auditCommand is "ledger audit": keys, checkpoints, verification and
// proofs (package audit).
func (a *app) auditCommand() *cobra.Command {
	c := group("audit", "Tamper evidence: signed checkpoints of the ledger, verify it, prove single events",
		a.auditKeygenCommand(), a.auditCheckpointCommand(), a.auditVerifyCommand(),
		a.auditProveCommand(), a.auditCheckCommand(), a.auditExportCommand())
	c.Long = `The ledger's events form a Merkle tree (RFC 6962) in stream order. A checkpoint
is the tree's size and root hash signed with the ledger's Ed25519 key; copies
kept where the ledger's operator cannot reach them make any later edit,
removal, reordering or insertion of an event detectable, and let an auditor
check single events offline.

Keys: the signing key is --key, else $` + envAuditKey + `, else <data>/audit.key.
verify's verifier key is --key, else $` + envAuditPub + `, else <data>/audit.pub;
check never reads the data directory: pass --key or set $` + envAuditPub + `.
A verifier key may be given as a file or as the key text itself.`
	c.Example = `  ledger audit keygen
  ledger audit checkpoint --out ~/checkpoints/ledger-$(date +%F).txt
  ledger audit verify --checkpoint ~/checkpoints/ledger-2026-04-01.txt
  ledger audit prove 42 --out proof-42.json
  ledger audit check proof-42.json --key audit.pub`
	return c
}

func (a *app) auditKeygenCommand() *cobra.Command {
	var out, origin string
	c := &cobra.Command{
		Use:   "keygen [--out PREFIX] [--origin NAME]",
		Short: "Create the ledger's checkpoint signing key (PREFIX.key, secret) and verifier key (PREFIX.pub)",
		Example: `  ledger audit keygen
  ledger audit keygen --out /etc/ledger/audit --origin ledger.example.com/checkout`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&out, "out", "", "path prefix of the key files (default <data>/audit)")
	c.Flags().StringVar(&origin, "origin", audit.DefaultOrigin, "name of the key and origin of its checkpoints: no spaces, no '+'")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if out == "" {
			out = filepath.Join(a.dataDir, auditPrefix)
		}
		skey, vkey, err := audit.GenerateKey(origin)
		if err != nil {
			return usagef("--origin: %v", err)
		}
		keyFile, pubFile := out+".key", out+".pub"
		for _, f := range []string{keyFile, pubFile} {
			if _, err := os.Stat(f); err == nil {
				return fmt.Errorf("%s exists: keys are never overwritten; move it away or choose another --out", f)
			}
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return fmt.Errorf("creating the key directory: %w", err)
		}
		if err := writeNew(keyFile, skey+"\n", 0o600); err != nil {
			return err
		}
		if err := writeNew(pubFile, vkey+"\n", 0o644); err != nil {
			return err
		}
		if a.jsonOut {
			return a.printJSON(map[string]string{"key": keyFile, "pub": pubFile, "verifier": vkey})
		}
		a.printf("signing key:  %s (secret, mode 0600: it signs the checkpoints)\n", keyFile)
		a.printf("verifier key: %s (public: give it to auditors)\n", pubFile)
		a.printf("              %s\n", vkey)
		return nil
	}
	return c
}

// writeNew creates a file that must not exist yet.
func writeNew(name, data string, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

func (a *app) auditCheckpointCommand() *cobra.Command {
	var keyFile, out string
	c := &cobra.Command{
		Use:   "checkpoint [--key FILE] [--out FILE]",
		Short: "Sign a checkpoint of the ledger now, publish it to LEDGER_CHECKPOINTS and print or save it",
		Long: `checkpoint reads the whole ledger, signs its size and root hash, and publishes
the checkpoint (with the leaf hashes that let verify name a changed event) to
the LEDGER_CHECKPOINTS stream. It refuses when the ledger does not extend the
last checkpoint it signed. Copy the printed or saved checkpoint somewhere the
ledger's operator cannot change: that copy is what makes tampering evident.`,
		Example: `  ledger audit checkpoint --out checkpoint-$(date +%F).txt
  ledger audit checkpoint | mail -s "ledger checkpoint" auditor@example.com`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&keyFile, "key", "", "signing key file (default $"+envAuditKey+", else <data>/audit.key)")
	c.Flags().StringVarP(&out, "out", "o", "", "also write the checkpoint to this file (default: print it)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		key, err := a.auditSigner(keyFile)
		if err != nil {
			return err
		}
		s, err := a.open(ctx)
		if err != nil {
			return err
		}
		bar := a.progress("reading the ledger")
		l, err := audit.Scan(ctx, s, audit.ScanOptions{Progress: bar.update})
		bar.done()
		if err != nil {
			return err
		}
		signed, cp, err := audit.Sign(ctx, s, key, l)
		if err != nil {
			return err
		}
		if out != "" {
			if err := os.WriteFile(out, signed, 0o644); err != nil {
				return fmt.Errorf("writing the checkpoint: %w", err)
			}
		}
		if a.jsonOut {
			return a.printJSON(map[string]any{"origin": cp.Origin, "size": cp.Size, "root": cp.Root.String(), "file": out, "checkpoint": string(signed)})
		}
		if out == "" {
			_, err := a.stdout.Write(signed)
			return err
		}
		a.printf("checkpoint of %d events signed (root %s), published to %s and written to %s\n", cp.Size, cp.Root, eventstore.CheckpointStreamName, out)
		a.printf("copy it somewhere the ledger's operator cannot change it (another repository, an auditor's mailbox)\n")
		return nil
	}
	return c
}

func (a *app) auditVerifyCommand() *cobra.Command {
	var files, keys []string
	c := &cobra.Command{
		Use:   "verify [--checkpoint FILE]... [--key VERIFIER]...",
		Short: "Recompute the ledger's tree and check it against every checkpoint; name the first bad sequence",
		Long: `verify reads the whole ledger, recomputes its Merkle tree and checks every
checkpoint given with --checkpoint and every one in LEDGER_CHECKPOINTS: its
signature, the ledger's root at its size, and its consistency with the next.
It detects an edited, removed, reordered or inserted event, a ledger shorter
than a checkpoint, a forged checkpoint and checkpoints that disagree, and
exits 1 naming the first bad sequence. Messages that are not valid ledger
events are reported as warnings.`,
		Example: `  ledger audit verify
  ledger audit verify --checkpoint ~/kept/2026-04-01.txt --checkpoint ~/kept/2026-07-01.txt --key auditor-copy.pub`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringArrayVar(&files, "checkpoint", nil, "a checkpoint file kept outside the ledger (repeatable)")
	c.Flags().StringArrayVar(&keys, "key", nil, "verifier key, a file or the key text (repeatable, for rotated keys; default $"+envAuditPub+", else <data>/audit.pub)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if len(keys) == 0 {
			keys = []string{envOr(envAuditPub, filepath.Join(a.dataDir, auditPrefix+".pub"))}
		}
		verifiers, err := readVerifiers(keys)
		if err != nil {
			return err
		}
		var cps []audit.CheckpointFile
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return usagef("--checkpoint: %v", err)
			}
			cps = append(cps, audit.CheckpointFile{Source: f, Signed: b})
		}
		s, err := a.open(ctx)
		if err != nil {
			return err
		}
		bar := a.progress("verifying the ledger")
		rep, err := audit.Verify(ctx, s, audit.VerifyOptions{Verifiers: verifiers, Checkpoints: cps, Progress: bar.update})
		bar.done()
		if err != nil {
			return err
		}
		if a.jsonOut {
			if err := a.printJSON(rep); err != nil {
				return err
			}
			return rep.Err()
		}
		a.printVerifyReport(rep)
		return rep.Err()
	}
	return c
}

// maxWarnings is how many invalid messages verify lists before counting.
const maxWarnings = 10

func (a *app) printVerifyReport(rep *audit.Report) {
	for _, c := range rep.Checkpoints {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		line := fmt.Sprintf("%s checkpoint %s", mark, c.Source)
		if c.Origin != "" {
			line += fmt.Sprintf(": size %d root %s", c.Size, c.Root)
		}
		a.printf("%s\n", line)
	}
	for _, p := range rep.Problems {
		a.printf("FAIL %s\n", p.Msg)
	}
	for i, w := range rep.Warnings {
		if i == maxWarnings {
			a.warnf("%d more messages that are not valid ledger events (see --json)", len(rep.Warnings)-maxWarnings)
			break
		}
		a.warnf("sequence %d: %s", w.Seq, w.Msg)
	}
	if rep.Err() == nil {
		a.printf("ledger verified: %d events, root %s, %d checkpoint(s) hold\n", rep.Size, rep.Root, len(rep.Checkpoints))
	}
}

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
		Args: positional("SEQ", 0, "prove SEQ"),
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
// and published) and calls prove with it.
func (a *app) auditProve(ctx context.Context, cpFile, keyFile string, visit func(eventstore.Raw) error,
	ready func(*audit.Ledger) error, prove func(*audit.Ledger, []byte) error) error {
	var signed []byte
	var key *audit.Signer
	var err error
	if cpFile != "" {
		if signed, err = os.ReadFile(cpFile); err != nil {
			return usagef("--checkpoint: %v", err)
		}
	} else if key, err = a.auditSigner(keyFile); err != nil {
		return fmt.Errorf("%w (or pass --checkpoint FILE)", err)
	}
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	bar := a.progress("reading the ledger")
	l, err := audit.Scan(ctx, s, audit.ScanOptions{Progress: bar.update, Visit: visit})
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
was left out. Use a verifier key you obtained from the ledger's operator
beforehand, and compare the checkpoint with the ones you keep.`,
		Example: `  ledger audit check proof-42.json --key audit.pub
  ledger audit check ./q2-bundle --key "decisionledger/LEDGER+1a2b3c4d+AXyz..."`,
		Args: positional("PROOF.json|BUNDLE-DIR", 0, "check PROOF.json|BUNDLE-DIR"),
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
		"root": c.Checkpoint.Root.String(), "event": recordedEvent{Seq: c.Leaf.Seq, Event: c.Event}}
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
	c := &cobra.Command{
		Use:   "export --from T0 --to T1 --out DIR",
		Short: "Write the events of a period with their proofs and a checkpoint: a bundle \"audit check\" verifies",
		Long: `export writes into DIR (new or empty) a proof for every event from the first one
that occurred at or after T0 to the last one before T1, with no sequence left
out, the signed checkpoint they lead to, a manifest and a README. An auditor
checks the whole bundle offline with "ledger audit check DIR --key VERIFIER".
The checkpoint is --checkpoint FILE, or a new one signed with the signing key.`,
		Example: `  ledger audit export --from 2026-04-01 --to 2026-07-01 --out q2-bundle
  ledger audit check q2-bundle --key audit.pub`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&from, "from", "", "start of the period, included: RFC 3339 or YYYY-MM-DD (required)")
	c.Flags().StringVar(&to, "to", "", "end of the period, excluded: RFC 3339 or YYYY-MM-DD (required)")
	c.Flags().StringVarP(&out, "out", "o", "", "bundle directory to create (required)")
	c.Flags().StringVar(&cpFile, "checkpoint", "", "prove against this checkpoint file (default: sign one now)")
	c.Flags().StringVar(&keyFile, "key", "", "signing key file, when no --checkpoint (default $"+envAuditKey+", else <data>/audit.key)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		if from == "" || to == "" || out == "" {
			return usagef("export needs --from, --to and --out (see \"%s --help\")", cmd.CommandPath())
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

// auditSigner loads the signing key: the file given, else $LEDGER_AUDIT_KEY,
// else <data>/audit.key.
func (a *app) auditSigner(file string) (*audit.Signer, error) {
	if file == "" {
		file = envOr(envAuditKey, filepath.Join(a.dataDir, auditPrefix+".key"))
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("no signing key at %s: create one with \"ledger audit keygen\", or pass --key FILE or set %s", file, envAuditKey)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the signing key: %w", err)
	}
	if fi, err := os.Stat(file); err == nil && fi.Mode().Perm()&0o077 != 0 {
		a.warnf("signing key %s is readable by others (mode %04o): chmod 600 it", file, fi.Mode().Perm())
	}
	key, err := audit.NewSigner(string(b))
	if err != nil {
		return nil, usagef("%s: %v", file, err)
	}
	return key, nil
}

// readVerifiers reads verifier keys given as files or as key text.
func readVerifiers(keys []string) ([]note.Verifier, error) {
	var vs []note.Verifier
	for _, k := range keys {
		text := k
		b, err := os.ReadFile(k)
		switch {
		case err == nil:
			text = string(b)
		case !strings.Contains(k, "+"):
			return nil, usagef("--key %s: %v (pass the verifier key file written by \"ledger audit keygen\", or the key itself)", k, err)
		}
		v, err := audit.NewVerifier(text)
		if err != nil {
			return nil, usagef("--key %s: %v", k, err)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// progressBar shows a scan's progress on stderr when it is a terminal, and
// does nothing otherwise.
type progressBar struct {
	a    *app
	desc string
	bar  *progressbar.ProgressBar
}

func (a *app) progress(desc string) *progressBar {
	return &progressBar{a: a, desc: desc}
}

func (p *progressBar) update(done, total uint64) {
	if p.bar == nil {
		f, ok := p.a.stderr.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) || total < 1000 {
			return
		}
		p.bar = progressbar.NewOptions64(int64(total),
			progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription(p.desc),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	_ = p.bar.Set64(int64(done))
}

func (p *progressBar) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// auditCheckpointer starts, for serve, a background signer of checkpoints
// every N events or every interval (see audit.RunCheckpointer) with the
// signing key from $LEDGER_AUDIT_KEY or <data>/audit.key. Without a key it
// warns and starts nothing. stop ends it, after a last checkpoint of the
// events not yet covered, and waits for it.
func (a *app) auditCheckpointer(ctx context.Context, s *eventstore.Store, every int, interval time.Duration) (stop func(), err error) {
	key, err := a.auditSigner("")
	var u *usageError
	if errors.As(err, &u) {
		a.warnf("no checkpoints will be signed: %v", err)
		return func() {}, nil
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(a.stderr, format+"\n", args...)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := audit.RunCheckpointer(ctx, s, key, every, interval, logf); err != nil {
			logf("ledger: checkpoints stopped: %v", err)
		}
	}()
	return func() { cancel(); wg.Wait() }, nil
}
