package faults

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerGone kill -9s serve while a CLI write waits for its answer:
// the CLI must say that the outcome is unknown and name the command id to
// retry with, and the retry with that id must record the write once. The
// kill comes a little after the CLI process starts, later each try, until
// one lands while the CLI waits on serve (usually within a few tries).
func TestServerGone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ledger and kills serve")
	}
	dir := t.TempDir()
	srv := startServe(t, dir, "--checkpoint-every", "0", "--checkpoint-interval", "0")
	r := runLedger(t, "--data", dir, "product", "create", "gone", "--name", "Gone", "--pm", "pam", "--po", "olga", "--as", "pam")
	require.Equal(t, 0, r.code, "%s", r)

	var seen []string
	for try := 0; try < 60 && len(seen) == 0; try++ {
		cmdID := fmt.Sprintf("gone-%d", try)
		cmd := exec.Command(ledgerBinary(t), "--data", dir, "-p", "gone", "--as", "olga", "--timeout", "2s",
			"item", "add", fmt.Sprintf("G-%d", try), "--title", "Gone", "--command-id", cmdID)
		cmd.Env = cleanEnv()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Start())
		// The kill's moment, moving through the CLI's life; not
		// synchronisation: any moment is a valid test, some are the one
		// this test is after.
		time.Sleep(time.Duration(5+try%12*3) * time.Millisecond)
		srv.kill()
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		msg := strings.TrimSpace(stderr.String())
		srv = startServe(t, dir, "--checkpoint-every", "0", "--checkpoint-interval", "0")
		if !strings.Contains(msg, "is unknown") {
			continue // done before the kill, or not yet sent
		}
		seen = append(seen, msg)
		assert.Equal(t, 1, code)
		assert.Contains(t, msg, "the outcome of command "+cmdID+" is unknown (it may or may not be recorded)")
		assert.Contains(t, msg, "retry with --command-id "+cmdID+", which records it once")
		t.Logf("after %d tries: %s", try+1, msg)

		r := runLedger(t, "--data", dir, "-p", "gone", "--as", "olga", "item", "add", fmt.Sprintf("G-%d", try),
			"--title", "Gone", "--command-id", cmdID)
		require.Equal(t, 0, r.code, "the retry: %s", r)
		assert.Regexp(t, `^(recorded #\d+ BacklogItemAdded|already recorded)`, r.stdout)
		entries := readLog(t, dir, "gone")
		checkExactlyOnce(t, entries, map[string]bool{cmdID: true})
	}
	require.NotEmpty(t, seen, "no kill landed while the CLI waited for serve")
}
