package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/audit"
)

// The auditor's question on the demo: CARD-1 (44), CARD-5 (45) and CARD-2
// (46, the override) are the CARDS epic's rank decisions, all on 01-08.
func TestDecisionsCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("demo")
	args := []string{"decisions", "--epic", "CARDS", "--type", "ranked", "--from", "2026-01-01", "--to", "2027-01-01"}

	text := c.ok(args...)
	lines := strings.Split(strings.TrimSpace(text), "\n")
	require.Len(t, lines, 4)
	assert.Contains(t, lines[0], "SEQ")
	assert.Contains(t, lines[3], "OVERRIDE rank 4 -> 1")
	for _, l := range lines {
		assert.LessOrEqual(t, len([]rune(l)), 100, "fits 100 columns: %q", l)
	}

	js := c.ok(append(args, "--json")...)
	var seqs []uint64
	for _, l := range strings.Split(strings.TrimSpace(js), "\n") {
		var row map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &row), "one object per line")
		seqs = append(seqs, uint64(row["seq"].(float64)))
		assert.Equal(t, "olga", row["actor"])
	}
	assert.Equal(t, []uint64{44, 45, 46}, seqs)

	recs, err := csv.NewReader(strings.NewReader(c.ok(append(args, "--csv")...))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 4)
	assert.Equal(t, "seq", recs[0][0])
	assert.Equal(t, "ledger.checkout.item.CARD-2", recs[3][3])
	assert.Equal(t, "rank 4 -> 1; score RICE/v1 1687.5", recs[3][11])
	assert.Equal(t, "CARD-1 (RICE 5400); CARD-5 (RICE 6000)", recs[3][17])

	// A why that a spreadsheet would run is downloaded as text.
	c.ok("request", "submit", "REQ-F", "--title", "Fax", "--why", "=1+cmd|' /C calc'!A0", "--as", "sally")
	recs, err = csv.NewReader(strings.NewReader(c.ok("decisions", "--request", "REQ-F", "--csv"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, "'=1+cmd|' /C calc'!A0", recs[1][9])

	o := c.run("decisions", "--type", "promoted")
	assert.Equal(t, exitUsage, o.code)
	assert.ErrorContains(t, o.err, `--type "promoted" is not one of accepted, added`)
	assert.ErrorContains(t, o.err, "or an event type name such as BacklogItemRanked")
	o = c.run("decisions", "--csv", "--json")
	assert.Equal(t, 2, o.code)
	help := c.ok("decisions", "--help")
	assert.Contains(t, help, "ledger decisions --epic CARDS --type ranked")
}

// TestAuditExportDecisions exports the auditor's question and checks it
// offline; the bundle with CARD-2's rank (46) demoted from the list fails
// claim 3, and exit code 1.
func TestAuditExportDecisions(t *testing.T) {
	c := demoWithKeys(t)
	pub := filepath.Join(c.data, "audit.pub")
	dir := filepath.Join(t.TempDir(), "cards-2026")
	out := c.auditOK("export", "--epic", "CARDS", "--type", "ranked", "--from", "2026-01-01", "--to", "2027-01-01", "--out", dir)
	assert.Contains(t, out, "bundle of 3 decision(s)")
	out = c.auditOK("check", dir, "--key", pub)
	assert.Contains(t, out, "OK: 3 decision(s)")
	for _, claim := range []string{"1. every listed decision is in the ledger unchanged", "2. the period has no gap",
		"3. no decision that matches the filter was left out", "#46 2026-01-08 10:10 BacklogItemRanked item/CARD-2 by olga (po)"} {
		assert.Contains(t, out, claim)
	}

	name := filepath.Join(dir, audit.DecisionsManifestFile)
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	var m audit.DecisionsManifest
	require.NoError(t, json.Unmarshal(b, &m))
	for i := range m.Events {
		if m.Events[i].Seq == 46 {
			m.Events[i].Decision = false
		}
	}
	b, err = json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(name, b, 0o644))
	o := c.audit("check", dir, "--key", pub)
	assert.Equal(t, 1, o.code)
	assert.ErrorContains(t, o.err, "claim 3 failed (no decision that matches the filter was left out)")

	o = c.audit("export", "--overrides", "--out", filepath.Join(t.TempDir(), "x"))
	assert.Equal(t, 2, o.code)
	assert.ErrorContains(t, o.err, "cannot be proven offline")
}
