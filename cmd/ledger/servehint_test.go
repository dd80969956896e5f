package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var serveHint = regexp.MustCompile(`in another terminal: ledger (log [^|]*?)\s+\|`)

// startServe runs "ledger args..." (a serve) until the test ends and
// returns what it printed once it says where to find it.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, strings.NewReader(""), &out, &errb) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	require.Eventually(t, func() bool { return serveHint.MatchString(out.String()) }, 20*time.Second, 20*time.Millisecond,
		"serve did not start: %s %s", out.String(), errb.String())
	return out.String()
}

// runHint runs the command serve's hint names, as a user would in
// another terminal: from another working directory, without LEDGER_DATA.
func runHint(t *testing.T, out string) string {
	t.Helper()
	hint := serveHint.FindStringSubmatch(out)[1]
	t.Chdir(t.TempDir())
	t.Setenv("LEDGER_DATA", "")
	args := strings.Fields(strings.TrimSuffix(strings.TrimSpace(hint), "(as your own NATS user)"))
	var o, e syncBuffer
	require.NoError(t, run(context.Background(), args, strings.NewReader(""), &o, &e), "ledger %s: %s", hint, e.String())
	return o.String()
}

// TestServeHintNamesItsLedger: the line serve prints for another
// terminal names the data directory it serves, the default one included
// (it named none, and "ledger log" from another directory found another
// ledger), and on --nats the NATS system without serve's credentials; the
// command it names works from anywhere.
func TestServeHintNamesItsLedger(t *testing.T) {
	t.Run("CustomData", func(t *testing.T) {
		c := newCLI(t)
		out := startServe(t, "--data", c.data, "serve", "--demo", "--nats-listen", "127.0.0.1:0", "--http", "off")
		assert.Contains(t, out, "in another terminal: ledger log --data "+c.data+"   |")
		assert.Contains(t, runHint(t, out), "ProductCreated")
	})
	t.Run("DefaultData", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		t.Setenv("LEDGER_DATA", "")
		out := startServe(t, "serve", "--demo", "--nats-listen", "127.0.0.1:0", "--http", "off")
		assert.Contains(t, out, "in another terminal: ledger log --data "+filepath.Join(dir, "ledger-data")+"   |")
		assert.Contains(t, runHint(t, out), "ProductCreated")
	})
	t.Run("RelativeData", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		out := startServe(t, "--data", "my ledger", "serve", "--nats-listen", "127.0.0.1:0", "--http", "off")
		assert.Contains(t, out, "in another terminal: ledger log --data '"+filepath.Join(dir, "my ledger")+"'   |", "absolute, and quoted for the shell")
	})
	t.Run("NATS", func(t *testing.T) {
		url := plainNATS(t)
		withUser := strings.Replace(url, "nats://", "nats://ledger-serve:s3cret@", 1)
		c := newCLI(t)
		out := startServe(t, "--data", c.data, "--nats", withUser, "serve", "--demo", "--http", "off")
		assert.Contains(t, out, "in another terminal: ledger log --nats "+url+"   (as your own NATS user)   |")
		assert.NotContains(t, out, "s3cret")
		assert.Contains(t, runHint(t, out), "ProductCreated")
	})
}
