package eventstore

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// minFree is the free space an embedded store keeps on its data
// directory's file system: a write that would leave less is refused
// before it reaches JetStream. JetStream's file store treats a failed
// write (ENOSPC) as critical and refuses every later write to that stream
// until the server restarts, even once space is freed; the ledger's
// snapshots, checkpoints and the file store's own index writes need some
// room too.
// 0 turns the check off: a variable for the tests of what JetStream does
// without it.
var minFree uint64 = 1 << 20

// ErrDiskFull matches (with errors.Is) the error of a write refused
// because the data directory's file system is (nearly) full.
var ErrDiskFull = fmt.Errorf("disk full")

// DiskFullError is a write refused, with nothing stored, because the file
// system of the data directory is full.
type DiskFullError struct {
	Dir  string
	Free uint64 // bytes free when the write was refused
	// Stored is why JetStream failed, when the store got as far as
	// trying; "" when the ledger refused first.
	Stored string
}

// Error names the directory and says what to do.
func (e *DiskFullError) Error() string {
	if e.Stored != "" {
		return fmt.Sprintf("the disk of data directory %q is full (%s free): JetStream could not store the write (%s); nothing was recorded: free some space, then retry", e.Dir, bytesText(e.Free), e.Stored)
	}
	return fmt.Sprintf("the disk of data directory %q is full (%s free, the ledger keeps %s free): nothing was recorded: free some space, then retry", e.Dir, bytesText(e.Free), bytesText(minFree))
}

// Is makes errors.Is(err, ErrDiskFull) true.
func (e *DiskFullError) Is(target error) bool { return target == ErrDiskFull }

func bytesText(n uint64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// checkSpace refuses a write of about size bytes that would leave less
// than minFree on an embedded store's file system; nil when the store is
// not embedded or the platform cannot tell.
func (s *Store) checkSpace(size int) error {
	if s.natsServer() == nil || s.lock == nil || minFree == 0 {
		return nil
	}
	free, ok := freeBytes(s.lock.dir)
	if !ok || free >= minFree+uint64(size) {
		return nil
	}
	return &DiskFullError{Dir: s.lock.dir, Free: free}
}

// spaceError returns a DiskFullError when the embedded server logged a
// failed write for lack of space since start: a publish JetStream could
// not store gets no answer, only a line in the server's log.
func (s *Store) spaceError(since time.Time) error {
	if s.natsServer() == nil || s.lock == nil || s.log == nil {
		return nil
	}
	at, msg := s.log.spaceError()
	if at.IsZero() || at.Before(since) {
		return nil
	}
	free, _ := freeBytes(s.lock.dir)
	return &DiskFullError{Dir: s.lock.dir, Free: free, Stored: msg}
}

// isSpaceError reports whether a server log line is about a full disk.
func isSpaceError(line string) bool {
	return strings.Contains(line, "no space left on device")
}

// recoverSpace restarts the embedded server after JetStream failed a
// write for lack of space (or refused one for its storage limit, which it
// fixes from the free space at start), once there is room again: the
// file store refuses every write after one failed, and the limit never
// grows, until JetStream starts again. The whole server restarts, not
// JetStream alone: nats-server 2.15 keeps the old JetStream's API
// subscription and queues when JetStream is enabled again at run time,
// and a request arriving meanwhile may never be answered. Restarting it
// recovers the stream from its files, dropping whatever a failed write
// left half-written; the store's in-process connections go back to the
// new server with their subscriptions, and listener clients reconnect
// to the same address. It runs at most once per failure.
func (s *Store) recoverSpace(ctx context.Context) error {
	if s.natsServer() == nil || s.log == nil {
		return nil
	}
	s.recoverMu.Lock()
	defer s.recoverMu.Unlock()
	at, _ := s.log.spaceError()
	if !s.limitHit && (at.IsZero() || !at.After(s.recoveredAt)) {
		return nil
	}
	old := s.natsServer()
	old.Shutdown()
	old.WaitForShutdown()
	ns, err := startServer(ctx, s.opt, s.listen, s.auth, s.log)
	if err != nil {
		return fmt.Errorf("restarting the embedded NATS server after a full disk on %q: %w", s.lock.dir, err)
	}
	s.ns.Store(ns)
	if s.auth != nil {
		s.auth.setServer(ns)
	}
	s.recoveredAt, s.limitHit = time.Now(), false
	// JetStream recovered the stream from its files, without whatever a
	// failed write left half-written: where it ends is for the next
	// appends to learn again.
	s.chain.forget()
	for !s.nc.IsConnected() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("reconnecting to the embedded NATS server restarted after a full disk on %q: %w", s.lock.dir, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return ensureStream(ctx, s.js, 1)
}

// spacePoll is how often a store whose disk filled looks for free space.
const spacePoll = 250 * time.Millisecond

// watchSpace restarts JetStream once there is room again after the
// server failed a write for lack of space: until then the stream answers
// neither writes nor reads. It runs until the store closes.
func (s *Store) watchSpace() {
	for {
		select {
		case <-s.log.spaceSignal():
		case <-s.closing:
			return
		}
		for {
			if free, ok := freeBytes(s.lock.dir); !ok || free >= max(minFree, 1<<20) {
				break
			}
			select {
			case <-time.After(spacePoll):
			case <-s.closing:
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		if err := s.recoverSpace(ctx); err != nil {
			s.log.Errorf("ledger: %v", err)
		}
		cancel()
	}
}
