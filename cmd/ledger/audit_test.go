package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
)

// runAudit is run with "ledger audit" added to the root command when it
// is not wired in yet.
func runAudit(ctx context.Context, args []string, stdout, stderr *syncBuffer) error {
	a := newApp(strings.NewReader(""), stdout, stderr)
	defer a.close()
	root := a.rootCommand()
	if !hasCommand(root, "audit") {
		root.AddCommand(a.auditCommand())
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var u *usageError
	if err != nil && !errors.As(err, &u) && isCobraUsage(err) {
		return &usageError{msg: suggestFix(root, args, err)}
	}
	return err
}

func hasCommand(root *cobra.Command, name string) bool {
	for _, c := range root.Commands() {
		if c.Name() == name {
			return true
		}
	}
	return false
}

// audit runs "ledger --data DIR audit args..." (or with another data
// directory when args start with --data).
func (c *cli) audit(args ...string) outcome {
	c.t.Helper()
	var out, errb syncBuffer
	full := append([]string{"--data", c.data, "audit"}, args...)
	err := runAudit(context.Background(), full, &out, &errb)
	return outcome{code: exitCode(err), stdout: out.String(), stderr: errb.String(), err: err}
}

func (c *cli) auditOK(args ...string) string {
	c.t.Helper()
	o := c.audit(args...)
	require.NoError(c.t, o.err, "ledger audit %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), o.stdout, o.stderr)
	return o.stdout
}

// demoWithKeys writes the demo history and the audit keys in the data
// directory.
func demoWithKeys(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	c.ok("demo")
	out := c.auditOK("keygen")
	assert.Contains(t, out, filepath.Join(c.data, "audit.key"))
	return c
}

func TestAuditRoundTrip(t *testing.T) {
	c := demoWithKeys(t)
	pub := filepath.Join(c.data, "audit.pub")
	fi, err := os.Stat(filepath.Join(c.data, "audit.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the signing key is private")

	kept := filepath.Join(t.TempDir(), "kept.txt")
	out := c.auditOK("checkpoint", "--out", kept)
	assert.Contains(t, out, "checkpoint of 163 events signed")
	assert.FileExists(t, kept)

	out = c.auditOK("verify", "--checkpoint", kept)
	assert.Contains(t, out, "ledger verified: 163 events")

	proof := filepath.Join(t.TempDir(), "proof-42.json")
	out = c.auditOK("prove", "42", "--out", proof)
	assert.Contains(t, out, "proof of sequence 42")

	// The auditor has no data directory: check must not need one.
	auditor := &cli{t: t, data: filepath.Join(kept, "no-such-dir")}
	out = auditor.auditOK("check", proof, "--key", pub)
	assert.Contains(t, out, "OK: sequence 42 is in the ledger")
	assert.Contains(t, out, "BacklogItemAdded")
	vkey, err := os.ReadFile(pub)
	require.NoError(t, err)
	out = auditor.auditOK("check", proof, "--key", strings.TrimSpace(string(vkey)), "--json")
	assert.Contains(t, out, `"ok": true`)
	assert.NoDirExists(t, auditor.data)

	bundle := filepath.Join(t.TempDir(), "q2")
	out = c.auditOK("export", "--from", "2026-04-01", "--to", "2026-07-01", "--out", bundle)
	assert.Contains(t, out, "bundle of")
	out = auditor.auditOK("check", bundle, "--key", pub)
	assert.Contains(t, out, "with none left out")

	// A checkpoint printed instead of saved.
	out = c.auditOK("checkpoint")
	assert.True(t, strings.HasPrefix(out, "decisionledger/LEDGER\n163\n"), out)
}

func TestAuditCheckFailsOnChangedByte(t *testing.T) {
	c := demoWithKeys(t)
	pub := filepath.Join(c.data, "audit.pub")
	proof := filepath.Join(t.TempDir(), "proof.json")
	c.auditOK("prove", "7", "--out", proof)
	good, err := os.ReadFile(proof)
	require.NoError(t, err)

	for _, field := range []string{`"payload": "`, `"leafHash": "`, `"inclusion": [`, `"checkpoint": "`} {
		t.Run(strings.Trim(field, `": [`), func(t *testing.T) {
			b := bytes.Clone(good)
			b[bytes.Index(b, []byte(field))+len(field)+8] ^= 0x02
			bad := filepath.Join(t.TempDir(), "bad.json")
			require.NoError(t, os.WriteFile(bad, b, 0o644))
			o := c.audit("check", bad, "--key", pub)
			assert.Equal(t, exitFailure, o.code, "err: %v", o.err)
			require.Error(t, o.err)
			assert.NotContains(t, oneLine(o.err.Error()), "\n")
		})
	}
}

// TestAuditVerifyNamesTheSequence rewrites event 42 in the store's files'
// stream, behind the ledger's back, and runs verify as a user would.
func TestAuditVerifyNamesTheSequence(t *testing.T) {
	c := demoWithKeys(t)
	kept := filepath.Join(t.TempDir(), "kept.txt")
	c.auditOK("checkpoint", "--out", kept)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: c.data})
	require.NoError(t, err)
	var raws []eventstore.Raw
	_, err = s.ReadRaw(ctx, 0, func(r eventstore.Raw) error { raws = append(raws, r); return nil })
	require.NoError(t, err)
	raws[41].Data = bytes.Replace(raws[41].Data, []byte(`"occurredAt":"2026-`), []byte(`"occurredAt":"2025-`), 1)
	require.NoError(t, eventstoretest.ReplaceLedger(ctx, s, raws))
	require.NoError(t, s.Close())

	o := c.audit("verify", "--checkpoint", kept)
	assert.Equal(t, exitFailure, o.code)
	require.Error(t, o.err)
	assert.Contains(t, o.err.Error(), "verification failed at sequence 42")
	assert.Contains(t, o.stdout, "FAIL checkpoint "+kept)

	// prove refuses to prove against a checkpoint the ledger no longer matches.
	o = c.audit("prove", "3", "--checkpoint", kept)
	assert.Equal(t, exitFailure, o.code)
	assert.ErrorContains(t, o.err, "run \"ledger audit verify\"")
}

func TestAuditForgedCheckpointFails(t *testing.T) {
	c := demoWithKeys(t)
	kept := filepath.Join(t.TempDir(), "kept.txt")
	c.auditOK("checkpoint", "--out", kept)
	b, err := os.ReadFile(kept)
	require.NoError(t, err)
	forged := filepath.Join(t.TempDir(), "forged.txt")
	require.NoError(t, os.WriteFile(forged, bytes.Replace(b, []byte("\n163\n"), []byte("\n160\n"), 1), 0o644))
	o := c.audit("verify", "--checkpoint", forged)
	assert.Equal(t, exitFailure, o.code)
	assert.ErrorContains(t, o.err, "verification failed: "+forged+": checkpoint signature not valid")
}

func TestAuditUsageErrors(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"ErrNoSigningKey", []string{"checkpoint"}, exitUsage, "ledger audit keygen"},
		{"ErrNoVerifierKey", []string{"check", "proof.json"}, exitUsage, "which verifier key"},
		{"ErrBadSeq", []string{"prove", "forty-two"}, exitUsage, "not a stream sequence"},
		{"ErrMissingSeq", []string{"prove"}, exitUsage, "missing SEQ"},
		{"ErrExportFlags", []string{"export", "--from", "2026-01-01"}, exitUsage, "--to"},
		{"ErrExportOrder", []string{"export", "--from", "2026-02-01", "--to", "2026-01-01", "--out", "x"}, exitUsage, "not before"},
		{"ErrBadOrigin", []string{"keygen", "--origin", "a b"}, exitUsage, "--origin"},
		{"ErrVerifierMissing", []string{"verify"}, exitUsage, "audit.pub"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := c.audit(tc.args...)
			assert.Equal(t, tc.code, o.code, "err: %v", o.err)
			require.Error(t, o.err)
			assert.Contains(t, o.err.Error(), tc.msg)
		})
	}

	c.auditOK("keygen")
	o := c.audit("keygen")
	assert.Equal(t, exitFailure, o.code)
	assert.ErrorContains(t, o.err, "never overwritten")
	o = c.audit("prove", "9999")
	assert.Equal(t, exitRefused, o.code, "err: %v", o.err)
	assert.ErrorContains(t, o.err, "not in the ledger (it ends at 163)")
	o = c.audit("verify")
	assert.Equal(t, exitFailure, o.code, "no checkpoint yet is a failure, not a pass")
	assert.ErrorContains(t, o.err, "no checkpoint to verify against")
}

func TestAuditHelpHasExamples(t *testing.T) {
	c := newCLI(t)
	for _, sub := range []string{"keygen", "checkpoint", "verify", "prove", "check", "export"} {
		out := c.auditOK(sub, "--help")
		assert.Contains(t, out, "Example", "ledger audit %s --help", sub)
	}
	out := c.auditOK("--help")
	assert.Contains(t, out, "LEDGER_AUDIT_KEY")
}

// TestAuditCheckpointerForServe runs the function serve wires in.
func TestAuditCheckpointerForServe(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var out, errb syncBuffer
	a := newApp(strings.NewReader(""), &out, &errb)
	a.dataDir = c.data
	s, err := a.open(ctx)
	require.NoError(t, err)
	defer a.close()

	stop, err := a.auditCheckpointer(ctx, s, 100, 0)
	require.NoError(t, err)
	stop()
	assert.Contains(t, errb.String(), "no checkpoints will be signed")

	c.auditOK("keygen")
	stop, err = a.auditCheckpointer(ctx, s, 100, 0)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return strings.Contains(errb.String(), "checkpoint signed: decisionledger/LEDGER size 163")
	},
		10*time.Second, 20*time.Millisecond, "stderr: %s", errb.String())
	stop()
}
