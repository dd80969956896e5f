package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/decisionledger/ledger/stored"
)

// Store is the part of the event store that signing checkpoints needs.
// *eventstore.Store implements it.
type Store interface {
	Source
	// PublishCheckpoint appends a signed checkpoint to the checkpoint
	// stream and returns its sequence there.
	PublishCheckpoint(ctx context.Context, signed []byte) (uint64, error)
	// PublishLeaves appends a leaf-hash record to the checkpoint stream
	// and returns its sequence there.
	PublishLeaves(ctx context.Context, data []byte) (uint64, error)
}

// ErrEmpty is returned when there is nothing to checkpoint.
var ErrEmpty = errors.New("the ledger has no events yet: nothing to checkpoint")

// ErrDiverged is wrapped by the error of Sign and the checkpointer when
// the ledger does not extend the last checkpoint its key signed: they
// never sign over a history that may have been rewritten.
var ErrDiverged = errors.New("the ledger does not extend its last signed checkpoint")

// publisher signs and publishes checkpoints of a tree it keeps up to date.
type publisher struct {
	st      Store
	key     *Signer
	tree    *Tree
	covered int64 // leaves whose hashes are published

	last       Checkpoint // the newest checkpoint key signed, Size 0 if none
	lastSigned []byte
	lastSeq    uint64 // its sequence in the checkpoint stream
	lastAt     time.Time
}

// newPublisher prepares to sign checkpoints of l and checks that l extends
// every checkpoint key published before.
func newPublisher(ctx context.Context, st Store, key *Signer, l *Ledger) (*publisher, error) {
	if len(l.Gaps) > 0 {
		return nil, fmt.Errorf("%w: sequence %d is missing from the stream: run \"ledger audit verify\"", ErrDiverged, l.Gaps[0].From)
	}
	rs, err := readRecords(ctx, st)
	if err != nil {
		return nil, err
	}
	p := &publisher{st: st, key: key, tree: &l.Tree}
	for _, sc := range rs.checkpoints {
		c, err := OpenCheckpoint(sc.signed, key.Verifier())
		if err != nil {
			continue // another key's, or not a checkpoint: verify reports it
		}
		if c.Size > l.Tree.Size() {
			return nil, fmt.Errorf("%w: checkpoint %d of %s covers %d events, the stream has %d: run \"ledger audit verify\"",
				ErrDiverged, sc.seq, stored.CheckpointStreamName, c.Size, l.Tree.Size())
		}
		if root, _ := l.Tree.RootAt(c.Size); root != c.Root {
			return nil, fmt.Errorf("%w: the stream's first %d events do not match checkpoint %d of %s: run \"ledger audit verify\"",
				ErrDiverged, c.Size, sc.seq, stored.CheckpointStreamName)
		}
		if c.Size >= p.last.Size {
			p.last, p.lastSigned, p.lastSeq = c, sc.signed, sc.seq
		}
	}
	// Published leaf hashes that match the tree need not be published again.
	for p.covered < int64(len(rs.leaves)) && p.covered < l.Tree.Size() && rs.leaves[p.covered] == l.Tree.Leaf(p.covered) {
		p.covered++
	}
	p.lastAt = time.Now()
	return p, nil
}

// publish signs a checkpoint of the whole tree and publishes it after the
// leaf hashes not yet published. When the last checkpoint already covers
// the tree it returns that one and publishes nothing.
func (p *publisher) publish(ctx context.Context) ([]byte, Checkpoint, error) {
	n := p.tree.Size()
	if n == 0 {
		return nil, Checkpoint{}, ErrEmpty
	}
	if n == p.last.Size && p.lastSigned != nil {
		return p.lastSigned, p.last, nil
	}
	root, err := p.tree.RootAt(n)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	c := Checkpoint{Origin: p.key.Name(), Size: n, Root: root}
	signed, err := SignCheckpoint(c, p.key)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	for p.covered < n {
		end := min(n, p.covered+maxLeavesPerRecord)
		hs := make([]tlog.Hash, 0, end-p.covered)
		for i := p.covered; i < end; i++ {
			hs = append(hs, p.tree.Leaf(i))
		}
		if _, err := p.st.PublishLeaves(ctx, encodeLeaves(p.covered, hs)); err != nil {
			return nil, Checkpoint{}, fmt.Errorf("publishing the leaf hashes from sequence %d: %w", p.covered+1, err)
		}
		p.covered = end
	}
	seq, err := p.st.PublishCheckpoint(ctx, signed)
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("publishing the checkpoint at size %d: %w", n, err)
	}
	p.last, p.lastSigned, p.lastSeq, p.lastAt = c, signed, seq, time.Now()
	return signed, c, nil
}

// Sign signs a checkpoint of the scanned ledger l and publishes it to the
// checkpoint stream, after the leaf hashes that verify uses to locate a
// change. It refuses (ErrDiverged) when l has gaps or does not extend a
// checkpoint key signed before, and returns the last checkpoint unchanged
// when it already covers l.
func Sign(ctx context.Context, st Store, key *Signer, l *Ledger) ([]byte, Checkpoint, error) {
	p, err := newPublisher(ctx, st, key, l)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	return p.publish(ctx)
}

// SignNow scans the ledger and signs and publishes a checkpoint of it, as
// Sign does.
func SignNow(ctx context.Context, st Store, key *Signer) ([]byte, Checkpoint, error) {
	l, err := Scan(ctx, st, ScanOptions{})
	if err != nil {
		return nil, Checkpoint{}, err
	}
	return Sign(ctx, st, key, l)
}

// catchUp appends the messages stored since the tree was last read.
func (p *publisher) catchUp(ctx context.Context) error {
	next := uint64(p.tree.Size()) + 1
	_, err := p.st.ReadRaw(ctx, uint64(p.tree.Size()), func(r stored.Raw) error {
		if r.Seq != next {
			return fmt.Errorf("%w: sequence %d is missing from the stream: run \"ledger audit verify\"", ErrDiverged, next)
		}
		p.tree.Append(LeafOf(r).Hash())
		next++
		return nil
	})
	return err
}

// pollInterval is how often the checkpointer looks for new events.
var pollInterval = time.Second

// finalTimeout bounds the checkpoint the checkpointer signs on shutdown.
const finalTimeout = 5 * time.Second

// RunCheckpointer signs and publishes a checkpoint whenever every events
// have been stored since the last one (every > 0), or when interval has
// passed since the last one and there are new events (interval > 0), as
// Checkpointer.Run does. It returns an error at once if key is missing.
func RunCheckpointer(ctx context.Context, st Store, key *Signer, every int, interval time.Duration, logf func(format string, args ...any)) error {
	if key == nil {
		return errors.New("checkpointer: no signing key")
	}
	return NewCheckpointer(st, key, logf).Run(ctx, every, interval)
}
