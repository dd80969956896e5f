package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/decisionledger/ledger/domain"
)

// Generator writes the history of several products, each a rich History
// sized for the whole run, interleaved in runs of consecutive events of
// one product, the way an import or a busy team's day writes them.
// Deterministic from its seed. Not safe for concurrent use.
type Generator struct {
	rng *rand.Rand
	hs  []*History
	run int
}

// RunLength is how many consecutive events of one product a Generator writes
// before it turns to another: one atomic batch of an import.
const RunLength = 1000

// LimitsFor returns the limits of one of products histories that share
// events in all: one item for every 50 events (20k items at 1M events), at
// most a fifth of them open at once (capped at 1,500, a long backlog),
// a request for every two items, and a roadmap of a few dozen items.
func LimitsFor(events, products int) Limits {
	items := max(600, events/50/max(1, products))
	return Limits{Items: items, Open: min(max(200, items/5), 1500), Requests: items / 2,
		Roadmap: min(24+items/500, 60)}
}

// NewGenerator returns a generator of events events over products
// products, named p1, p2, ...
func NewGenerator(seed uint64, products, events int) *Generator {
	products = max(1, products)
	g := &Generator{rng: rand.New(rand.NewPCG(seed, 0x5eed)), run: RunLength}
	lim := LimitsFor(events, products)
	for i := range products {
		g.hs = append(g.hs, NewRichHistory(seed+uint64(i)*7919, fmt.Sprintf("p%d", i+1), lim))
	}
	return g
}

// Products returns the histories, one per product.
func (g *Generator) Products() []*History { return g.hs }

// NextRun returns up to n consecutive events of one product, the product
// picked at random (the first product is picked first, so that every run
// starts with a product's creation). A run never splits a decision of
// several events.
func (g *Generator) NextRun(n int) []domain.Event {
	h := g.hs[g.rng.IntN(len(g.hs))]
	for _, x := range g.hs {
		if x.Events() == 0 {
			h = x
			break
		}
	}
	out := make([]domain.Event, 0, n)
	for len(out) < n || len(h.queue) > 0 {
		if len(out) == n {
			// Finish the decision in the next run instead.
			break
		}
		out = append(out, h.Next())
	}
	if len(h.queue) > 0 {
		// The last event opened a decision of two: end the run before it.
		h.queue = append([]domain.Event{out[len(out)-1]}, h.queue...)
		out = out[:len(out)-1]
	}
	return out
}
