package command

import (
	"context"
	"crypto/sha256"
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
	// the handler checks version, product, digest and sequence, and
	// that the stream attests them (Attester).
	Latest(ctx context.Context, product string) (info snapshot.Info, data []byte, ok bool, err error)
	// Put stores data as a write-state snapshot described by info (its
	// Product, Version, Seq, LastAt and Events) and may delete older ones
	// of the product. Safe for concurrent use.
	Put(ctx context.Context, info snapshot.Info, data []byte) error
}

// Attester lets a Handler trust a write-state snapshot without folding
// the product's history again: *eventstore.Store is one. Without it, a
// Handler restores no snapshot (it stores them still).
//
// The bytes of a snapshot say nothing about who wrote them: without an
// audit key anyone who can write the snapshot bucket can write a state
// in which mallory holds the po role, digest and all. What they cannot
// write is the stream. So the Handler that stores a snapshot of the state
// it decides on names it, "<seq> sha256:<hex of its bytes>", on the
// first event it appends on that state, and a Handler restores a snapshot
// at seq only when the product's first event after seq names those exact
// bytes; any other is replayed from the product's first event. The
// attestation is only as good as the state its writer held: a Handler
// attests only states it folded from the stream through the validating
// fold, from the first event or from an attested snapshot.
type Attester interface {
	// AppendAttested is Store.Append, the first event carrying attest.
	AppendAttested(ctx context.Context, events []domain.Event, expect uint64, attest string) ([]uint64, error)
	// Attestation returns what the product's first event after seq
	// attests, "" when it attests nothing or there is none.
	Attestation(ctx context.Context, product string, after uint64) (string, error)
}

// Attestation is what a Handler records on the first event it appends on
// the state at seq to attest data, that state's write-state snapshot:
// "<seq> sha256:<hex>". Tools that write a product's history and its
// snapshot themselves (the benchmarks) attest it the same way.
func Attestation(seq uint64, data []byte) string {
	return fmt.Sprintf("%d sha256:%x", seq, sha256.Sum256(data))
}

// DefaultSnapshotEvery is how many of a product's events a Handler folds
// in between two write-state snapshots unless told otherwise: a one-shot
// write then reads at most this many events besides the snapshot.
const DefaultSnapshotEvery = 1000

// Option configures a Handler.
type Option func(*Handler)

// WithSnapshots makes the Handler restore each product from its newest
// write-state snapshot in snaps, when the stream attests it (see
// Attester), and catch up from there; and store a new one of the state a
// decision is taken on, attested by the decision's first event, once it
// has folded every events (DefaultSnapshotEvery when every <= 0) since
// the last.
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

// restore loads the product's newest write-state snapshot into p, once,
// when the stream attests it. A snapshot it cannot use is named in a
// warning (but one the stream does not attest yet: the newest snapshot
// of a serve that wrote nothing after it, or one followed by an import)
// and the product is replayed from its first event.
func (h *Handler) restore(ctx context.Context, id string, p *product) {
	if p.restored || h.snaps == nil || h.attester == nil {
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
	if err == nil {
		var got string
		if got, err = h.attester.Attestation(ctx, id, s.LastSeq); err == nil && got != Attestation(s.LastSeq, data) {
			if got == "" {
				return // not attested (yet): replayed, as there is nothing wrong
			}
			err = fmt.Errorf("the product's next event attests another state (%s), not these bytes: the snapshot was edited, or written by another writer", got)
		}
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
	p.state, p.fromSnapshot, p.current, p.stored = h.newState(id), false, false, 0
	p.events, p.unsaved = 0, 0
}

// snapshotEvery is how many events a product's state folds between two
// write-state snapshots: h.every, or a quarter of what the state holds
// (items, requests, roadmap items) when that is more. Encoding a snapshot
// costs in proportion to what the state holds (73 ms at 20,000 open
// items, with the product held and the decisions behind it waiting):
// taken every h.every events, its cost per decision grew with the
// backlog; taken every quarter of the state's size, it is flat (about 15
// µs a decision). A one-shot write, which decodes the snapshot (in
// proportion to the state too), then reads at most that many events
// after it.
func (h *Handler) snapshotEvery(s *domain.State) uint64 {
	return max(h.every, uint64(len(s.Items)+len(s.Requests)+len(s.Roadmap))/4)
}

// pendingSnapshot is a write-state snapshot encoded from a product's
// state, to store once the append that attests it succeeded.
type pendingSnapshot struct {
	info   snapshot.Info
	data   []byte
	attest string
	saved  uint64 // p.unsaved it covers
}

// snapshotDue encodes p's state, the one a decision is about to be
// appended on, as a snapshot when one is due: h.every events folded since
// the last. Encoding happens under p's lock.
func (h *Handler) snapshotDue(id string, p *product) *pendingSnapshot {
	if h.snaps == nil || h.attester == nil || p.saving || p.snapFlying || p.unsaved < h.snapshotEvery(p.state) || p.state.LastSeq == 0 {
		return nil
	}
	data, err := p.state.MarshalSnapshot()
	if err != nil {
		h.warnf("write-state snapshot of product %q not stored: %w", id, err)
		return nil
	}
	return &pendingSnapshot{
		info: snapshot.Info{Product: id, Version: domain.StateVersion, Seq: p.state.LastSeq, LastAt: p.state.LastAt, Events: p.events},
		data: data, attest: Attestation(p.state.LastSeq, data), saved: p.unsaved,
	}
}

// attestation is what the append of the decision taken on snap's state
// records to attest it: "" for none.
func (snap *pendingSnapshot) attestation() string {
	if snap == nil {
		return ""
	}
	return snap.attest
}

// storeSnapshot stores snap in the background, once the append that
// attests it is stored; storing does not hold p's lock.
func (h *Handler) storeSnapshot(ctx context.Context, p *product, snap *pendingSnapshot) {
	p.saving = true
	h.storing.Add(1)
	go func() {
		defer h.storing.Done()
		err := h.snaps.Put(context.WithoutCancel(ctx), snap.info, snap.data)
		p.mu.Lock()
		p.saving = false
		if err == nil {
			p.unsaved -= min(snap.saved, p.unsaved)
		}
		p.mu.Unlock()
		if err != nil {
			h.warnf("write-state snapshot %s not stored (the decision is): %w", snap.info.Name(), err)
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
