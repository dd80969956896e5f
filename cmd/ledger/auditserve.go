// Audit beside a running serve: serve signs the checkpoints, with its own
// key, for itself (on a schedule) and for the CLI (ledgerapi.v1.audit.checkpoint);
// the CLI reads the clients' copies of the streams to verify and prove.

package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/decisionledger/ledger/audit"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/service"
)

// serveSigner is serve's one signer of checkpoints: the schedule
// (--checkpoint-every, --checkpoint-interval) and the checkpoints callers
// ask for share its audit.Checkpointer, so that they never publish the
// same leaf hashes twice. The key is read from $LEDGER_AUDIT_KEY or
// <data>/audit.key when first needed: a key made with "ledger audit
// keygen" after serve started signs the checkpoints asked for from then on.
type serveSigner struct {
	a *app
	s *eventstore.Store

	mu sync.Mutex
	c  *audit.Checkpointer // nil until serve has a key

	logMu sync.Mutex
}

func (a *app) serveSigner(s *eventstore.Store) *serveSigner { return &serveSigner{a: a, s: s} }

// logf writes a line of the checkpointer's to serve's stderr.
func (ss *serveSigner) logf(format string, args ...any) {
	ss.logMu.Lock()
	defer ss.logMu.Unlock()
	fmt.Fprintf(ss.a.stderr, format+"\n", args...)
}

// checkpointer returns the checkpointer, made with serve's key the first
// time there is one; a missing or unreadable key is a *usageError.
func (ss *serveSigner) checkpointer() (*audit.Checkpointer, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.c != nil {
		return ss.c, nil
	}
	key, err := ss.a.auditSigner("")
	if err != nil {
		return nil, err
	}
	ss.c = audit.NewCheckpointer(ss.s, key, ss.logf)
	return ss.c, nil
}

// SignCheckpoint signs a checkpoint for a caller of the service.
func (ss *serveSigner) SignCheckpoint(ctx context.Context) (service.Checkpoint, error) {
	c, err := ss.checkpointer()
	var u *usageError
	if errors.As(err, &u) {
		return service.Checkpoint{}, domain.Invalid("key", "ledger serve cannot sign: %s (on the machine that runs serve; it reads the key when asked)", u.msg)
	}
	if err != nil {
		return service.Checkpoint{}, err
	}
	p, err := c.Sign(ctx)
	if err != nil {
		return service.Checkpoint{}, err
	}
	return service.Checkpoint{Origin: p.Checkpoint.Origin, Size: p.Checkpoint.Size, Root: p.Checkpoint.Root.String(),
		Checkpoint: string(p.Signed), Seq: p.Seq}, nil
}

// start runs the schedule, signing every N events or every interval,
// and at once on events no checkpoint covers yet. Without a key it warns
// and starts nothing. stop ends it, after a last checkpoint of the
// events not yet covered, and waits for it.
func (ss *serveSigner) start(ctx context.Context, every int, interval time.Duration) (stop func(), err error) {
	c, err := ss.checkpointer()
	var u *usageError
	if errors.As(err, &u) {
		ss.a.warnf("no checkpoints will be signed until there is a key: %v", err)
		return func() {}, nil
	}
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := c.Run(ctx, every, interval); err != nil {
			ss.logf("ledger: checkpoints stopped: %v", err)
		}
	}()
	return func() { cancel(); wg.Wait() }, nil
}

// ledgerService returns the client of the ledger service this command
// works through (the serve that owns the data directory, or one on
// --nats), nil when it works on the store itself.
func (a *app) ledgerService(ctx context.Context) (*service.Client, error) {
	c, err := a.core(ctx)
	if err != nil {
		return nil, err
	}
	if rc, ok := c.(remoteCore); ok {
		return rc.c, nil
	}
	return nil, nil
}

// keyWhileServed refuses --key while serve runs: serve signs with its
// own key, and this process cannot publish beside it.
func keyWhileServed(keyFile string) error {
	if keyFile == "" {
		return nil
	}
	return usagef("--key %s: while \"ledger serve\" runs it signs the checkpoint with its own key ($%s or audit.key where it runs); leave --key out, or pass --checkpoint FILE to prove against a checkpoint you keep", keyFile, envAuditKey)
}

// signByServe asks the ledger service to sign a checkpoint now. serve's
// missing key is a usage error, as the CLI's own would be.
func (a *app) signByServe(ctx context.Context, svc *service.Client) (signed []byte, cp audit.Checkpoint, seq uint64, err error) {
	cctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	got, err := svc.Checkpoint(cctx)
	if err != nil {
		if domain.KindOf(err) == domain.KindInvalid && domain.FieldOf(err) == "key" {
			return nil, cp, 0, usagef("%v", err)
		}
		return nil, cp, 0, err
	}
	signed = []byte(got.Checkpoint)
	if cp, err = audit.ParseSigned(signed); err != nil {
		return nil, cp, 0, fmt.Errorf("the checkpoint serve signed cannot be read: %w", err)
	}
	return signed, cp, got.Seq, nil
}

// caughtUp waits, within --timeout, until the copies this process reads
// hold the events a checkpoint of size covers and, when seq is not 0,
// the checkpoint itself (at that sequence of LEDGER_CHECKPOINTS).
func (a *app) caughtUp(ctx context.Context, s *eventstore.Store, size int64, seq uint64) error {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	if err := s.CaughtUp(ctx, eventstore.StreamName, uint64(size)); err != nil {
		return err
	}
	return s.CaughtUp(ctx, eventstore.CheckpointStreamName, seq)
}
