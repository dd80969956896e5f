package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// twinLedgers writes the demo history twice, in two data directories
// holding the same audit key: the history is the same on every run and
// Ed25519 signs deterministically, so every checkpoint, proof and bundle
// of one is, byte for byte, the other's. served is the one a test serves.
func twinLedgers(t *testing.T) (served, alone *cli) {
	t.Helper()
	served = demoWithKeys(t)
	alone = newCLI(t)
	alone.ok("demo")
	for _, f := range []string{"audit.key", "audit.pub"} {
		b, err := os.ReadFile(filepath.Join(served.data, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(alone.data, f), b, 0o600))
	}
	return served, alone
}

// sameFiles requires two directories to hold the same files, byte for
// byte.
func sameFiles(t *testing.T, want, got string) {
	t.Helper()
	var n int
	require.NoError(t, filepath.WalkDir(want, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(want, path)
		require.NoError(t, err)
		w, err := os.ReadFile(path)
		require.NoError(t, err)
		g, err := os.ReadFile(filepath.Join(got, rel))
		require.NoError(t, err, rel)
		assert.Equal(t, string(w), string(g), rel)
		n++
		return nil
	}))
	require.Positive(t, n)
}

// TestAuditWhileServing: every audit command works while serve owns the
// data directory, and says and writes what it does on the same ledger
// without serve: checkpoint (serve signs it, with its key, now), verify,
// prove and export (against the checkpoint serve signs for them, read
// from the clients' copy of the ledger), and check. A decision through
// serve is then covered by the next checkpoint.
func TestAuditWhileServing(t *testing.T) {
	c, alone := twinLedgers(t)
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept.txt")
	pub := filepath.Join(c.data, "audit.pub")
	out := func(name string) (served, one string) {
		return filepath.Join(dir, "served-"+name), filepath.Join(dir, "alone-"+name)
	}

	// What each command does without serve.
	wantCP := alone.ok("audit", "checkpoint", "--out", kept)
	wantPrinted := alone.ok("audit", "checkpoint")
	wantVerify := alone.ok("audit", "verify", "--checkpoint", kept)
	proofS, proofA := out("proof-42.json")
	wantProve := alone.ok("audit", "prove", "42", "--out", proofA)
	q2S, q2A := out("q2")
	wantExport := alone.ok("audit", "export", "--from", "2026-04-01", "--to", "2026-07-01", "--out", q2A)
	cardsS, cardsA := out("cards")
	wantCards := alone.ok("audit", "export", "--epic", "CARDS", "--type", "ranked", "--from", "2026-01-01", "--to", "2027-01-01", "--out", cardsA)

	_, serveOut := c.serveHTTP()
	assert.Equal(t, wantCP, c.ok("audit", "checkpoint", "--out", kept), "serve signs it now, and the CLI saves it")
	assert.Equal(t, wantPrinted, c.ok("audit", "checkpoint"), "or prints it")
	assert.True(t, strings.HasPrefix(wantPrinted, "decisionledger/LEDGER\n163\n"), wantPrinted)
	assert.Equal(t, wantVerify, c.ok("audit", "verify", "--checkpoint", kept))
	assert.Contains(t, wantVerify, "ledger verified: 163 events")
	assert.Equal(t, strings.ReplaceAll(wantProve, proofA, proofS), c.ok("audit", "prove", "42", "--out", proofS))
	sameFiles(t, proofA, proofS)
	assert.Equal(t, strings.ReplaceAll(wantExport, q2A, q2S), c.ok("audit", "export", "--from", "2026-04-01", "--to", "2026-07-01", "--out", q2S))
	sameFiles(t, q2A, q2S)
	assert.Equal(t, strings.ReplaceAll(wantCards, cardsA, cardsS),
		c.ok("audit", "export", "--epic", "CARDS", "--type", "ranked", "--from", "2026-01-01", "--to", "2027-01-01", "--out", cardsS))
	sameFiles(t, cardsA, cardsS)
	for _, f := range [][2]string{{proofA, proofS}, {q2A, q2S}, {cardsA, cardsS}} {
		want := alone.ok("audit", "check", f[0], "--key", pub)
		assert.Equal(t, want, c.ok("audit", "check", f[1], "--key", pub), "check while serve runs")
	}
	assert.JSONEq(t, alone.ok("audit", "checkpoint", "--json"), c.ok("audit", "checkpoint", "--json"))
	assert.Contains(t, serveOut.String(), "ledger serving")

	// A decision through serve; the next checkpoint covers it and is
	// consistent with the one kept.
	c.ok("item", "rank", "BNPL-3", "--top", "--why", "Provider sandbox is stable again", "--as", "nina")
	kept2 := filepath.Join(dir, "kept-2.txt")
	assert.Contains(t, c.ok("audit", "checkpoint", "--out", kept2), "checkpoint of 164 events signed")
	v := c.ok("audit", "verify", "--checkpoint", kept, "--checkpoint", kept2)
	assert.Contains(t, v, "ledger verified: 164 events")
	assert.Contains(t, v, "ok   checkpoint "+kept2+": size 164")
	proof := filepath.Join(dir, "proof-164.json")
	assert.Contains(t, c.ok("audit", "prove", "164", "--out", proof), "against the checkpoint of 164 events")
	assert.Contains(t, c.ok("audit", "check", proof, "--key", pub), "OK: sequence 164 is in the ledger")
	assert.Contains(t, c.ok("audit", "prove", "42", "--checkpoint", kept, "--out", filepath.Join(dir, "p.json")),
		"against the checkpoint of 163 events", "a checkpoint kept earlier")

	o := c.run("audit", "checkpoint", "--key", filepath.Join(c.data, "audit.key"))
	assert.Equal(t, exitUsage, o.code, "err: %v", o.err)
	assert.ErrorContains(t, o.err, "while \"ledger serve\" runs it signs the checkpoint with its own key")
}

// TestAuditWhileServingNeedsServesKey: serve without a key says so to
// the CLI as the CLI would (exit 2); a key made while serve runs signs
// the next checkpoint asked for.
func TestAuditWhileServingNeedsServesKey(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")
	c.serveHTTP()
	o := c.run("audit", "checkpoint")
	assert.Equal(t, exitUsage, o.code, "err: %v", o.err)
	assert.ErrorContains(t, o.err, "ledger serve cannot sign: no signing key at "+filepath.Join(c.data, "audit.key"))
	assert.ErrorContains(t, o.err, "ledger audit keygen")
	o = c.run("audit", "prove", "3")
	assert.Equal(t, exitUsage, o.code, "err: %v", o.err)
	assert.ErrorContains(t, o.err, "(or pass --checkpoint FILE)")

	c.ok("audit", "keygen")
	assert.True(t, strings.HasPrefix(c.ok("audit", "checkpoint"), "decisionledger/LEDGER\n163\n"))
	assert.Contains(t, c.ok("audit", "verify"), "ledger verified: 163 events, root")
}

// TestAuditWhileServingRemote: from another machine, with --nats and a
// token: a token with the right to audit has serve sign a checkpoint, and
// proves and exports against it; one without it is refused, saying what
// to do, and still proves against a checkpoint it was given and verifies
// with the verifier key; check needs nothing.
func TestAuditWhileServingRemote(t *testing.T) {
	c, alone := twinLedgers(t)
	pub := filepath.Join(c.data, "audit.pub")
	last := func(out string) string { f := strings.Fields(out); return f[len(f)-1] }
	auditor := last(c.ok("token", "add", "compliance", "--audit"))
	nina := last(c.ok("token", "add", "nina"))
	assert.Regexp(t, `compliance\s+audit\s`, c.ok("token", "list"))
	_, serveOut := c.serveHTTP()
	url := natsURL.FindStringSubmatch(serveOut.String())[1]
	remote := &cli{t: t, data: filepath.Join(t.TempDir(), "no-data-here")}
	as := func(token string, args ...string) outcome {
		return remote.run(append([]string{"--nats", url, "--token", token}, args...)...)
	}
	okAs := func(token string, args ...string) string {
		o := as(token, args...)
		require.NoError(t, o.err, "ledger %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), o.stdout, o.stderr)
		return o.stdout
	}
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept.txt")

	o := as(nina, "audit", "checkpoint", "--out", kept)
	assert.Equal(t, exitRefused, o.code, "err: %v", o.err)
	assert.ErrorContains(t, o.err, "nina may not sign a checkpoint")
	assert.ErrorContains(t, o.err, `ledger token add nina --audit`)
	assert.NoFileExists(t, kept)

	wantKept := filepath.Join(dir, "alone-kept.txt")
	want := alone.ok("audit", "checkpoint", "--out", wantKept)
	assert.Equal(t, strings.ReplaceAll(want, wantKept, kept), okAs(auditor, "audit", "checkpoint", "--out", kept))
	a, err := os.ReadFile(wantKept)
	require.NoError(t, err)
	b, err := os.ReadFile(kept)
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b))

	assert.Contains(t, okAs(nina, "audit", "verify", "--checkpoint", kept, "--key", pub), "ledger verified: 163 events")
	bundle := filepath.Join(dir, "cards")
	assert.Contains(t, okAs(auditor, "audit", "export", "-p", "checkout", "--epic", "CARDS", "--type", "ranked", "--from", "2026-01-01", "--to", "2027-01-01", "--out", bundle),
		"bundle of 3 decision(s)")
	assert.Contains(t, okAs(nina, "audit", "check", bundle, "--key", pub), "OK: 3 decision(s)")
	o = as(nina, "audit", "prove", "42", "--out", filepath.Join(dir, "refused.json"))
	assert.Equal(t, exitRefused, o.code, "err: %v", o.err)
	assert.ErrorContains(t, o.err, "(or pass --checkpoint FILE)")
	proof := filepath.Join(dir, "proof.json")
	assert.Contains(t, okAs(nina, "audit", "prove", "42", "--checkpoint", kept, "--out", proof), "proof of sequence 42")
	assert.Contains(t, okAs(nina, "audit", "check", proof, "--key", pub), "OK: sequence 42 is in the ledger")
	assert.NoDirExists(t, remote.data, "nothing needed a data directory")
}

// cronLine is the README's daily cron job.
var cronLine = regexp.MustCompile("(?m)^0 6 \\* \\* \\*  (ledger audit checkpoint .*)$")

// TestAuditCronRecipeAgainstServe runs the README's cron recipe, as cron
// would run it (through sh, with % as cron hands it over), against a
// served ledger: the checkpoint is signed by serve, saved under the day's
// name and shipped, and verify holds against the shipped copy.
func TestAuditCronRecipeAgainstServe(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the recipe with")
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := cronLine.FindSubmatch(readme)
	require.NotNil(t, m, "the README's cron recipe")
	recipe := strings.ReplaceAll(string(m[1]), `\%`, "%") // cron's escape
	require.Contains(t, recipe, "/srv/ledger/")

	c := demoWithKeys(t)
	c.serveHTTP()
	srv := t.TempDir()
	recipe = strings.ReplaceAll(recipe, "/srv/ledger/", srv+"/")
	require.NoError(t, os.MkdirAll(filepath.Join(srv, "kept"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(srv, "shipped"), 0o755))
	ship := "#!/bin/sh\nset -e\ncp \"$(ls -t " + srv + "/kept/*.txt | head -n 1)\" " + srv + "/shipped/\n"
	require.NoError(t, os.WriteFile(filepath.Join(srv, "ship-checkpoint.sh"), []byte(ship), 0o755))
	// "ledger" on the PATH is this test binary, run as the ledger (TestMain).
	bin := t.TempDir()
	self, err := os.Executable()
	require.NoError(t, err)
	wrapper := "#!/bin/sh\nLEDGER_TEST_AS_LEDGER=1 exec " + self + " \"$@\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "ledger"), []byte(wrapper), 0o755))

	cmd := exec.Command("sh", "-c", recipe)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "LEDGER_DATA="+c.data)
	outb, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", recipe, outb)
	assert.Contains(t, string(outb), "checkpoint of 163 events signed")

	shipped, err := filepath.Glob(filepath.Join(srv, "shipped", "*.txt"))
	require.NoError(t, err)
	require.Len(t, shipped, 1)
	assert.Regexp(t, `/\d{4}-\d{2}-\d{2}\.txt$`, shipped[0], "named after the day")
	v := c.ok("audit", "verify", "--checkpoint", shipped[0])
	assert.Contains(t, v, "ok   checkpoint "+shipped[0]+": size 163")
	assert.Regexp(t, `(?m)^ledger verified: 163 events, root \S+, 2 checkpoint\(s\) hold$`, v, "the shipped copy and serve's own")
}
