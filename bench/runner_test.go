package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
)

// TestRun runs the bench on a small history: every path is reported,
// the JSON line carries every figure. Timings are not checked: they are what the bench is for.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every path on a real store")
	}
	rep, err := bench.Run(context.Background(), bench.Options{Dir: t.TempDir(), Events: 4000, Products: 2, Reps: 1, Decisions: 50,
		OpenItems: 1000, OneShotEvents: 2000, FreshOneShot: true})
	require.NoError(t, err)
	for _, name := range []string{"import", "rebuild", "replay", "rebuild-rss", "rebuild-log-rss", "decision", "why", "http",
		"asof", "asof-scaling", "snapshot-bytes", "cold-start", "backlog-scaling", "writers", "oneshot"} {
		f, ok := rep.Paths[name]
		require.True(t, ok, name)
		assert.False(t, f.Skipped, name)
		assert.Positive(t, f.Ledger, name)
	}
	// Without a ledger binary to serve with, the instances rows say so.
	for _, name := range []string{"instances-1p", "instances-3p"} {
		f, ok := rep.Paths[name]
		require.True(t, ok, name)
		assert.True(t, f.Skipped, name)
		assert.Contains(t, f.Note, "no ledger binary", name)
	}
	var table, line bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	assert.Contains(t, table.String(), "durable decision")
	require.NoError(t, rep.WriteJSON(&line))
	var back struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(line.Bytes(), &back))
	assert.Len(t, back.Paths, len(rep.Paths))
	assert.Contains(t, back.Paths["import"], "ratio")
	assert.Positive(t, rep.Paths["http"].Raw, "the static side of the HTTP row")
	assert.Contains(t, rep.Paths["http"].Note, "/backlog")
	assert.Positive(t, rep.Paths["backlog-scaling"].Raw, "the small backlog's side")
	assert.Positive(t, rep.Paths["writers"].Raw, "the raw writers' side")
	assert.Positive(t, rep.Paths["oneshot"].Raw, "the short history's side")
}
