package audit

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOfflineImports holds audit to its doc: an auditor's "audit check"
// needs the verifier key and the proof, not the ledger, so the package
// (without its tests) must not pull in the event store or NATS.
func TestOfflineImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/nats-io/", "github.com/decisionledger/ledger/eventstore",
			"github.com/decisionledger/ledger/projections", "github.com/decisionledger/ledger/replay",
			"github.com/decisionledger/ledger/command", "github.com/decisionledger/ledger/cmd"} {
			assert.False(t, strings.HasPrefix(dep, banned), "audit depends on %s", dep)
		}
	}
}
