package command

import (
	"context"

	"github.com/decisionledger/ledger/domain"
)

// A flight is a decision sent to the stream and not yet answered, when
// the store told where it will be stored if it is (Sender). The product
// is not held while it flies: the next command about the product is
// decided on the state with the flight folded in (speculatively: the
// flight may yet fail) and sent right behind it, expecting it, so that
// JetStream stores it only if the flight was stored. Commands that
// arrive together are thus decided one after the other, in the order
// they took the product, and reach JetStream together, each answered by
// its own acknowledgement.
//
// A refused command never flies (the rules refuse it before anything is
// sent), so it takes nothing down. A flight that is not stored (another
// writer got in first, an append it was chained to failed, the store
// failed) takes down those sent behind it, which were decided on it:
// when it was folded into the state, the state is stale and rebuilt from
// the stream once every flight is answered, and the commands refused for
// it are decided again there, as if they had just arrived (execute). One
// decided on the state as it stands gets the conflict check of any
// append: a change to what it decides about, stored since it arrived,
// is a conflict; anything else, and it is decided again.
type flight struct {
	events  []domain.Event // with the sequences predicted for them
	expect  uint64         // the product's last sequence it was decided on
	folded  bool           // folded into the state before it was answered
	stored  bool           // known stored: answered so, or a later flight was
	snap    *pendingSnapshot
	settled bool // answered, stored or not, and taken off the product's flights
}

// fly waits, without holding p, for the answer to f, which wait gives,
// and records it. It returns nil when f is stored.
func (h *Handler) fly(p *product, f *flight, wait func() ([]uint64, error)) error {
	if f.snap != nil {
		p.snapFlying = true
	}
	p.flights = append(p.flights, f)
	p.mu.Unlock()
	_, err := wait()
	p.mu.Lock()
	h.land(p, f, err == nil)
	if f.stored {
		// Stored: answered so, or a flight sent behind it was, which
		// JetStream stores only on top of it (its own answer may have
		// been lost on the way).
		return nil
	}
	return err
}

// land records the answer to f: stored (ok) or not. A stored flight says
// that every flight before it is stored too; they are taken off, folded
// into the state if they were not yet, and their snapshots stored. A
// flight not stored is taken off; if the state holds it, the state is
// stale.
func (h *Handler) land(p *product, f *flight, ok bool) {
	defer p.landed.Broadcast()
	if f.settled {
		return
	}
	i := 0
	for i < len(p.flights) && p.flights[i] != f {
		i++
	}
	if i == len(p.flights) {
		f.settled = true // not among them: nothing is waiting on it
		return
	}
	if !ok {
		p.flights = append(p.flights[:i], p.flights[i+1:]...)
		f.settled = true
		if f.folded {
			p.stale = true
		}
		if f.snap != nil {
			p.snapFlying = false
		}
		return
	}
	for _, g := range p.flights[:i+1] {
		if !g.folded && !p.stale {
			p.foldFlight(g)
		}
		g.stored, g.settled = true, true
		p.stored = g.events[len(g.events)-1].Seq
		if g.snap != nil {
			// Of the state g was decided on, which g attests: stored.
			p.snapFlying = false
			h.storeSnapshot(context.Background(), p, g.snap)
		}
	}
	p.flights = p.flights[i+1:]
}

// flightIDs returns the ids of the events of p's flights, nil when none
// flies.
func (p *product) flightIDs() map[string]bool {
	if len(p.flights) == 0 {
		return nil
	}
	ids := map[string]bool{}
	for _, f := range p.flights {
		for _, e := range f.events {
			ids[e.ID] = true
		}
	}
	return ids
}

// fold folds every flight into the state: the next decision is taken on
// them.
func (p *product) fold() {
	for _, f := range p.flights {
		if !f.folded {
			p.foldFlight(f)
		}
	}
}

func (p *product) foldFlight(f *flight) {
	for _, e := range f.events {
		p.trust(e)
	}
	f.folded = true
}

// settle waits until no decision of p is on its way, and rebuilds a
// stale state: the next read folds the product from its newest
// write-state snapshot or first event (p.current is false then).
func (h *Handler) settle(p *product) {
	for len(p.flights) > 0 {
		p.landed.Wait()
	}
	if p.stale {
		p.state, p.fromSnapshot, p.restored, p.current, p.stale = h.newState(p.state.Product.ID), false, false, false, false
		p.events, p.unsaved = 0, 0
		p.rebuilt++
	}
}
