package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/decisionledger/ledger/domain"
)

const (
	lockFile  = "LOCK"
	ownerFile = "owner.json"
	// queueDir holds the tickets of processes waiting for the lock.
	queueDir = "lock.queue"
	// ownerWait is how long Open waits, by default, for one-shot owners of
	// the data directory to finish before giving up (Options.LockWait).
	ownerWait = 10 * time.Second
	// ownerPoll is the interval between attempts to take the lock.
	ownerPoll = 10 * time.Millisecond
	// queuePoll is the interval at which a waiter behind others checks
	// its place in the queue.
	queuePoll = 50 * time.Millisecond
)

// ErrInUse matches (with errors.Is) the error Open returns when another
// process owns the data directory and does not serve it.
var ErrInUse = errors.New("data directory in use")

// InUseError is Open's error when another process that does not serve the
// data directory holds it.
type InUseError struct {
	Dir string
	PID int // 0 when the owner has not written owner.json yet
	// Waited is how long Open waited; Queued how many other processes
	// were waiting for the directory too.
	Waited time.Duration
	Queued int
	// Err is why the owner's URL could not be used, when it has one.
	Err error
}

// Error says who holds the directory and what to do.
func (e *InUseError) Error() string {
	owner := "another process"
	if e.PID > 0 {
		owner = fmt.Sprintf("process %d", e.PID)
	}
	if e.Err != nil {
		return fmt.Sprintf("data directory %q is in use by %s, which serves it but cannot be reached: %v: wait for it to finish, or restart \"ledger serve\"", e.Dir, owner, e.Err)
	}
	return fmt.Sprintf("data directory %q is busy: %s (not serving) held it, and %d other processes waited for it, for all of %s: retry, or run \"ledger serve\" to share it", e.Dir, owner, e.Queued, e.Waited.Round(time.Millisecond))
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Unwrap returns why the owner's URL could not be used, if it has one.
// Otherwise the directory was only busy with other one-shot processes,
// which is contention like a lost race on a product: the error is then
// also a domain conflict (the CLI's exit 4, "retry"), not a failure.
func (e *InUseError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Err}
	}
	return []error{domain.ErrConflict}
}

// ErrServed matches (with errors.Is) the error a serving Open returns when
// another process already serves the data directory.
var ErrServed = errors.New("data directory already served")

// ServedError is a serving Open's error when another process serves the
// data directory: two servers cannot share it, and the first one is
// reachable at URL.
type ServedError struct {
	Dir string
	PID int
	URL string
}

// Error names the serving process and where it listens.
func (e *ServedError) Error() string {
	return fmt.Sprintf("data directory %q is already served by process %d at %s: use that one, or stop it first", e.Dir, e.PID, e.URL)
}

// Is makes errors.Is(err, ErrServed) true.
func (e *ServedError) Is(target error) bool { return target == ErrServed }

// ErrReadOnly matches (with errors.Is) the error of a write through a
// store that reads the clients' copy of the ledger: only serve writes,
// and other processes send it commands through its service.
var ErrReadOnly = errors.New("writes go through the ledger service")

// ReadOnlyError is the error of Append, PublishCheckpoint, PublishLeaves
// and snapshot writes on a store that reads the clients' copy of the
// ledger: a client of the serve that owns a data directory, or a client
// of a NATS system whose user is in the clients' account.
type ReadOnlyError struct {
	Dir string // the data directory, when a serve owns it
	PID int
	URL string // the NATS server otherwise
}

// Error says who writes and how to reach it.
func (e *ReadOnlyError) Error() string {
	if e.Dir != "" {
		return fmt.Sprintf("the data directory %q is served by \"ledger serve\" (pid %d): writes go through its service", e.Dir, e.PID)
	}
	return fmt.Sprintf("this NATS user at %s reads the clients' copy of the ledger: writes go through the ledger service (is \"ledger serve\" running?)", e.URL)
}

// Is makes errors.Is(err, ErrReadOnly) true.
func (e *ReadOnlyError) Is(target error) bool { return target == ErrReadOnly }

// owner is the content of DataDir/owner.json: who owns the directory and
// where it serves it.
type owner struct {
	PID int `json:"pid"`
	// URL is the listener, set only by a serving owner.
	URL string `json:"url"`
	// Token is the local credential of a serving owner: the CLI on this
	// machine signs in with it (whoever can read this file can read the
	// data directory, and so act as anyone anyway). The file is mode 0600.
	Token   string    `json:"token,omitempty"`
	Started time.Time `json:"started"`
}

// dirLock is an exclusive lock on a data directory, held for the life of
// the embedded server.
type dirLock struct {
	dir  string
	file *os.File
}

// errLocked is lockDir's answer when another open file holds the lock.
var errLocked = errors.New("locked")

// lockDir takes the exclusive, non-blocking lock on dir/LOCK. The lock is
// held by the open file: it is released when the file is closed or the
// process dies, so a crashed owner never blocks the directory.
func lockDir(dir string) (*dirLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the lock of data directory %q: %w", dir, err)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, err
	}
	return &dirLock{dir: dir, file: f}, nil
}

// writeOwner records this process as the owner, atomically: url is the
// listener ("" when not serving), token its local credential.
func (l *dirLock) writeOwner(url, token string) error {
	b, err := json.Marshal(owner{PID: os.Getpid(), URL: url, Token: token, Started: time.Now().UTC()})
	if err != nil {
		return err
	}
	tmp := filepath.Join(l.dir, ownerFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("cannot write %s: %w", ownerFile, err)
	}
	if err := os.Rename(tmp, filepath.Join(l.dir, ownerFile)); err != nil {
		return fmt.Errorf("cannot write %s: %w", ownerFile, err)
	}
	return nil
}

// release removes owner.json and then drops the lock.
func (l *dirLock) release() error {
	var errs []error
	if err := os.Remove(filepath.Join(l.dir, ownerFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("cannot remove %s: %w", ownerFile, err))
	}
	if err := funlock(l.file); err != nil {
		errs = append(errs, fmt.Errorf("cannot unlock data directory %q: %w", l.dir, err))
	}
	if err := l.file.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// readOwner reads dir/owner.json; a missing or half-written file reads as
// the zero owner.
func readOwner(dir string) owner {
	var o owner
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err == nil {
		_ = json.Unmarshal(b, &o)
	}
	return o
}

// openDir opens the store on a data directory: as its owner with an
// embedded server when the lock is free; as a client of the owner when the
// owner serves it (a serving Open fails at once instead: one process
// serves a directory); otherwise it queues behind the other processes
// waiting for the directory, first come first served, for at most
// Options.LockWait. Without the queue, waiters polled the lock and whoever
// happened to poll first got it: with 48 one-shot writers, one write in
// nine waited out its time behind luckier later arrivals.
func openDir(ctx context.Context, opt Options) (*Store, error) {
	if err := os.MkdirAll(opt.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create data directory %q: %w", opt.DataDir, err)
	}
	wait := opt.LockWait
	if wait <= 0 {
		wait = ownerWait
	}
	start := time.Now()
	deadline := start.Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	t, err := takeTicket(opt.DataDir)
	if err != nil {
		return nil, err
	}
	defer func() { t.release() }()
	for {
		ahead := t.ahead()
		if ahead == 0 {
			l, err := lockDir(opt.DataDir)
			if err == nil {
				t.release() // the next in line may start polling
				s, err := openEmbedded(ctx, opt, l)
				if err != nil {
					_ = l.release()
					return nil, err
				}
				return s, nil
			}
			if !errors.Is(err, errLocked) {
				return nil, err
			}
		}
		o := readOwner(opt.DataDir)
		if o.PID > 0 && !processAlive(o.PID) {
			// owner.json of a serve that was killed: whoever holds the
			// lock now has not written its own yet, and is not serving.
			o = owner{}
		}
		if o.URL != "" && opt.Listen != "" {
			return nil, &ServedError{Dir: opt.DataDir, PID: o.PID, URL: o.URL}
		}
		var lastErr error
		if o.URL != "" {
			// The queue is for the lock: a client of serve must not hold
			// up the others while it connects (or while a serve that just
			// died fails to answer it).
			t.release()
			uctx, cancel := context.WithDeadline(ctx, deadline)
			copt := opt
			if copt.Token == "" {
				copt.User, copt.Token = "", o.Token
			}
			s, err := openURL(uctx, copt, o.URL, fmt.Sprintf("process %d serves data directory %q there", o.PID, opt.DataDir), true)
			cancel()
			var unreachable *unreachableError
			if errors.As(err, &unreachable) || (err != nil && !processAlive(o.PID)) {
				// Not there, or it died while we set up: the lock is
				// free now, or soon.
				lastErr = err
				if t, err = takeTicket(opt.DataDir); err != nil {
					return nil, err
				}
			} else {
				if err == nil {
					s.readOnly = &ReadOnlyError{Dir: opt.DataDir, PID: o.PID}
				}
				return s, err // connected: the answer is final, good or bad
			}
		}
		busy := func() error {
			return &InUseError{Dir: opt.DataDir, PID: o.PID, Err: lastErr, Waited: time.Since(start), Queued: ahead}
		}
		pause := ownerPoll
		if ahead > 0 {
			pause = queuePoll // the first in line polls the lock often, the rest their place
		}
		pause = min(pause, time.Until(deadline))
		if pause <= 0 {
			return nil, busy()
		}
		select {
		case <-ctx.Done():
			return nil, busy()
		case <-time.After(pause):
		}
	}
}

// ticket is a place in the queue for a data directory's lock: a file in
// dir/lock.queue named by its arrival time, flocked by its process for as
// long as it waits, so that a waiter that died is seen to be gone.
type ticket struct {
	dir, name string
	file      *os.File
}

// takeTicket joins the queue for dir's lock.
func takeTicket(dir string) (*ticket, error) {
	q := filepath.Join(dir, queueDir)
	if err := os.MkdirAll(q, 0o750); err != nil {
		return nil, fmt.Errorf("cannot queue for data directory %q: %w", dir, err)
	}
	// The ticket is locked under a name no waiter looks at ("t..." sorts
	// after every arrival time) and then renamed into the queue: a waiter
	// that saw it unlocked would take it for a dead one's and remove it.
	tmp, err := os.CreateTemp(q, "tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot queue for data directory %q: %w", dir, err)
	}
	if err := flock(tmp); err != nil {
		tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, err
	}
	for n := 0; ; n++ {
		name := fmt.Sprintf("%020d-%07d-%d", time.Now().UnixNano(), os.Getpid(), n)
		path := filepath.Join(q, name)
		if _, err := os.Lstat(path); err == nil {
			continue
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			tmp.Close()
			_ = os.Remove(tmp.Name())
			return nil, fmt.Errorf("cannot queue for data directory %q: %w", dir, err)
		}
		return &ticket{dir: q, name: name, file: tmp}, nil
	}
}

// ahead returns how many waiters arrived before t. It checks only the
// first of them: when its waiter died without leaving the queue (its
// flock is free), its ticket is removed and the next one checked, so
// each poll costs a directory read and an open or two however long the
// queue.
func (t *ticket) ahead() int {
	if t.file == nil {
		return 0
	}
	for {
		entries, err := os.ReadDir(t.dir) // sorted by name, so by arrival
		if err != nil {
			return 0
		}
		n := 0
		for n < len(entries) && entries[n].Name() < t.name {
			n++
		}
		if n == 0 {
			return 0
		}
		path := filepath.Join(t.dir, entries[0].Name())
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			continue // it left meanwhile
		}
		if flock(f) != nil {
			f.Close()
			return n // the first in line is alive
		}
		_ = os.Remove(path)
		_ = funlock(f)
		f.Close()
	}
}

// release leaves the queue; it is safe to call more than once.
func (t *ticket) release() {
	if t.file == nil {
		return
	}
	_ = os.Remove(filepath.Join(t.dir, t.name))
	_ = funlock(t.file)
	t.file.Close()
	t.file = nil
}
