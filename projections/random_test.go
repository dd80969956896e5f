package projections

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// model is the generator's own, independent view of what is valid next.
type model struct {
	r         *rand.Rand
	b         *builder
	n         int
	open      []string // backlog order
	status    map[string]Status
	items     []string
	roadmaps  []string
	period    map[string]string
	dropped   map[string]bool
	requests  []string
	reqStatus map[string]RequestStatus
	churn     map[string]int
}

var periods = []string{"2026-Q1", "2026-Q2", "2026-Q3", "2027-H1"}

func (m *model) id(prefix string) string { m.n++; return fmt.Sprintf("%s%d", prefix, m.n) }

func (m *model) pick(ids []string) string { return ids[m.r.Intn(len(ids))] }

func (m *model) position(self string, ids []string) domain.Position {
	places := []domain.Placement{domain.PlaceTop, domain.PlaceBottom, domain.PlaceAbove, domain.PlaceBelow}
	p := domain.Position{Place: places[m.r.Intn(4)]}
	if p.Place == domain.PlaceAbove || p.Place == domain.PlaceBelow {
		others := slices.DeleteFunc(slices.Clone(ids), func(s string) bool { return s == self })
		if len(others) == 0 {
			return domain.Position{Place: domain.PlaceTop}
		}
		p.Ref = m.pick(others)
	}
	return p
}

// move is the reference implementation of a relative move.
func move(ids []string, id string, p domain.Position) []string {
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == id })
	switch p.Place {
	case domain.PlaceTop:
		return slices.Insert(ids, 0, id)
	case domain.PlaceBottom:
		return append(ids, id)
	case domain.PlaceAbove:
		return slices.Insert(ids, slices.Index(ids, p.Ref), id)
	}
	return slices.Insert(ids, slices.Index(ids, p.Ref)+1, id)
}

func (m *model) score() *domain.Score {
	v := func() float64 { return float64(m.r.Intn(10)) }
	switch m.r.Intn(4) {
	case 0:
		return &domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": v(), "impact": v(), "confidence": v(), "effort": v()}}
	case 1:
		return &domain.Score{Framework: "wsjf", Inputs: map[string]float64{"bv": v(), "tc": v(), "rr": v(), "job-size": v()}}
	case 2:
		return &domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": v()}}
	}
	return nil
}

func (m *model) openRoadmaps() []string {
	return slices.DeleteFunc(slices.Clone(m.roadmaps), func(s string) bool { return m.dropped[s] })
}

func (m *model) inPeriod(p string) []string {
	return slices.DeleteFunc(slices.Clone(m.roadmaps), func(s string) bool { return m.period[s] != p })
}

func (m *model) reqsIn(st ...RequestStatus) []string {
	return slices.DeleteFunc(slices.Clone(m.requests), func(s string) bool { return !slices.Contains(st, m.reqStatus[s]) })
}

func (m *model) addItem(req string) string {
	id := m.id("I")
	roadmap := ""
	if rs := m.openRoadmaps(); len(rs) > 0 && m.r.Intn(3) > 0 {
		roadmap = m.pick(rs)
	}
	m.b.emit(po, domain.KindItem, id, domain.BacklogItemAdded{Title: "t" + id, Kind: domain.ItemStory, Roadmap: roadmap, Request: req}, "")
	m.items, m.open = append(m.items, id), append(m.open, id)
	m.status[id] = domain.StatusNew
	return id
}

// step emits one valid decision, if the random choice has one.
func (m *model) step() {
	b, r := m.b, m.r
	b.step = time.Duration(1+r.Intn(600)) * time.Minute
	switch r.Intn(18) {
	case 0:
		id := m.id("R")
		b.emit(pm, domain.KindRoadmap, id, domain.RoadmapItemPlanned{Title: id, Period: periods[r.Intn(len(periods))]}, "")
		m.roadmaps = append(m.roadmaps, id)
		m.period[id] = b.events[len(b.events)-1].Data.(domain.RoadmapItemPlanned).Period
	case 1:
		if rs := m.openRoadmaps(); len(rs) > 0 {
			id, to := m.pick(rs), periods[r.Intn(len(periods))]
			b.emit(pm, domain.KindRoadmap, id, domain.RoadmapItemRescheduled{From: m.period[id], To: to}, "")
			m.period[id] = to
		}
	case 2:
		if len(m.roadmaps) > 0 {
			id := m.pick(m.roadmaps)
			b.emit(pm, domain.KindRoadmap, id, domain.RoadmapItemRanked{Position: m.position(id, m.inPeriod(m.period[id]))}, "")
			m.churn[id]++
		}
	case 3:
		if rs := m.openRoadmaps(); len(rs) > 0 && r.Intn(8) == 0 {
			id := m.pick(rs)
			b.emit(pm, domain.KindRoadmap, id, domain.RoadmapItemDropped{}, "")
			m.dropped[id] = true
		}
	case 4, 5:
		m.addItem("")
	case 6:
		if len(m.open) > 0 {
			p := domain.BacklogItemRefined{Title: "refined"}
			if rs := m.openRoadmaps(); len(rs) > 0 && r.Intn(2) == 0 {
				p.Roadmap = m.pick(rs)
			}
			b.emit(po, domain.KindItem, m.pick(m.open), p, "")
		}
	case 7, 8:
		if len(m.open) > 0 {
			id := m.pick(m.open)
			pos := m.position(id, m.open)
			b.emit(po, domain.KindItem, id, domain.BacklogItemRanked{Position: pos, Score: m.score()}, "")
			m.open = move(m.open, id, pos)
			m.churn[id]++
		}
	case 9:
		if len(m.open) > 0 && r.Intn(2) == 0 {
			id := m.pick(m.open)
			b.emit(po, domain.KindItem, id, domain.BacklogItemRemoved{}, "")
			m.open = slices.DeleteFunc(m.open, func(s string) bool { return s == id })
			m.status[id] = domain.StatusRemoved
		}
	case 10, 16, 17:
		if len(m.open) > 0 {
			id := m.pick(m.open[:min(len(m.open), 8)])
			if m.status[id] == domain.StatusNew {
				b.emit(team, domain.KindItem, id, domain.WorkStarted{}, "")
				m.status[id] = domain.StatusInProgress
			} else {
				b.emit(team, domain.KindItem, id, domain.WorkDelivered{Release: "v1"}, "")
				m.open = slices.DeleteFunc(m.open, func(s string) bool { return s == id })
				m.status[id] = domain.StatusDelivered
			}
		}
	case 11:
		if len(m.open) > 0 {
			b.emit(team, domain.KindItem, m.pick(m.open), domain.BacklogItemEstimated{Points: float64(r.Intn(13))}, "")
		}
	case 12:
		id, repeats := m.id("Q"), ""
		if len(m.requests) > 0 && r.Intn(2) == 0 {
			repeats = m.pick(m.requests)
		}
		who := []string{"sam", "sue", "sid"}[r.Intn(3)]
		b.emit(domain.Actor{ID: who, Role: domain.RoleStakeholder}, domain.KindRequest, id,
			domain.RequestSubmitted{Title: id, Requester: who, Repeats: repeats}, "")
		m.requests = append(m.requests, id)
		m.reqStatus[id] = domain.StatusPending
	case 13:
		if qs := m.reqsIn(domain.StatusPending, domain.StatusDeferred); len(qs) > 0 {
			id := m.pick(qs)
			item := m.addItem(id)
			b.emit(po, domain.KindRequest, id, domain.RequestAccepted{Item: item}, "yes")
			m.reqStatus[id] = domain.StatusAccepted
		}
	case 14:
		if qs := m.reqsIn(domain.StatusPending, domain.StatusDeferred); len(qs) > 0 {
			id := m.pick(qs)
			switch r.Intn(4) {
			case 0, 3:
				b.reject(id, domain.ReasonCodes[r.Intn(len(domain.ReasonCodes))], "no")
				m.reqStatus[id] = domain.StatusRejected
			case 1:
				b.emit(po, domain.KindRequest, id, domain.RequestDeferred{Until: "2027-01-01"}, "later")
				m.reqStatus[id] = domain.StatusDeferred
			default:
				b.emit(sales, domain.KindRequest, id, domain.RequestWithdrawn{}, "")
				m.reqStatus[id] = domain.StatusWithdrawn
			}
		}
	case 15:
		if r.Intn(4) == 0 {
			b.unknown()
		} else {
			b.emit(pm, domain.KindProduct, "checkout", domain.VisionStated{Vision: fmt.Sprint("v", r.Intn(5))}, "")
		}
	}
}

func TestRandomHistories(t *testing.T) {
	for seed := int64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint("Seed", seed), func(t *testing.T) {
			m := &model{r: rand.New(rand.NewSource(seed)), b: newBuilder(), status: map[string]Status{},
				period: map[string]string{}, dropped: map[string]bool{}, reqStatus: map[string]RequestStatus{},
				churn: map[string]int{}}
			m.b.product()
			for len(m.b.events) < 400 {
				m.step()
			}
			events := m.b.events

			live := trustingSet()
			var mid []byte
			for i, e := range events {
				live.Apply(e)
				if i%50 == 0 { // queries hand out copies: scribbling on them changes nothing
					for _, it := range live.Backlog.Items() {
						if it.Score != nil {
							it.Score.Inputs["reach"] = -1
						}
						it.LastDecision.Overrides = append(it.LastDecision.Overrides[:0:0], Override{ID: "x"})
					}
					for _, p := range live.Roadmap.Periods() {
						for _, it := range p.Items {
							if len(it.Items) > 0 {
								it.Items[0] = "x"
							}
						}
					}
				}
				if i == len(events)/2 {
					mid = snapshotOf(t, live)
				}
			}
			checkInvariants(t, m, live)

			rebuilt := trustingSet()
			applyAll(rebuilt, events)
			final := snapshotOf(t, live)
			require.Equal(t, string(final), string(snapshotOf(t, rebuilt)), "live equals rebuilt")

			resumed := trustingSet()
			require.NoError(t, resumed.UnmarshalSnapshot(mid))
			applyAll(resumed, events) // the first half is redelivered and ignored
			require.Equal(t, string(final), string(snapshotOf(t, resumed)), "resumed from a snapshot equals live")
		})
	}
}

func checkInvariants(t *testing.T, m *model, s *Set) {
	t.Helper()
	items := s.Backlog.Items()
	seen := map[string]bool{}
	for _, it := range items {
		require.False(t, seen[it.ID], "item %s listed twice", it.ID)
		seen[it.ID] = true
		assert.Equal(t, m.status[it.ID], it.Status, "status of %s", it.ID)
	}
	require.Len(t, items, len(m.items))
	assert.Equal(t, m.open, openOrder(t, s.Backlog), "open order")

	onRoadmap := map[string]bool{}
	for _, p := range s.Roadmap.Periods() {
		for i, it := range p.Items {
			require.False(t, onRoadmap[it.ID], "roadmap item %s listed twice", it.ID)
			onRoadmap[it.ID] = true
			assert.Equal(t, i+1, it.Rank)
			assert.Equal(t, m.period[it.ID], p.Name)
			assert.Equal(t, len(it.Items), it.Progress.Total)
			for _, id := range it.Items {
				assert.NotEqual(t, domain.StatusRemoved, m.status[id])
			}
			switch {
			case m.dropped[it.ID]:
				assert.Equal(t, RoadmapDropped, it.Status)
			case it.Progress.Total > 0 && it.Progress.Delivered == it.Progress.Total:
				assert.Equal(t, RoadmapDelivered, it.Status)
				assert.NotNil(t, it.DeliveredAt)
			case it.Progress.Delivered+it.Progress.InProgress > 0:
				assert.Equal(t, RoadmapInProgress, it.Status)
			default:
				assert.Equal(t, RoadmapPlanned, it.Status)
			}
		}
	}
	assert.Len(t, onRoadmap, len(m.roadmaps))

	reqs := s.Requests.Requests(RequestFilter{})
	require.Len(t, reqs, len(m.requests))
	for _, q := range reqs {
		assert.Equal(t, m.reqStatus[q.ID], q.Status)
		assert.Equal(t, q.Status == domain.StatusPending, q.DecidedAt == nil)
	}

	for _, id := range append(slices.Clone(m.items), m.roadmaps...) {
		chain, _, ok := s.Log.Chain(id)
		require.True(t, ok, "chain of %s", id)
		for i := 1; i < len(chain); i++ {
			assert.Less(t, chain[i-1].Seq, chain[i].Seq)
		}
		assert.Equal(t, m.churn[id], s.Log.Churn(id), "churn of %s", id)
	}
}

// trustingSet is a Set without the validating fold: the generator's
// events exercise the folds, not the rules (domain's tests do those).
func trustingSet() *Set { return &Set{trust: true} }
