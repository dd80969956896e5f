package projections

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// The cast of the test stories.
var (
	pm    = domain.Actor{ID: "paula", Role: domain.RolePM}
	po    = domain.Actor{ID: "oscar", Role: domain.RolePO}
	team  = domain.Actor{ID: "tina", Role: domain.RoleTeam}
	sales = domain.Actor{ID: "sam", Role: domain.RoleStakeholder}
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// builder writes a stream of events by hand: it numbers them, gives each
// an id and a business time one hour after the previous one.
type builder struct {
	seq    uint64
	at     time.Time
	step   time.Duration
	events []domain.Event
}

func newBuilder() *builder { return &builder{at: t0, step: time.Hour} }

// emit appends one event and returns it.
func (b *builder) emit(a domain.Actor, kind domain.AggregateKind, id string, p domain.Payload, why string) domain.Event {
	b.seq++
	b.at = b.at.Add(b.step)
	e := domain.Event{
		ID: domain.EventID("checkout", "cmd-"+id, b.at, int(b.seq)), Type: p.EventType(), Schema: domain.SchemaOf(p.EventType()),
		Product: "checkout", Aggregate: domain.Aggregate{Kind: kind, ID: id}, Actor: a,
		OccurredAt: b.at, Why: why, Data: p, CommandID: "cmd-" + id, Seq: b.seq,
	}
	b.events = append(b.events, e)
	return e
}

// at sets the business time of the next event.
func (b *builder) setTime(at time.Time) { b.at = at.Add(-b.step) }

func (b *builder) product() {
	b.emit(pm, domain.KindProduct, "checkout", domain.ProductCreated{Name: "Checkout", PM: pm.ID, PO: po.ID}, "")
}

func (b *builder) item(id, title string) domain.Event {
	return b.emit(po, domain.KindItem, id, domain.BacklogItemAdded{Title: title, Kind: domain.ItemStory}, "")
}

func (b *builder) itemFor(id, roadmap string) domain.Event {
	return b.emit(po, domain.KindItem, id, domain.BacklogItemAdded{Title: "item " + id, Kind: domain.ItemStory, Roadmap: roadmap}, "")
}

func (b *builder) rank(id string, place domain.Placement, ref string) domain.Event {
	return b.emit(po, domain.KindItem, id, domain.BacklogItemRanked{Position: domain.Position{Place: place, Ref: ref}}, "reorder")
}

func (b *builder) rankScored(id string, place domain.Placement, ref, framework string, inputs map[string]float64) domain.Event {
	return b.emit(po, domain.KindItem, id, domain.BacklogItemRanked{
		Position: domain.Position{Place: place, Ref: ref},
		Score:    &domain.Score{Framework: framework, Inputs: inputs}}, "scored")
}

func (b *builder) start(id string) domain.Event {
	return b.emit(team, domain.KindItem, id, domain.WorkStarted{}, "")
}

func (b *builder) deliver(id string) domain.Event {
	return b.emit(team, domain.KindItem, id, domain.WorkDelivered{Release: "r-" + id}, "")
}

func (b *builder) remove(id string) domain.Event {
	return b.emit(po, domain.KindItem, id, domain.BacklogItemRemoved{}, "no longer needed")
}

func (b *builder) plan(id, period string) domain.Event {
	return b.emit(pm, domain.KindRoadmap, id, domain.RoadmapItemPlanned{Title: "goal " + id, Objective: "grow", Period: period}, "strategy")
}

func (b *builder) submit(id, requester, repeats string) domain.Event {
	return b.emit(domain.Actor{ID: requester, Role: domain.RoleStakeholder}, domain.KindRequest, id,
		domain.RequestSubmitted{Title: "ask " + id, Requester: requester, Repeats: repeats}, "")
}

func (b *builder) reject(id string, reason domain.ReasonCode, why string) domain.Event {
	b.emit(po, domain.KindRequest, id, domain.RequestRejected{}, why)
	b.events[len(b.events)-1].Reason = reason
	return b.events[len(b.events)-1]
}

// unknown appends an event this version cannot read.
func (b *builder) unknown() domain.Event {
	b.seq++
	b.at = b.at.Add(b.step)
	e := domain.Event{Type: "FutureThing", Schema: 2, Product: "checkout", OccurredAt: b.at,
		Data: domain.Unknown{Raw: []byte(`{"x":1}`)}, Seq: b.seq}
	b.events = append(b.events, e)
	return e
}

func applyAll(p Projection, events []domain.Event) {
	for _, e := range events {
		p.Apply(e)
	}
}

// openOrder returns the ids of open items in rank order and checks that
// their ranks are 1..n.
func openOrder(t *testing.T, bl *Backlog) []string {
	t.Helper()
	ids := []string{}
	for _, it := range bl.Items() {
		if it.Status.Open() {
			require.Equal(t, len(ids)+1, it.Rank, "rank of %s", it.ID)
			ids = append(ids, it.ID)
		} else {
			require.Zero(t, it.Rank, "closed item %s has a rank", it.ID)
		}
	}
	return ids
}

func f64(v float64) *float64 { return &v }
