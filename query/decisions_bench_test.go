package query

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/replay"
)

// BenchmarkDecisions asks decision queries of a generated history of 100k
// events (600 items, most events re-rankings): from live projections
// ("live", what serve answers with), and as a one-shot command without
// serve, with the views snapshots serve writes every 1000 events
// ("oneshot": one item, request or roadmap item is read from its subject,
// the rest rebuilds the transparency log) and with none ("nosnapshots",
// which always rebuilds). Run it with
//
//	go test ./query -run '^$' -bench Decisions -benchtime 3x
//
// The data is built only when the benchmark runs (about 15 s to load; the
// whole run takes about 2.5 minutes, the rebuilds being most of it).
func BenchmarkDecisions(b *testing.B) {
	const n = 100_000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: b.TempDir()})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	h := newBenchHistory(7, "bench")
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = h.next()
	}
	benchAppend(ctx, b, s, evs)
	last := evs[n-1].Seq
	// The views snapshots serve writes as it goes, every 1000 events and
	// thinned out the way it thins them.
	views := replay.NewViews()
	sn := replay.NewSnapshotter(s.Snapshots(), "bench", replay.DefaultEvery, replay.View{Projection: views})
	for _, e := range evs {
		views.Apply(e)
		_, err := sn.MaybeSnapshot(ctx, e)
		require.NoError(b, err)
	}

	live := NewLive(s, s.Snapshots(), 0, b.Logf)
	done := make(chan struct{})
	go func() { defer close(done); _ = live.Run(ctx) }()
	defer func() { cancel(); <-done }()
	require.Eventually(b, func() bool { return live.Position("bench") == last }, 5*time.Minute, 10*time.Millisecond)
	lq := New(s, s.Snapshots())
	lq.UseLive(live, nil)
	oq := New(s, s.Snapshots())
	nq := New(s, nil)

	filters := []struct {
		name string
		f    DecisionsFilter
	}{
		{"item", DecisionsFilter{Item: "I-300"}},
		{"item-ranked", DecisionsFilter{Item: "I-300", Types: []string{"ranked"}}},
		{"ranked-february", DecisionsFilter{Types: []string{"ranked"}, From: "2020-02-01", To: "2020-03-01"}},
		{"request", DecisionsFilter{Request: "Q-100"}},
		{"roadmap", DecisionsFilter{Roadmap: "R-3"}},
		{"rejected", DecisionsFilter{Types: []string{"rejected"}}},
		{"all", DecisionsFilter{}},
	}
	for _, q := range []struct {
		name string
		svc  *Service
	}{{"live", lq}, {"oneshot", oq}, {"nosnapshots", nq}} {
		for _, f := range filters {
			if q.svc == nq && f.name != "item" {
				continue // every filter costs the same rebuild
			}
			b.Run(q.name+"/"+f.name, func(b *testing.B) {
				var d Decisions
				for b.Loop() {
					var err error
					d, err = q.svc.Decisions(ctx, "bench", f.f, 0)
					require.NoError(b, err)
				}
				b.ReportMetric(float64(len(d.Decisions)), "rows/op")
				b.ReportMetric(float64(d.Replayed), "replayed/op")
			})
		}
	}
}

// benchAppend stores evs (one product) in atomic batches, setting Seq.
func benchAppend(ctx context.Context, b *testing.B, s *eventstore.Store, evs []domain.Event) {
	b.Helper()
	var last uint64
	for i := 0; i < len(evs); {
		n := min(len(evs)-i, eventstore.MaxBatch)
		seqs, err := s.Append(ctx, evs[i:i+n], last)
		require.NoError(b, err)
		for j, seq := range seqs {
			evs[i+j].Seq = seq
		}
		last = seqs[len(seqs)-1]
		i += n
	}
}

// benchHistory, copied from replay/history_test.go, generates a realistic product history of any length whose state
// stays bounded: a few dozen roadmap items and a backlog of a few hundred
// items, most of the events being re-rankings (some with scores),
// estimates and refinements, with deliveries, removals and requests
// throughout. New items replace delivered ones until benchMaxItems exist; then
// only the open ones keep being worked on. Seeded, so the same seed gives
// the same history.
// benchHistory is bench.NewHistory's generator, copied: the bench package
// imports query, so query's own tests cannot import it.
type benchHistory struct {
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
	benchMaxItems    = 600
	benchMaxOpen     = 200
	benchMaxRequests = 300
	benchMaxRoadmap  = 24
)

func newBenchHistory(seed uint64, product string) *benchHistory {
	return &benchHistory{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), product: product,
		at: time.Date(2020, 1, 6, 9, 0, 0, 0, time.UTC), started: map[string]bool{}, periods: map[string]string{}}
}

func (h *benchHistory) event(actor string, role domain.Role, kind domain.AggregateKind, id, why string, p domain.Payload) domain.Event {
	h.n++
	h.at = h.at.Add(time.Duration(1+h.rng.IntN(120)) * time.Second)
	cmd := fmt.Sprintf("%s-gen-%d", h.product, h.n)
	return domain.Event{ID: domain.EventID(h.product, cmd, h.at, 0), Type: p.EventType(), Schema: domain.SchemaOf(p.EventType()),
		Product: h.product, Aggregate: domain.Aggregate{Kind: kind, ID: id}, Actor: domain.Actor{ID: actor, Role: role},
		OccurredAt: h.at, Why: why, Data: p, CommandID: cmd}
}

func (h *benchHistory) pick(ids []string) string { return ids[h.rng.IntN(len(ids))] }

func (h *benchHistory) period() string {
	return fmt.Sprintf("%d-Q%d", h.at.Year()+h.rng.IntN(2), 1+h.rng.IntN(4))
}

func (h *benchHistory) removeOpen(id string) {
	for i, x := range h.open {
		if x == id {
			h.open[i] = h.open[len(h.open)-1]
			h.open = h.open[:len(h.open)-1]
			return
		}
	}
}

// next returns the next event.
func (h *benchHistory) next() domain.Event {
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
	// Items close (and new ones replace them) until benchMaxItems exist; from
	// then on the open ones stay and keep being worked on.
	flowing := h.items < benchMaxItems
	switch r := h.rng.IntN(100); {
	case len(h.roadmaps) < 4 || (r < 1 && len(h.roadmaps) < benchMaxRoadmap):
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
	case flowing && len(h.open) < benchMaxOpen && (len(h.open) < 20 || r < 8):
		h.items++
		id := fmt.Sprintf("I-%d", h.items)
		h.open = append(h.open, id)
		return po(domain.KindItem, id, "", domain.BacklogItemAdded{Title: "Item " + id, Kind: domain.ItemStory, Roadmap: h.pick(h.roadmaps)})
	case r < 12 && h.requests < benchMaxRequests:
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
