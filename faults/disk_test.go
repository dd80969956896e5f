package faults

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/eventstore"
)

// TestDiskFull fills the file system under a running serve (a 16 MB
// tmpfs): a write fails, within its timeout, saying that the disk of the
// data directory is full and that nothing was recorded; once the space is
// freed the same serve records writes again, and the stream holds every
// acknowledged write once and nothing of the refused one. It needs root
// (mount); elsewhere it is skipped, and eventstore's TestAppend_DiskFull
// checks what JetStream does when its own write fails.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ledger and mounts a tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a 16 MB tmpfs to fill (needs root and mount): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	dir := filepath.Join(mnt, "data")
	srv := startServe(t, dir, "--checkpoint-every", "0", "--checkpoint-interval", "0")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve's output:\n%s", srv.output())
		}
	})
	write := func(item string) result {
		return runLedger(t, "--data", dir, "-p", "disk", "--as", "olga", "--timeout", "5s",
			"item", "add", item, "--title", "Item "+item, "--command-id", "disk-"+item)
	}
	r := runLedger(t, "--data", dir, "product", "create", "disk", "--name", "Disk", "--pm", "pam", "--po", "olga", "--as", "pam")
	require.Equal(t, 0, r.code, "%s", r)
	r = write("BEFORE")
	require.Equal(t, 0, r.code, "%s", r)
	// The disk fills while serve is idle: its clients' copy has copied
	// BEFORE. (A copy still writing when another process takes the last
	// byte fails as any JetStream write does, and JetStream stops until
	// there is room again: see eventstore's TestCopyNoRoom.)
	copied := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := eventstore.Open(ctx, eventstore.Options{DataDir: dir})
		if err != nil {
			return false
		}
		defer s.Close()
		info, err := s.StreamInfo(ctx)
		return err == nil && info.LastSeq == 2
	}
	require.Eventually(t, copied, 20*time.Second, 50*time.Millisecond, "the clients' copy")

	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	require.NoError(t, err)
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	require.NoError(t, f.Close())

	r = write("FULL")
	assert.Equal(t, 1, r.code, "%s", r)
	assert.Contains(t, r.stderr, "the disk of data directory")
	assert.Contains(t, r.stderr, dir)
	assert.Contains(t, r.stderr, "is full")
	assert.Contains(t, r.stderr, "nothing was recorded")
	assert.NotContains(t, r.stderr, "unknown", "the write failed within its timeout, with a known outcome")
	t.Logf("disk full: %s", strings.TrimSpace(r.stderr))
	r = runLedger(t, "--data", dir, "-p", "disk", "show", "backlog", "--json")
	assert.Equal(t, 0, r.code, "reads go on while the disk is full: %s", r)

	require.NoError(t, os.Remove(filler))
	r = write("AFTER")
	require.Equal(t, 0, r.code, "once space is freed, the same serve records again: %s", r)
	entries := readLog(t, dir, "disk")
	checkExactlyOnce(t, entries, map[string]bool{"disk-BEFORE": true, "disk-AFTER": true})
	for _, e := range entries {
		assert.NotEqual(t, "disk-FULL", e.CommandID, "the refused write left nothing")
	}
	assert.Len(t, entries, 3)
}
