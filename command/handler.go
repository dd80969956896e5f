package command

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Store is the part of the event store the handler needs.
type Store interface {
	// Read calls fn for each event of product with sequence > after, in
	// stream order, up to the end of the stream at the time of the call;
	// it returns the last sequence delivered (after when none). Events
	// this version cannot read arrive with a domain.Unknown payload.
	Read(ctx context.Context, product string, after uint64, fn func(domain.Event) error) (uint64, error)
	// Append stores events (at most MaxBatch) atomically if the
	// product's last sequence is still expect, returning their
	// sequences; otherwise it fails with a domain conflict error and
	// stores nothing. Appending events whose ids were stored before
	// returns the original sequences. Safe for concurrent use.
	Append(ctx context.Context, events []domain.Event, expect uint64) ([]uint64, error)
}

// Sender lets a Handler have several decisions of a product on their way
// to the stream at once (group commit): *eventstore.Store is one.
type Sender interface {
	// Send sends events as Store.Append stores them (attest on the first,
	// as Attester.AppendAttested; "" for none), after every append sent
	// before it, and returns at once. seqs are the sequences the events
	// get if they are stored, when the store can tell; then the next
	// decision may be taken on them and sent at once, expecting the last
	// of them, and it is stored only if these are. Without seqs, call
	// wait before sending the product's next append. wait returns what
	// Append returns (a domain conflict when an append sent before this
	// one, or another writer, left the stream elsewhere than expected); it
	// must be called once. Safe for concurrent use.
	Send(ctx context.Context, events []domain.Event, expect uint64, attest string) (seqs []uint64, wait func() ([]uint64, error))
}

// MaxAttempts bounds how often Execute re-decides a command when another
// decision on the same product, about other aggregates, got in first.
const MaxAttempts = 8

// Handler executes commands. It keeps each product's write state in
// memory, catches it up from the store once, and then decides on it
// without reading first (a write it has not seen makes the append
// conflict, and the state catches up then), so a long-running server
// does not re-read history; with WithSnapshots a new
// Handler (a one-shot CLI write) starts from the product's newest
// write-state snapshot that the stream attests rather than its first
// event. Safe for concurrent use.
type Handler struct {
	store        Store
	attester     Attester // store, when it is one
	sender       Sender   // store, when it is one
	now          func() time.Time
	snaps        Snapshots
	every        uint64
	commandLimit int
	warn         func(error)

	storing  sync.WaitGroup // snapshots being stored in the background
	mu       sync.Mutex
	products map[string]*product
}

type product struct {
	mu sync.Mutex
	// landed is signalled, under mu, when a decision on its way is
	// answered (see flight).
	landed *sync.Cond
	state  *domain.State
	gate   *domain.Gate // the validating fold over state

	// flights are the decisions sent and not yet answered, in the order
	// they were sent: every one but possibly the last is folded into
	// state already. stale is set when state holds a decision that was
	// not stored: it is rebuilt from the stream before it is used again.
	// stored is the product's last sequence known to be stored.
	flights []*flight
	stale   bool
	stored  uint64
	// rebuilt counts the times a stale state was rebuilt.
	rebuilt int

	restored     bool   // the snapshot store was asked for a snapshot
	fromSnapshot bool   // state started from a snapshot, not the first event
	events       uint64 // product events folded into state
	unsaved      uint64 // of which since the last snapshot
	saving       bool   // a snapshot is being stored
	snapFlying   bool   // a snapshot waits for the flight that attests it
	// current is set once state was caught up with the stream, and
	// cleared when a write failed without saying how (a timeout): the
	// next command may then be decided on state without reading first.
	current bool
}

// New returns a Handler over store; now supplies the time of decisions
// that name none (time.Now when nil).
func New(store Store, now func() time.Time, opts ...Option) *Handler {
	if now == nil {
		now = time.Now
	}
	h := &Handler{store: store, now: now, products: map[string]*product{}}
	h.attester, _ = store.(Attester)
	h.sender, _ = store.(Sender)
	for _, o := range opts {
		o(h)
	}
	return h
}

// Result is what a recorded command wrote.
type Result struct {
	// Events are the command's events with their stream sequences.
	Events []domain.Event
	// Duplicate is true when the command id was already recorded: nothing
	// new was written, Events is empty and FirstSeq names the original.
	Duplicate bool
	FirstSeq  uint64
}

// Execute decides c against the product's latest state and appends the
// events. It returns once they are durable (acknowledged by JetStream).
// Refusals are *domain.Error values; a concurrent change to one of the
// aggregates the command touches is a domain conflict error.
func (h *Handler) Execute(ctx context.Context, c domain.Command) (Result, error) {
	if err := domain.CheckID("product", c.Product); err != nil {
		return Result{}, err
	}
	p := h.product(c.Product)
	p.mu.Lock()
	defer p.mu.Unlock()
	return h.execute(ctx, c, p)
}

// execute decides c on p's state and stores the events.
//
// A product this handler has caught up with before is decided on the
// state it holds, without asking the stream first (a round trip whose
// cost grows with the stream, and the one writer of a served ledger is
// this handler anyway): the append expects the product's last sequence to
// be the one that state ends at, so it is stored only if nobody wrote to
// the product in between, the guarantee a fresh read gives. When somebody
// did, the state catches up and the command is decided again. Either way
// a conflict is what it always was: a write to what the command decides
// about, stored after the command arrived here.
//
// With a Sender that predicts where a decision will be stored, execute
// does not wait for it: the decision is on its way (a flight) and the
// product is free for the next command, decided on the state with this
// one folded in and sent right behind it, so that concurrent commands
// reach JetStream together and each is answered by its own
// acknowledgement (group commit; see flight).
func (h *Handler) execute(ctx context.Context, c domain.Command, p *product) (Result, error) {
	arrived := time.Now()
	held := p.current && !p.stale // decide on the state held, without reading first
	for attempt := 1; ; attempt++ {
		if attempt > MaxAttempts {
			return Result{}, domain.Conflict("product %q is busy: %d attempts lost a race with other writers: retry", c.Product, MaxAttempts)
		}
		if !held {
			h.settle(p)
			if err := h.catchUp(ctx, c.Product, p); err != nil {
				return Result{}, err
			}
		}
		p.fold()
		if seq, ok := p.state.Recorded(c.ID); ok {
			if seq > p.stored {
				// Recorded by a decision still on its way: answer as it is.
				held = false
				continue
			}
			return Result{Duplicate: true, FirstSeq: seq}, nil
		}
		evs, err := domain.Decide(p.state, c, h.now())
		if err != nil && held {
			// Refused on the state held: a write it has not seen yet may
			// have made the command lawful. Decide on a fresh read.
			held, attempt = false, attempt-1
			continue
		}
		if err != nil {
			return Result{}, err
		}
		held = false
		if len(evs) > 1 && len(p.flights) > 0 {
			// The store cannot chain an atomic batch to a decision on its
			// way: wait for them first.
			h.settle(p)
			if !p.current {
				continue // rebuilt: one of them was not stored
			}
		}
		read := p.state.LastSeq
		// What this decision was taken on besides the stream as known
		// stored: the decisions on their way, folded in.
		basis, own, gen := p.stored, p.flightIDs(), p.rebuilt
		// A snapshot due is of the state decided on, and this append
		// attests it: stored only if the append is.
		snap := h.snapshotDue(c.Product, p)
		var seqs []uint64
		flying := len(own) > 0
		switch {
		case h.sender != nil:
			predicted, wait := h.sender.Send(ctx, evs, read, snap.attestation())
			if predicted == nil {
				seqs, err = wait()
				break
			}
			flying = true
			for i := range evs {
				evs[i].Seq = predicted[i]
			}
			if err = h.fly(p, &flight{events: evs, expect: read, snap: snap}, wait); err == nil {
				return Result{Events: evs, FirstSeq: evs[0].Seq}, nil
			}
		case snap != nil:
			seqs, err = h.attester.AppendAttested(ctx, evs, read, snap.attest)
		default:
			seqs, err = h.store.Append(ctx, evs, read)
		}
		if err == nil {
			for i := range evs {
				evs[i].Seq = seqs[i]
				p.trust(evs[i])
			}
			p.stored = seqs[len(seqs)-1]
			if snap != nil {
				h.storeSnapshot(ctx, p, snap)
			}
			return Result{Events: evs, FirstSeq: seqs[0]}, nil
		}
		if !errors.Is(err, domain.ErrConflict) {
			// The outcome may be unknown: whatever the stream holds now,
			// the next command reads it first.
			p.current = false
			return Result{}, err
		}
		if flying {
			// Refused behind a decision that was not stored, or because
			// the stream moved on. Once every decision on its way is
			// answered, the state is the one this command was decided on,
			// or it was rebuilt: then what changed is looked for among
			// the events after the part of its basis that was stored,
			// leaving out this process's own decisions it was taken on.
			h.settle(p)
			if p.rebuilt != gen || !p.current {
				if !p.current {
					if err := h.catchUp(ctx, c.Product, p); err != nil {
						return Result{}, err
					}
				}
				changed, err := h.changedAfter(ctx, c.Product, basis, own, evs, arrived)
				if err != nil {
					return Result{}, err
				}
				if changed != nil {
					return Result{}, changedError(changed)
				}
				held = true
				continue
			}
		}
		// Someone else wrote to the product. If they touched what this
		// command decides about after it arrived, the user must look
		// again; otherwise decide again on the fresh state.
		changed, cerr := h.changedSince(ctx, c.Product, p, read, evs, arrived)
		if cerr != nil {
			return Result{}, cerr
		}
		if !flying && p.state.LastSeq == read && p.fromSnapshot {
			// The product did not move on, yet the append expected
			// another last sequence: the snapshot is not of this stream.
			h.forget(c.Product, p)
			continue
		}
		if changed != nil {
			return Result{}, changedError(changed)
		}
		if attempt == MaxAttempts {
			return Result{}, fmt.Errorf("product %q is busy: %d attempts lost a race with other writers: %w", c.Product, attempt, err)
		}
		held = p.current // changedSince caught the state up
	}
}

// State returns a copy-free view of the product's current write state,
// caught up with the store. Callers must not modify it.
func (h *Handler) State(ctx context.Context, productID string) (*domain.State, error) {
	p := h.product(productID)
	p.mu.Lock()
	defer p.mu.Unlock()
	h.settle(p)
	if err := h.catchUp(ctx, productID, p); err != nil {
		return nil, err
	}
	return p.state, nil
}

// CatchUpAll catches up the write state of every product that lister
// lists, so that the first decision about each does not wait for its
// history: serve runs it in the background when it starts. It stores no
// snapshot (only a decision can attest one: see Attester). It stops at
// the first error.
func (h *Handler) CatchUpAll(ctx context.Context, lister interface {
	Products(ctx context.Context) ([]string, error)
}) error {
	ps, err := lister.Products(ctx)
	if err != nil {
		return fmt.Errorf("listing products: %w", err)
	}
	for _, p := range ps {
		if _, err := h.State(ctx, p); err != nil {
			return fmt.Errorf("catching up the write state of product %q: %w", p, err)
		}
	}
	return nil
}

func (h *Handler) product(id string) *product {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.products[id]
	if !ok {
		p = &product{state: h.newState(id)}
		p.landed = sync.NewCond(&p.mu)
		h.products[id] = p
	}
	return p
}

// trust folds an event this handler decided and stored itself.
func (p *product) trust(e domain.Event) {
	p.gateFor().Trust(e)
	p.events++
	p.unsaved++
}

// admit passes an event read from the stream through the validating
// fold and returns the events it folded: a forged or otherwise unlawful
// event only advances the position (it is quarantined), so it can neither
// grant a role nor block the product.
func (p *product) admit(e domain.Event) []domain.Event {
	out := p.gateFor().Admit(e)
	p.count(out)
	return out
}

// flush ends a read that reached the end of the stream.
func (p *product) flush() {
	p.count(p.gateFor().Flush())
}

func (p *product) count(evs []domain.Event) {
	p.events += uint64(len(evs))
	p.unsaved += uint64(len(evs))
}

// gateFor returns the gate over p's current state (restoring a snapshot
// or forgetting one replaces the state).
func (p *product) gateFor() *domain.Gate {
	if p.gate == nil || p.gate.State() != p.state {
		p.gate = domain.NewGate(p.state)
	}
	return p.gate
}

func (h *Handler) catchUp(ctx context.Context, id string, p *product) error {
	h.restore(ctx, id, p)
	p.current = false
	_, err := h.store.Read(ctx, id, p.state.LastSeq, func(e domain.Event) error {
		p.admit(e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read product %q: %w", id, err)
	}
	p.flush()
	p.current, p.stored = true, p.state.LastSeq
	return nil
}

// changedSince catches the state up and returns the first new event that
// touches one of the aggregates of evs and was stored at or after since,
// or nil. An event the stream gives no time for counts as stored after.
func (h *Handler) changedSince(ctx context.Context, id string, p *product, after uint64, evs []domain.Event, since time.Time) (*domain.Event, error) {
	touched := map[domain.Aggregate]bool{}
	for _, e := range evs {
		touched[e.Aggregate] = true
	}
	var hit *domain.Event
	p.current = false
	_, err := h.store.Read(ctx, id, after, func(e domain.Event) error {
		for _, a := range p.admit(e) {
			if _, q := domain.QuarantineReason(a); !q && hit == nil && touched[a.Aggregate] && storedSince(a, since) {
				a := a
				hit = &a
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read product %q: %w", id, err)
	}
	p.flush()
	p.current, p.stored = true, p.state.LastSeq
	return hit, nil
}

// changedAfter returns the first event of the product after seq, not one
// of own (ids of this process's decisions a command was taken on), that
// touches one of the aggregates of evs and was stored at or after since,
// or nil. It reads the events as stored, without the validating fold
// (the state is caught up already): an event the fold would quarantine
// counts too, so the command is refused as a conflict rather than
// recorded on a state its user did not see.
func (h *Handler) changedAfter(ctx context.Context, id string, seq uint64, own map[string]bool, evs []domain.Event, since time.Time) (*domain.Event, error) {
	touched := map[domain.Aggregate]bool{}
	for _, e := range evs {
		touched[e.Aggregate] = true
	}
	var hit *domain.Event
	_, err := h.store.Read(ctx, id, seq, func(e domain.Event) error {
		if hit == nil && !own[e.ID] && touched[e.Aggregate] && storedSince(e, since) {
			hit = &e
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read product %q: %w", id, err)
	}
	return hit, nil
}

// changedError is the conflict of a command whose aggregate e changed
// after it arrived.
func changedError(e *domain.Event) error {
	return domain.Conflict("%s %q was changed by %s (%s at sequence %d) while this decision was being recorded: look at it again and retry",
		e.Aggregate.Kind, e.Aggregate.ID, e.Actor.ID, e.Type, e.Seq)
}

// storedSince reports whether the stream stored e at or after t (true
// when it does not say). The stream's clock is the server's: on a
// cluster, skew between it and this process's clock moves the line by
// as much.
func storedSince(e domain.Event, t time.Time) bool {
	return e.Stored == nil || e.Stored.Time.IsZero() || !e.Stored.Time.Before(t)
}
