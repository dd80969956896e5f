package command

import (
	"context"
	"fmt"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/snapshot"
)

// Snapshots keeps write-state snapshots (encoded domain.State) beside the
// stream, so that a new Handler need not fold a product's whole history
// before its first decision. *eventstore.WriteStates is one.
type Snapshots interface {
	// Latest returns the newest write-state snapshot of product and its
	// bytes, or ok false when there is none. The bytes are not trusted:
	// the handler checks version, product, digest and sequence.
	Latest(ctx context.Context, product string) (info snapshot.Info, data []byte, ok bool, err error)
	// Put stores data as a write-state snapshot described by info (its
	// Product, Version, Seq, LastAt and Events) and may delete older ones
	// of the product. Safe for concurrent use.
	Put(ctx context.Context, info snapshot.Info, data []byte) error
}

// DefaultSnapshotEvery is how many of a product's events a Handler folds
// in between two write-state snapshots unless told otherwise: a one-shot
// write then reads at most this many events besides the snapshot.
const DefaultSnapshotEvery = 1000

// Option configures a Handler.
type Option func(*Handler)

// WithSnapshots makes the Handler restore each product from its newest
// write-state snapshot in snaps and catch up from there, and store a new
// one, in the background after a decision, once it has folded every
// events (DefaultSnapshotEvery when every <= 0) since the last.
func WithSnapshots(snaps Snapshots, every int) Option {
	return func(h *Handler) {
		if every <= 0 {
			every = DefaultSnapshotEvery
		}
		h.snaps, h.every = snaps, uint64(every)
	}
}

// WithCommandLimit makes each product's state remember the ids of its
// last n commands (domain.DefaultCommandLimit when n <= 0): a retry of
// one of them is recorded once, an older one is decided again.
func WithCommandLimit(n int) Option {
	return func(h *Handler) { h.commandLimit = n }
}

// WithWarnings sends what the Handler does not let fail a decision to
// warn: a write-state snapshot it ignored (and replayed instead) or could
// not store. warn may be called from another goroutine, also after
// Execute returned (until Wait returns).
func WithWarnings(warn func(error)) Option {
	return func(h *Handler) { h.warn = warn }
}

// Wait returns once the write-state snapshots being stored in the
// background are stored or have failed. Call it after the last Execute
// and before closing the store (not concurrently with Execute): a
// one-shot process that skips it may lose the snapshot, never a decision.
func (h *Handler) Wait() { h.storing.Wait() }

// restore loads the product's newest write-state snapshot into p, once.
// A snapshot it cannot use is named in a warning and the product is
// replayed from its first event.
func (h *Handler) restore(ctx context.Context, id string, p *product) {
	if p.restored || h.snaps == nil {
		return
	}
	p.restored = true
	info, data, ok, err := h.snaps.Latest(ctx, id)
	if err != nil {
		h.warnf("no write-state snapshot of product %q could be read, replaying it from the start: %w", id, err)
		return
	}
	if !ok {
		return
	}
	s, err := domain.RestoreState(id, data, h.commandLimit)
	if err == nil && (info.Seq != s.LastSeq || info.Version != domain.StateVersion) {
		err = fmt.Errorf("it is listed as version %q at sequence %d but holds version %q at %d", info.Version, info.Seq, domain.StateVersion, s.LastSeq)
	}
	if err != nil {
		h.warnf("write-state snapshot %s ignored, replaying product %q from the start: %w", info.Name(), id, err)
		return
	}
	p.state, p.fromSnapshot = s, true
	p.events, p.unsaved = info.Events, 0
}

// forget drops a state restored from a snapshot that the stream
// contradicts, so that the product is replayed from its first event.
func (h *Handler) forget(id string, p *product) {
	h.warnf("write-state snapshot of product %q at sequence %d disagrees with the stream, replaying the product from the start", id, p.state.LastSeq)
	p.state, p.fromSnapshot, p.current = h.newState(id), false, false
	p.events, p.unsaved = 0, 0
}

// maybeSnapshot stores p's state in the background once it folded
// h.every events since the last snapshot. Encoding happens here, under
// p's lock; storing does not hold it.
func (h *Handler) maybeSnapshot(ctx context.Context, id string, p *product) {
	if h.snaps == nil || p.saving || p.unsaved < h.every || p.state.LastSeq == 0 {
		return
	}
	data, err := p.state.MarshalSnapshot()
	if err != nil {
		h.warnf("write-state snapshot of product %q not stored: %w", id, err)
		return
	}
	info := snapshot.Info{Product: id, Version: domain.StateVersion, Seq: p.state.LastSeq, LastAt: p.state.LastAt, Events: p.events}
	saved := p.unsaved
	p.saving = true
	h.storing.Add(1)
	go func() {
		defer h.storing.Done()
		err := h.snaps.Put(context.WithoutCancel(ctx), info, data)
		p.mu.Lock()
		p.saving = false
		if err == nil {
			p.unsaved -= min(saved, p.unsaved)
		}
		p.mu.Unlock()
		if err != nil {
			h.warnf("write-state snapshot %s not stored (the decision is): %w", info.Name(), err)
		}
	}()
}

func (h *Handler) warnf(format string, args ...any) {
	if h.warn != nil {
		h.warn(fmt.Errorf(format, args...))
	}
}

func (h *Handler) newState(id string) *domain.State {
	s := domain.NewState(id)
	s.SetCommandLimit(h.commandLimit)
	return s
}
