package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// Limits bound the state a History builds, whatever its length.
type Limits struct {
	// Items is how many backlog items are ever added; after that only the
	// open ones keep being worked on.
	Items int
	// Open bounds the open backlog.
	Open int
	// Requests is how many requests are ever submitted.
	Requests int
	// Roadmap bounds the roadmap items.
	Roadmap int
}

// TestLimits are the limits of NewHistory: a few dozen roadmap items and
// a backlog of a few hundred items, small enough for tests of any length.
var TestLimits = Limits{Items: 600, Open: 200, Requests: 300, Roadmap: 24}

// History generates a realistic product history of any length whose
// state stays bounded (Limits): most events are re-rankings (some with
// scores), estimates and refinements, with deliveries, removals and
// requests throughout. Seeded, so the same seed gives the same history.
// Not safe for concurrent use.
type History struct {
	gap      time.Duration // Pace; 0 is two minutes
	rng      *rand.Rand
	product  string
	lim      Limits
	rich     bool
	at       time.Time
	n        int
	items    int // items ever added
	requests int // requests ever submitted
	roadmaps []string
	periods  map[string]string // roadmap item -> period
	open     []string          // open backlog items, in no particular order
	epics    []string
	planned  int // roadmap items ever planned: their ids are never reused
	voices   int // stakeholders assigned beyond sally
	started  map[string]bool
	pending  []string       // undecided requests (pending or deferred)
	queue    []domain.Event // the rest of a decision of several events
}

// NewHistory returns the bounded history of tests (TestLimits): one PO,
// stories only, requests that are deferred or rejected.
func NewHistory(seed uint64, product string) *History {
	return newHistory(seed, product, TestLimits, false)
}

// NewRichHistory returns a history in the demo's shape within lim: epics
// with stories, bugs and spikes under them, requests with every fate
// (accepted into a new item in the same decision, rejected, deferred,
// withdrawn), re-rankings with RICE and WSJF scores, roadmap reschedules
// and drops, role changes and goals.
func NewRichHistory(seed uint64, product string, lim Limits) *History {
	return newHistory(seed, product, lim, true)
}

func newHistory(seed uint64, product string, lim Limits, rich bool) *History {
	return &History{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), product: product, lim: lim, rich: rich,
		at: time.Date(2020, 1, 6, 9, 0, 0, 0, time.UTC), started: map[string]bool{}, periods: map[string]string{}}
}

// Pace sets the longest gap between two events, two minutes unless set:
// a longer one spreads the history over more periods.
func (h *History) Pace(gap time.Duration) { h.gap = gap }

// Product is the product the history is about.
func (h *History) Product() string { return h.product }

// Open returns the open backlog items, in no particular order; the slice
// is the history's own.
func (h *History) Open() []string { return h.open }

// Events returns how many events Next has returned.
func (h *History) Events() int { return h.n - len(h.queue) }

func (h *History) event(actor string, role domain.Role, kind domain.AggregateKind, id, why string, p domain.Payload) domain.Event {
	h.n++
	if h.gap > 0 {
		h.at = h.at.Add(time.Duration(1+h.rng.Int64N(int64(h.gap/time.Second))) * time.Second)
	} else {
		h.at = h.at.Add(time.Duration(1+h.rng.IntN(120)) * time.Second)
	}
	cmd := fmt.Sprintf("%s-gen-%d", h.product, h.n)
	return domain.Event{ID: domain.EventID(h.product, cmd, h.at, 0), Type: p.EventType(), Schema: domain.SchemaOf(p.EventType()),
		Product: h.product, Aggregate: domain.Aggregate{Kind: kind, ID: id}, Actor: domain.Actor{ID: actor, Role: role},
		OccurredAt: h.at, Why: why, Data: p, CommandID: cmd}
}

func (h *History) pick(ids []string) string { return ids[h.rng.IntN(len(ids))] }

func (h *History) period() string {
	return fmt.Sprintf("%d-Q%d", h.at.Year()+h.rng.IntN(2), 1+h.rng.IntN(4))
}

func (h *History) removeOpen(id string) {
	h.open = without(h.open, id)
	// A closed epic takes no new stories: the rules refuse them.
	h.epics = without(h.epics, id)
}

// without removes id from ids, in no particular order.
func without(ids []string, id string) []string {
	for i, x := range ids {
		if x == id {
			ids[i] = ids[len(ids)-1]
			return ids[:len(ids)-1]
		}
	}
	return ids
}

func (h *History) po(kind domain.AggregateKind, id, why string, p domain.Payload) domain.Event {
	return h.event("olga", domain.RolePO, kind, id, why, p)
}

func (h *History) team(id string, p domain.Payload) domain.Event {
	return h.event("tom", domain.RoleTeam, domain.KindItem, id, "", p)
}

// Next returns the next event.
func (h *History) Next() domain.Event {
	if len(h.queue) > 0 {
		e := h.queue[0]
		h.queue = h.queue[1:]
		return e
	}
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
	if h.rich {
		if e, ok := h.richNext(); ok {
			return e
		}
	}
	// Items close (and new ones replace them) until Items exist; from
	// then on the open ones stay and keep being worked on.
	flowing := h.items < h.lim.Items
	switch r := h.rng.IntN(100); {
	case len(h.roadmaps) < 4 || (r < 1 && len(h.roadmaps) < h.lim.Roadmap):
		h.planned++
		id := fmt.Sprintf("R-%d", h.planned)
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
	case flowing && len(h.open) < h.lim.Open && (len(h.open) < 20 || r < 8):
		return h.addItem()
	case r < 12 && h.requests < h.lim.Requests:
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
			e := h.po(domain.KindRequest, id, "no", domain.RequestRejected{})
			e.Reason = domain.ReasonLowValue
			return e
		}
		// Deferred requests stay undecided and come up again.
		return h.po(domain.KindRequest, id, "not now", domain.RequestDeferred{Until: h.at.AddDate(0, 3, 0).Format(time.DateOnly)})
	case r < 20:
		return h.team(h.pick(h.open), domain.BacklogItemEstimated{Points: float64(1 + h.rng.IntN(13))})
	case r < 23:
		return h.po(domain.KindItem, h.pick(h.open), "sharper scope", domain.BacklogItemRefined{Title: fmt.Sprintf("Item v%d", h.n)})
	case r < 26:
		id := h.pick(h.open)
		if !h.started[id] {
			h.started[id] = true
			return h.team(id, domain.WorkStarted{})
		}
		if flowing {
			h.removeOpen(id)
			return h.team(id, domain.WorkDelivered{Release: fmt.Sprintf("r%d", h.n)})
		}
	case r < 27 && flowing:
		id := h.pick(h.open)
		h.removeOpen(id)
		return h.po(domain.KindItem, id, "no longer needed", domain.BacklogItemRemoved{})
	}
	if len(h.open) == 0 {
		return h.event("pam", domain.RolePM, domain.KindProduct, h.product, "", domain.VisionStated{Vision: fmt.Sprint("vision ", h.n)})
	}
	return h.rank()
}

func (h *History) addItem() domain.Event {
	h.items++
	id := fmt.Sprintf("I-%d", h.items)
	h.open = append(h.open, id)
	p := domain.BacklogItemAdded{Title: "Item " + id, Kind: domain.ItemStory, Roadmap: h.pick(h.roadmaps)}
	if h.rich {
		switch r := h.rng.IntN(40); {
		case r == 0:
			// An epic groups stories; it is an open item like any other.
			p.Kind, p.Roadmap = domain.ItemEpic, ""
			h.epics = append(h.epics, id)
		case r < 6:
			p.Kind = domain.ItemBug
		case r < 8:
			p.Kind = domain.ItemSpike
		}
		if p.Kind != domain.ItemEpic && len(h.epics) > 0 && h.rng.IntN(2) == 0 {
			p.Epic = h.pick(h.epics)
		}
	}
	return h.po(domain.KindItem, id, "", p)
}

func (h *History) rank() domain.Event {
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
		if h.rich && h.rng.IntN(3) == 0 {
			score = &domain.Score{Framework: "WSJF", Inputs: map[string]float64{"bv": float64(1 + h.rng.IntN(20)),
				"tc": float64(1 + h.rng.IntN(13)), "rr": float64(1 + h.rng.IntN(8)), "size": float64(1 + h.rng.IntN(13))}}
		}
	}
	if h.rich && pos.Place == domain.PlaceAbove && h.rng.IntN(2) == 0 {
		pos.Place = domain.PlaceBelow
	}
	return h.po(domain.KindItem, id, "value per effort", domain.BacklogItemRanked{Position: pos, Score: score})
}

// richNext draws the decisions only a rich history takes, about one event
// in twelve; ok is false when it takes none this time.
func (h *History) richNext() (domain.Event, bool) {
	switch r := h.rng.IntN(200); {
	case r < 6 && len(h.pending) > 0 && len(h.open) < h.lim.Open && h.items < h.lim.Items:
		// Accepted: the request and the item it becomes, one decision.
		i := h.rng.IntN(len(h.pending))
		q := h.pending[i]
		h.pending = append(h.pending[:i], h.pending[i+1:]...)
		h.items++
		id := fmt.Sprintf("I-%d", h.items)
		h.open = append(h.open, id)
		acc := h.po(domain.KindRequest, q, "fits the goal", domain.RequestAccepted{Item: id})
		add := h.po(domain.KindItem, id, "fits the goal", domain.BacklogItemAdded{Title: "From " + q, Kind: domain.ItemStory,
			Roadmap: h.pick(h.roadmaps), Request: q})
		// One command: the same id and time, the second event's id.
		add.CommandID, add.OccurredAt = acc.CommandID, acc.OccurredAt
		add.ID = domain.EventID(h.product, acc.CommandID, acc.OccurredAt, 1)
		h.at = acc.OccurredAt
		h.queue = append(h.queue, add)
		return acc, true
	case r < 8 && len(h.pending) > 0:
		i := h.rng.IntN(len(h.pending))
		q := h.pending[i]
		h.pending = append(h.pending[:i], h.pending[i+1:]...)
		return h.event("sally", domain.RoleStakeholder, domain.KindRequest, q, "solved elsewhere", domain.RequestWithdrawn{}), true
	case r < 9 && len(h.roadmaps) > 4:
		// A dropped roadmap item's items keep their link, but it is never
		// planned on, moved or served again: the rules refuse that.
		id := h.pick(h.roadmaps)
		h.roadmaps = without(h.roadmaps, id)
		return h.event("pam", domain.RolePM, domain.KindRoadmap, id, "no longer a bet", domain.RoadmapItemDropped{}), true
	case r < 10:
		return h.po(domain.KindProduct, h.product, "focus for the quarter", domain.ProductGoalSet{Goal: fmt.Sprint("goal ", h.n)}), true
	case r < 11 && h.voices < 8:
		// Eight more voices at most, each given the role once.
		h.voices++
		return h.event("pam", domain.RolePM, domain.KindProduct, h.product, "another voice of the customer",
			domain.RoleAssigned{Actor: fmt.Sprintf("stake-%d", h.voices-1), Role: domain.RoleStakeholder}), true
	case r < 17 && len(h.roadmaps) > 0:
		id, to := h.pick(h.roadmaps), h.period()
		if to == h.periods[id] {
			return domain.Event{}, false
		}
		from := h.periods[id]
		h.periods[id] = to
		return h.event("pam", domain.RolePM, domain.KindRoadmap, id, "moved by the quarterly review",
			domain.RoadmapItemRescheduled{From: from, To: to}), true
	}
	return domain.Event{}, false
}

// Appender stores a product's events; *eventstore.Store is one.
type Appender interface {
	// Append stores events of one product atomically, expecting the
	// product's last sequence to be expect, and returns their sequences.
	Append(ctx context.Context, events []domain.Event, expect uint64) ([]uint64, error)
}

// AppendAll stores evs (one product) in batches of at most batch()
// events (and eventstore.MaxBatch), setting each event's Seq, and calls
// each(e), when set, once it is stored.
func AppendAll(ctx context.Context, s Appender, evs []domain.Event, batch func() int, each func(domain.Event)) error {
	var last uint64
	for i := 0; i < len(evs); {
		n := min(batch(), len(evs)-i, eventstore.MaxBatch)
		seqs, err := s.Append(ctx, evs[i:i+n], last)
		if err != nil {
			return err
		}
		for j, seq := range seqs {
			evs[i+j].Seq = seq
			if each != nil {
				each(evs[i+j])
			}
		}
		last = seqs[len(seqs)-1]
		i += n
	}
	return nil
}

// Items returns how many backlog items the history has added.
func (h *History) Items() int { return h.items }
