package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain lets a test run this package's test binary as the ledger
// itself: with LEDGER_TEST_AS_LEDGER=1 it is main, with the arguments it
// was given. ledger bench runs its own binary's replay --all that way.
func TestMain(m *testing.M) {
	if os.Getenv("LEDGER_TEST_AS_LEDGER") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// ledger bench measures the replay row in a process of its own: the
// binary's replay --all on the bench's directory, its peak RSS the
// child's, every event replayed without a warning; and its instances
// rows run the binary as serve --nats processes.
func TestBenchReplaysInAChild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every path of the bench")
	}
	t.Setenv("LEDGER_TEST_AS_LEDGER", "1")
	out := newCLI(t).ok("bench", "--events", "3000", "--products", "2", "--reps", "1", "--decisions", "20",
		"--open-items", "500", "--oneshot-events", "500", "--oneshot-fresh", "--instance-decisions", "32", "--tmp", t.TempDir(), "--json")
	var rep struct {
		Paths map[string]struct {
			Ledger  float64 `json:"ledger"`
			Raw     float64 `json:"raw"`
			Note    string  `json:"note"`
			Skipped bool    `json:"skipped"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	rss := rep.Paths["rebuild-rss"]
	assert.False(t, rss.Skipped)
	assert.Contains(t, rss.Note, "of the ledger replay --all process")
	assert.Greater(t, rss.Ledger, 10.0, "MiB: a process with an embedded server")
	assert.Contains(t, rep.Paths["replay"].Note, "in a process of its own")
	assert.Positive(t, rep.Paths["cold-start"].Ledger, "the store opened again after the child")
	assert.Contains(t, rep.Paths["oneshot"].Note, "written moments before", "--oneshot-fresh: the one-shot row did not wait for the duplicate window")
	assert.Contains(t, rep.Paths["backlog-scaling"].Note, "a product of 500 open items", "--open-items")
	// The instances rows ran this binary as serve --nats processes.
	for _, row := range []string{"instances-1p", "instances-3p"} {
		f := rep.Paths[row]
		assert.False(t, f.Skipped, "%s: %s", row, f.Note)
		assert.Positive(t, f.Ledger, "%s: 3 instances", row)
		assert.Positive(t, f.Raw, "%s: 1 instance", row)
		assert.Contains(t, f.Note, "ledger serve --nats processes", row)
	}
}
