package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/term"

	"github.com/decisionledger/ledger/audit"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
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
ledger's operator cannot change: that copy is what makes tampering evident.

While "ledger serve" runs (on this data directory, or on --nats), serve signs
it with its own key, now, and this command prints or saves it the same way;
from another machine that needs a token made with "ledger token add ACTOR
--audit". With nothing new since serve's last checkpoint, that one is given.`,
		Example: `  ledger audit checkpoint --out checkpoint-$(date +%F).txt
  ledger audit checkpoint | mail -s "ledger checkpoint" auditor@example.com
  ledger --nats nats://ledger.example.com:4222 --token ldg_... audit checkpoint --out kept.txt`,
		Args: cobra.NoArgs,
	}
	c.Flags().StringVar(&keyFile, "key", "", "signing key file (default $"+envAuditKey+", else <data>/audit.key; while serve runs, serve's own)")
	c.Flags().StringVarP(&out, "out", "o", "", "also write the checkpoint to this file (default: print it)")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		s, err := a.open(ctx)
		if err != nil {
			return err
		}
		svc, err := a.ledgerService(ctx)
		if err != nil {
			return err
		}
		var signed []byte
		var cp audit.Checkpoint
		if svc != nil {
			if err := keyWhileServed(keyFile); err != nil {
				return err
			}
			var seq uint64
			if signed, cp, seq, err = a.signByServe(ctx, svc); err != nil {
				return err
			}
			// So that what runs next here (verify, prove) finds it.
			if err := a.caughtUp(ctx, s, cp.Size, seq); err != nil {
				a.warnf("serve signed the checkpoint, but this machine's copy of the ledger does not hold it yet: %v", err)
			}
		} else {
			key, err := a.auditSigner(keyFile)
			if err != nil {
				return err
			}
			bar := a.progress("reading the ledger")
			l, err := audit.Scan(ctx, s, audit.ScanOptions{Progress: bar.update})
			bar.done()
			if err != nil {
				return err
			}
			if signed, cp, err = audit.Sign(ctx, s, key, l); err != nil {
				return err
			}
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
		quarantined, err := a.quarantined(ctx)
		if err != nil {
			return err
		}
		if a.jsonOut {
			if err := a.printJSON(struct {
				*audit.Report
				Quarantined []quarantinedEvent `json:"quarantined"`
			}{rep, quarantined}); err != nil {
				return err
			}
			return rep.Err()
		}
		a.printVerifyReport(rep)
		for _, q := range quarantined {
			what := strings.TrimSpace(q.Type + " " + q.Subject)
			if q.Actor != "" {
				what += " by " + q.Actor
			}
			a.warnf("quarantined: sequence %d, %s: %s", q.Seq, what, q.Reason)
		}
		return rep.Err()
	}
	return c
}

// quarantinedEvent is an event the validating fold refused, as verify
// lists it: it is in the ledger (the tree covers it) but no view applies it.
type quarantinedEvent struct {
	Product string `json:"product"`
	Seq     uint64 `json:"seq"`
	Type    string `json:"type"`
	Subject string `json:"subject"`
	Actor   string `json:"actor"`
	Reason  string `json:"reason"`
}

// quarantined lists the quarantined events of every product, from the
// quarantine view (the first of them by sequence when a product has more
// than the view lists: the rest are counted in a warning).
func (a *app) quarantined(ctx context.Context) ([]quarantinedEvent, error) {
	c, err := a.core(ctx)
	if err != nil {
		return nil, err
	}
	var ps query.Products
	if err := c.View(ctx, query.ViewProducts, query.Options{}, &ps); err != nil {
		return nil, err
	}
	out := []quarantinedEvent{}
	for _, p := range ps.Products {
		var q query.Quarantine
		if err := c.View(ctx, query.ViewQuarantine, query.Options{Product: p}, &q); err != nil {
			return nil, err
		}
		for _, e := range q.Entries {
			out = append(out, quarantinedEvent{Product: p, Seq: e.Seq, Type: e.Type, Subject: e.Subject, Actor: e.Actor, Reason: e.Reason})
		}
		if q.Quarantined > len(q.Entries) {
			a.warnf("%s: %d events quarantined, the first %d listed: \"ledger log -p %s --json\" shows every one", p, q.Quarantined, len(q.Entries), p)
		}
	}
	return out, nil
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

// eventKeys finds the keys that sign and check events and snapshots: the
// audit signing key ($LEDGER_AUDIT_KEY, else <data>/audit.key), when this
// process may read it, signs what it writes; the verifier key
// ($LEDGER_AUDIT_PUB, else <data>/audit.pub, else the signing key's own)
// checks every event and snapshot it reads. Either may be missing: a
// ledger without keys signs and checks nothing.
func (a *app) eventKeys() (sign func([]byte) ([]byte, error), verify func(msg, sig []byte) bool, err error) {
	var v note.Verifier
	keyFile := envOr(envAuditKey, filepath.Join(a.dataDir, auditPrefix+".key"))
	if f, err := os.Open(keyFile); err == nil { // readable: this process signs
		f.Close()
		signer, err := a.auditSigner(keyFile)
		if err != nil {
			return nil, nil, err
		}
		sign, v = signer.Sign, signer.Verifier()
	}
	pubFile := envOr(envAuditPub, filepath.Join(a.dataDir, auditPrefix+".pub"))
	if _, err := os.Stat(pubFile); err == nil || strings.Contains(pubFile, "+") {
		vs, err := readVerifiers([]string{pubFile})
		if err != nil {
			return nil, nil, err
		}
		v = vs[0]
	}
	if v != nil {
		verify = v.Verify
	}
	return sign, verify, nil
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
// every N events or every interval (see audit.Checkpointer.Run) with the
// signing key from $LEDGER_AUDIT_KEY or <data>/audit.key. Without a key it
// warns and starts nothing. stop ends it, after a last checkpoint of the
// events not yet covered, and waits for it.
func (a *app) auditCheckpointer(ctx context.Context, s *eventstore.Store, every int, interval time.Duration) (stop func(), err error) {
	return a.serveSigner(s).start(ctx, every, interval)
}
