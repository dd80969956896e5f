package replay_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// history generates a realistic product history of any length whose state
// stays bounded: a few dozen roadmap items and a backlog of a few hundred
// items, most of the events being re-rankings (some with scores),
// estimates and refinements, with deliveries, removals and requests
// throughout. New items replace delivered ones until maxItems exist; then
// only the open ones keep being worked on. Seeded, so the same seed gives
// the same history.
type history struct {
	rng      *rand.Rand
	product  string
	at       time.Time
	n        int
	items    int // items ever added
	requests int // requests ever submitted
	roadmaps []string
	periods  map[string]string // roadmap item -> period
	open     []string          // open backlog items, in no particular order
	started  map[string]bool
	pending  []string // undecided requests (pending or deferred)
}

const (
	maxItems    = 600
	maxOpen     = 200
	maxRequests = 300
	maxRoadmap  = 24
)

func newHistory(seed uint64, product string) *history {
	return &history{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), product: product,
		at: time.Date(2020, 1, 6, 9, 0, 0, 0, time.UTC), started: map[string]bool{}, periods: map[string]string{}}
}

func (h *history) event(actor string, role domain.Role, kind domain.AggregateKind, id, why string, p domain.Payload) domain.Event {
	h.n++
	h.at = h.at.Add(time.Duration(1+h.rng.IntN(120)) * time.Second)
	cmd := fmt.Sprintf("%s-gen-%d", h.product, h.n)
	return domain.Event{ID: domain.EventID(h.product, cmd, h.at, 0), Type: p.EventType(), Schema: domain.SchemaOf(p.EventType()),
		Product: h.product, Aggregate: domain.Aggregate{Kind: kind, ID: id}, Actor: domain.Actor{ID: actor, Role: role},
		OccurredAt: h.at, Why: why, Data: p, CommandID: cmd}
}

func (h *history) pick(ids []string) string { return ids[h.rng.IntN(len(ids))] }

func (h *history) period() string {
	return fmt.Sprintf("%d-Q%d", h.at.Year()+h.rng.IntN(2), 1+h.rng.IntN(4))
}

func (h *history) removeOpen(id string) {
	for i, x := range h.open {
		if x == id {
			h.open[i] = h.open[len(h.open)-1]
			h.open = h.open[:len(h.open)-1]
			return
		}
	}
}

// next returns the next event.
func (h *history) next() domain.Event {
	if h.n == 0 {
		return h.event("pam", domain.RolePM, domain.KindProduct, h.product, "",
			domain.ProductCreated{Name: "Generated", PM: "pam", PO: "olga"})
	}
	// The team and the stakeholder get their roles first, so that every
	// generated event is one the rules allow (the validating fold checks).
	switch h.n {
	case 1:
		return h.event("pam", domain.RolePM, domain.KindProduct, h.product, "The team", domain.RoleAssigned{Actor: "tom", Role: domain.RoleTeam})
	case 2:
		return h.event("pam", domain.RolePM, domain.KindProduct, h.product, "Voice of sales", domain.RoleAssigned{Actor: "sally", Role: domain.RoleStakeholder})
	}
	po := func(kind domain.AggregateKind, id, why string, p domain.Payload) domain.Event {
		return h.event("olga", domain.RolePO, kind, id, why, p)
	}
	team := func(id string, p domain.Payload) domain.Event {
		return h.event("tom", domain.RoleTeam, domain.KindItem, id, "", p)
	}
	// Items close (and new ones replace them) until maxItems exist; from
	// then on the open ones stay and keep being worked on.
	flowing := h.items < maxItems
	switch r := h.rng.IntN(100); {
	case len(h.roadmaps) < 4 || (r < 1 && len(h.roadmaps) < maxRoadmap):
		id := fmt.Sprintf("R-%d", len(h.roadmaps)+1)
		h.roadmaps = append(h.roadmaps, id)
		h.periods[id] = h.period()
		return h.event("pam", domain.RolePM, domain.KindRoadmap, id, "strategy",
			domain.RoadmapItemPlanned{Title: "Theme " + id, Period: h.periods[id]})
	case r < 2:
		id, to := h.pick(h.roadmaps), h.period()
		if to == h.periods[id] {
			break
		}
		from := h.periods[id]
		h.periods[id] = to
		return h.event("pam", domain.RolePM, domain.KindRoadmap, id, "moved by the quarterly review",
			domain.RoadmapItemRescheduled{From: from, To: to})
	case r < 3:
		return h.event("pam", domain.RolePM, domain.KindRoadmap, h.pick(h.roadmaps), "strategic order",
			domain.RoadmapItemRanked{Position: domain.Position{Place: domain.PlaceTop}})
	case flowing && len(h.open) < maxOpen && (len(h.open) < 20 || r < 8):
		h.items++
		id := fmt.Sprintf("I-%d", h.items)
		h.open = append(h.open, id)
		return po(domain.KindItem, id, "", domain.BacklogItemAdded{Title: "Item " + id, Kind: domain.ItemStory, Roadmap: h.pick(h.roadmaps)})
	case r < 12 && h.requests < maxRequests:
		h.requests++
		id := fmt.Sprintf("Q-%d", h.requests)
		h.pending = append(h.pending, id)
		return h.event("sally", domain.RoleStakeholder, domain.KindRequest, id, "",
			domain.RequestSubmitted{Title: "Ask " + id, Requester: "sally"})
	case r < 15 && len(h.pending) > 0:
		i := h.rng.IntN(len(h.pending))
		id := h.pending[i]
		if h.rng.IntN(3) == 0 {
			h.pending = append(h.pending[:i], h.pending[i+1:]...)
			e := po(domain.KindRequest, id, "no", domain.RequestRejected{})
			e.Reason = domain.ReasonLowValue
			return e
		}
		// Deferred requests stay undecided and come up again.
		return po(domain.KindRequest, id, "not now", domain.RequestDeferred{Until: h.at.AddDate(0, 3, 0).Format(time.DateOnly)})
	case r < 20:
		return team(h.pick(h.open), domain.BacklogItemEstimated{Points: float64(1 + h.rng.IntN(13))})
	case r < 23:
		return po(domain.KindItem, h.pick(h.open), "sharper scope", domain.BacklogItemRefined{Title: fmt.Sprintf("Item v%d", h.n)})
	case r < 26:
		id := h.pick(h.open)
		if !h.started[id] {
			h.started[id] = true
			return team(id, domain.WorkStarted{})
		}
		if flowing {
			h.removeOpen(id)
			return team(id, domain.WorkDelivered{Release: fmt.Sprintf("r%d", h.n)})
		}
	case r < 27 && flowing:
		id := h.pick(h.open)
		h.removeOpen(id)
		return po(domain.KindItem, id, "no longer needed", domain.BacklogItemRemoved{})
	}
	if len(h.open) == 0 {
		return h.event("pam", domain.RolePM, domain.KindProduct, h.product, "", domain.VisionStated{Vision: fmt.Sprint("vision ", h.n)})
	}
	id := h.pick(h.open)
	pos := domain.Position{Place: domain.PlaceTop}
	switch h.rng.IntN(4) {
	case 1:
		pos.Place = domain.PlaceBottom
	case 2, 3:
		if ref := h.pick(h.open); ref != id {
			pos = domain.Position{Place: domain.PlaceAbove, Ref: ref}
		}
	}
	var score *domain.Score
	if h.rng.IntN(3) == 0 {
		score = &domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": float64(h.rng.IntN(9000)),
			"impact": 2, "confidence": 0.8, "effort": float64(1 + h.rng.IntN(8))}}
	}
	return po(domain.KindItem, id, "value per effort", domain.BacklogItemRanked{Position: pos, Score: score})
}

// appendAll stores evs (one product) in batches of at most batch events,
// setting each event's Seq, and calls each(e) once it is stored.
func appendAll(ctx context.Context, t testing.TB, s *eventstore.Store, evs []domain.Event, batch func() int, each func(domain.Event)) {
	t.Helper()
	var last uint64
	for i := 0; i < len(evs); {
		n := min(batch(), len(evs)-i, eventstore.MaxBatch)
		seqs, err := s.Append(ctx, evs[i:i+n], last)
		require.NoError(t, err)
		for j, seq := range seqs {
			evs[i+j].Seq = seq
			if each != nil {
				each(evs[i+j])
			}
		}
		last = seqs[len(seqs)-1]
		i += n
	}
}
