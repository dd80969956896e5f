package eventstoretest_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOnlyTestsImport checks that no package of the module imports
// eventstoretest outside its tests.
func TestOnlyTestsImport(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	const self = "github.com/decisionledger/ledger/eventstore/eventstoretest"
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.NotEmpty(t, lines)
	for _, line := range lines {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			assert.NotEqual(t, self, imp, "%s imports eventstoretest outside its tests", fields[0])
		}
	}
}
