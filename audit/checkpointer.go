package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Checkpointer signs checkpoints of a ledger that grows while it runs:
// "ledger serve"'s, on a schedule (Run) and whenever asked (Sign). It
// reads the whole ledger once and then only the events stored since, and
// it is the one publisher of its key's checkpoints in the process, so
// that the scheduled checkpoints and those asked for never publish the
// same leaf hashes twice. Safe for concurrent use: one signature at a
// time.
type Checkpointer struct {
	st   Store
	key  *Signer
	logf func(format string, args ...any)

	mu sync.Mutex
	p  *publisher // nil until the ledger was first read
}

// Published is a checkpoint as the checkpoint stream holds it.
type Published struct {
	Checkpoint Checkpoint
	// Signed is the signed note, as "ledger audit checkpoint" prints it.
	Signed []byte
	// Seq is its sequence in LEDGER_CHECKPOINTS: a reader of a copy of
	// that stream holds the checkpoint once its copy reaches Seq.
	Seq uint64
}

// NewCheckpointer returns a checkpointer that signs with key and logs each
// checkpoint it signs on a schedule, and each failure, with logf (nil
// discards them).
func NewCheckpointer(st Store, key *Signer, logf func(format string, args ...any)) *Checkpointer {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Checkpointer{st: st, key: key, logf: logf}
}

// read reads the whole ledger the first time and checks that it extends
// every checkpoint key signed. c.mu held.
func (c *Checkpointer) read(ctx context.Context) error {
	if c.p != nil {
		return nil
	}
	l, err := Scan(ctx, c.st, ScanOptions{})
	if err != nil {
		return err
	}
	p, err := newPublisher(ctx, c.st, c.key, l)
	if err != nil {
		return err
	}
	c.p = p
	return nil
}

// Sign signs and publishes a checkpoint of every event stored when it is
// called, after the leaf hashes it adds, and returns it; when the last
// checkpoint already covers them it returns that one and publishes
// nothing. It refuses (ErrDiverged) when the ledger lost a message or does
// not extend the last checkpoint key signed, and returns ErrEmpty for a
// ledger without events.
func (c *Checkpointer) Sign(ctx context.Context) (Published, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.read(ctx); err != nil {
		return Published{}, err
	}
	if err := c.p.catchUp(ctx); err != nil {
		return Published{}, err
	}
	signed, cp, err := c.p.publish(ctx)
	if err != nil {
		return Published{}, err
	}
	return Published{Checkpoint: cp, Signed: signed, Seq: c.p.lastSeq}, nil
}

// Run signs and publishes a checkpoint whenever every events have been
// stored since the last one (every > 0), or when interval has passed
// since the last one and there are new events (interval > 0), and at once
// when it starts on a ledger whose events no checkpoint of key covers, so
// that a ledger being served always has a checkpoint to verify against.
// It logs each checkpoint and each failed attempt (retried at the next
// poll). When ctx ends it signs a last checkpoint of the events not yet
// covered and returns nil. It returns an error at once if both triggers
// are off, and, at start or later, when the ledger does not extend the
// last checkpoint the key signed or loses a message (ErrDiverged): it
// never signs over rewritten history. Sign may be called meanwhile.
func (c *Checkpointer) Run(ctx context.Context, every int, interval time.Duration) error {
	if every <= 0 && interval <= 0 {
		return errors.New("checkpointer: set a number of events, an interval, or both")
	}
	c.mu.Lock()
	err := c.read(ctx)
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("checkpointer: %w", err)
	}
	poll := pollInterval
	if interval > 0 {
		poll = min(poll, interval)
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var lastErr string
	report := func(err error) {
		// A lasting failure (a lost server) is logged once, not every poll.
		if msg := err.Error(); msg != lastErr {
			c.logf("audit: checkpointer: %v", err)
			lastErr = msg
		}
	}
	// step reads new events and, when due (or urgent), signs a checkpoint.
	step := func(ctx context.Context, urgent bool) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		p := c.p
		if err := p.catchUp(ctx); err != nil {
			switch {
			case errors.Is(err, ErrDiverged):
				return fmt.Errorf("checkpointer: %w", err)
			case ctx.Err() == nil:
				report(fmt.Errorf("reading new events: %w", err))
			}
			return nil
		}
		n := p.tree.Size()
		due := n > p.last.Size && (urgent ||
			every > 0 && n-p.last.Size >= int64(every) ||
			interval > 0 && time.Since(p.lastAt) >= interval)
		if !due {
			return nil
		}
		_, cp, err := p.publish(ctx)
		if err != nil {
			if ctx.Err() == nil || urgent {
				report(err)
			}
			return nil
		}
		lastErr = ""
		c.logf("audit: checkpoint signed: %s", cp)
		return nil
	}
	if err := step(ctx, true); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalTimeout)
			err := step(fctx, true)
			cancel()
			return err
		case <-tick.C:
			if err := step(ctx, false); err != nil {
				return err
			}
		}
	}
}
