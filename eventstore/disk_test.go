package eventstore

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// smallDisk mounts a tmpfs of the given size (e.g. "8m") in a temporary
// directory, or skips the test where the machine does not allow it.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a %s tmpfs to fill (needs root and mount): %v: %s", size, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file on dir until the file system is full and returns
// its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	for n := len(buf) / 2; n > 0; n /= 2 {
		_, _ = f.Write(buf[:n])
	}
	return path
}

// TestAppend_DiskFull fills the file system under an embedded store, with
// the ledger's own check of free space and, by setting its margin to
// zero, without it (so that JetStream's file store fails the write): both
// times the append fails at once with a DiskFullError naming the
// directory, nothing is stored, and once space is freed the same store
// appends again.
func TestAppend_DiskFull(t *testing.T) {
	for _, tc := range []struct {
		name   string
		margin uint64
	}{{"Refused", minFree}, {"JetStreamFailed", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			// Restored after the store below is closed (cleanups run
			// last first): its background work reads the margin.
			t.Cleanup(func(m uint64) func() { return func() { minFree = m } }(minFree))
			minFree = tc.margin
			mnt := smallDisk(t, "8m")
			dir := filepath.Join(mnt, "data")
			s, err := Open(testCtx(t), Options{DataDir: dir})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			ctx := testCtx(t)
			seqs, err := s.Append(ctx, []domain.Event{productCreated("full", "c1")}, 0)
			require.NoError(t, err)
			last := seqs[0]

			filler := fill(t, mnt)
			// JetStream may still fit a few events in the pages its
			// block file has; the first write it cannot fit fails.
			var start time.Time
			stored := 1
			for i := 1; i < 1000; i++ {
				start = time.Now()
				seqs, err = s.Append(ctx, []domain.Event{itemAdded("full", "c2-"+strconv.Itoa(i), i)}, last)
				if err != nil {
					break
				}
				last, stored = seqs[0], stored+1
			}
			require.Error(t, err)
			var full *DiskFullError
			require.ErrorAs(t, err, &full, "%v", err)
			assert.ErrorIs(t, err, ErrDiskFull)
			assert.Contains(t, err.Error(), dir)
			t.Logf("%s after %s: %v", tc.name, time.Since(start).Round(time.Millisecond), err)

			require.NoError(t, os.Remove(filler))
			// A question the old server took as it stopped for the
			// restart is never answered: each one has its own deadline.
			require.Eventually(t, func() bool {
				qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				got, err := s.LastSeq(qctx, "full")
				return err == nil && got == last
			}, 20*time.Second, 50*time.Millisecond, "once space is freed, the stream answers again, and the failed write is not in it")
			seqs, err = s.Append(ctx, []domain.Event{itemAdded("full", "c3", 1000)}, last)
			require.NoError(t, err, "once space is freed, the store appends again")
			events := readAll(t, s, "full")
			require.Len(t, events, stored+1, "the events stored before the disk filled and the one after, nothing half-written")
			assert.Equal(t, seqs[0], events[len(events)-1].Seq)
		})
	}
}
