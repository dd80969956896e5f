package projections

import (
	"slices"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// RoadmapVersion is the version of the Roadmap fold; bump it whenever
// Apply changes. roadmap/2 remembers the order periods first appeared in
// (the tie-break of domain.OrderPeriods), and keeps a delivered roadmap
// item delivered when its delivered items are moved to another one.
const RoadmapVersion = "roadmap/2"

// RoadmapStatus is where a roadmap item stands.
type RoadmapStatus string

// The roadmap item statuses. Planned, in-progress and delivered follow
// from the backlog items that serve the roadmap item; dropped is the PM's
// decision and final.
const (
	RoadmapPlanned    RoadmapStatus = "planned"
	RoadmapInProgress RoadmapStatus = "in-progress"
	RoadmapDelivered  RoadmapStatus = "delivered"
	RoadmapDropped    RoadmapStatus = "dropped"
)

// Progress counts the non-removed backlog items serving a roadmap item.
type Progress struct {
	Total      int `json:"total"`
	Delivered  int `json:"delivered"`
	InProgress int `json:"inProgress"`
}

// RoadmapItem is a roadmap item as it stands now.
type RoadmapItem struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Objective string        `json:"objective,omitempty"`
	Period    string        `json:"period"`
	Status    RoadmapStatus `json:"status"`
	// Rank is the 1-based place in the PM's order within the period.
	Rank      int        `json:"rank"`
	PlannedAt time.Time  `json:"plannedAt"`
	DroppedAt *time.Time `json:"droppedAt,omitempty"`
	// DeliveredAt is when the last serving item was delivered.
	DeliveredAt *time.Time `json:"deliveredAt,omitempty"`
	// Late is set when DeliveredAt falls after the end of Period.
	Late bool `json:"late,omitempty"`
	// Items are the non-removed backlog items serving this item, in the
	// order they were linked to it.
	Items        []string    `json:"items"`
	Progress     Progress    `json:"progress"`
	LastDecision DecisionRef `json:"lastDecision"`
}

func (r *RoadmapItem) clone() RoadmapItem {
	c := *r
	c.DroppedAt = clonePtr(r.DroppedAt)
	c.DeliveredAt = clonePtr(r.DeliveredAt)
	c.Items = cloneSlice(r.Items)
	c.LastDecision = r.LastDecision.clone()
	return c
}

// Period is one period of the roadmap with its items in the PM's order.
type Period struct {
	Name  string        `json:"period"`
	Items []RoadmapItem `json:"items"`
}

// Roadmap is the roadmap by period. The zero value is an empty roadmap
// ready to use.
type Roadmap struct {
	st roadmapState
}

type roadmapState struct {
	Cursor cursor                  `json:"cursor"`
	Items  map[string]*RoadmapItem `json:"items"`
	// Orders is the PM's order of roadmap items per period.
	Orders map[string]order `json:"orders"`
	// Links is what the roadmap needs to know of each backlog item.
	Links map[string]*link `json:"links"`
	// Seen is every period a roadmap item was planned or rescheduled
	// for, in the order they first appeared.
	Seen []string `json:"seen"`
}

// link is a backlog item as the roadmap sees it.
type link struct {
	Roadmap     string     `json:"roadmap,omitempty"`
	Status      Status     `json:"status"`
	DeliveredAt *time.Time `json:"deliveredAt,omitempty"`
}

var _ Projection = (*Roadmap)(nil)

// NewRoadmap returns an empty roadmap.
func NewRoadmap() *Roadmap { return &Roadmap{} }

// Version returns RoadmapVersion.
func (r *Roadmap) Version() string { return RoadmapVersion }

// Reset empties the roadmap.
func (r *Roadmap) Reset() { r.st = roadmapState{} }

// Position is the Seq of the last event applied, 0 if none.
func (r *Roadmap) Position() uint64 { return r.st.Cursor.Pos }

// Skipped returns how many events had a payload this version cannot read,
// and the Seq of the first of them.
func (r *Roadmap) Skipped() (count int, firstSeq uint64) {
	return r.st.Cursor.Skipped, r.st.Cursor.FirstSkipped
}

// Apply folds one event into the roadmap.
func (r *Roadmap) Apply(e domain.Event) {
	if !r.st.Cursor.admit(e) {
		return
	}
	id := e.Aggregate.ID
	switch p := e.Data.(type) {
	case domain.RoadmapItemPlanned:
		r.plan(id, p, e)
	case domain.RoadmapItemRescheduled:
		if it := r.st.Items[id]; it != nil && p.To != "" {
			if p.To != it.Period {
				r.setPeriod(it, p.To)
			}
			it.LastDecision = refOf(e)
			r.recompute(it)
		}
	case domain.RoadmapItemRanked:
		if it := r.st.Items[id]; it != nil {
			o := r.st.Orders[it.Period]
			if o.move(id, p.Position) {
				r.st.Orders[it.Period] = o
				r.renumber(it.Period)
			}
			it.LastDecision = refOf(e)
		}
	case domain.RoadmapItemDropped:
		if it := r.st.Items[id]; it != nil && it.Status != RoadmapDropped {
			it.Status, it.DroppedAt = RoadmapDropped, timePtr(e.OccurredAt)
			it.LastDecision = refOf(e)
			r.recompute(it)
		}
	case domain.BacklogItemAdded:
		if id == "" || r.st.Links[id] != nil {
			return
		}
		if r.st.Links == nil {
			r.st.Links = map[string]*link{}
		}
		r.st.Links[id] = &link{Status: StatusNew}
		r.relink(id, p.Roadmap)
	case domain.BacklogItemRefined:
		if p.Roadmap != "" {
			r.relink(id, p.Roadmap)
		}
	case domain.WorkStarted:
		r.setStatus(id, StatusInProgress, e.OccurredAt)
	case domain.WorkDelivered:
		r.setStatus(id, StatusDelivered, e.OccurredAt)
	case domain.BacklogItemRemoved:
		r.setStatus(id, StatusRemoved, e.OccurredAt)
	case domain.BacklogItemUnplanned:
		r.relink(id, "")
	case domain.WorkReopened:
		r.reopen(id)
	}
}

func (r *Roadmap) plan(id string, p domain.RoadmapItemPlanned, e domain.Event) {
	if id == "" || r.st.Items[id] != nil {
		return
	}
	if r.st.Items == nil {
		r.st.Items = map[string]*RoadmapItem{}
	}
	it := &RoadmapItem{ID: id, Title: p.Title, Objective: p.Objective,
		Status: RoadmapPlanned, PlannedAt: e.OccurredAt, Items: []string{},
		LastDecision: refOf(e)}
	r.st.Items[id] = it
	r.setPeriod(it, p.Period)
}

// setPeriod moves an item to the bottom of a period's order.
func (r *Roadmap) setPeriod(it *RoadmapItem, period string) {
	if r.st.Orders == nil {
		r.st.Orders = map[string]order{}
	}
	if o, ok := r.st.Orders[it.Period]; ok && o.remove(it.ID) {
		if len(o) == 0 {
			delete(r.st.Orders, it.Period)
		} else {
			r.st.Orders[it.Period] = o
			r.renumber(it.Period)
		}
	}
	if _, ok := r.st.Orders[period]; !ok && !slices.Contains(r.st.Seen, period) {
		r.st.Seen = append(r.st.Seen, period)
	}
	it.Period = period
	r.st.Orders[period] = append(r.st.Orders[period], it.ID)
	it.Rank = len(r.st.Orders[period])
}

func (r *Roadmap) renumber(period string) {
	for i, id := range r.st.Orders[period] {
		if it := r.st.Items[id]; it != nil {
			it.Rank = i + 1
		}
	}
}

// relink moves a backlog item to the roadmap item it now serves.
func (r *Roadmap) relink(itemID, roadmapID string) {
	l := r.st.Links[itemID]
	if l == nil || l.Roadmap == roadmapID {
		return
	}
	if old := r.st.Items[l.Roadmap]; old != nil {
		old.Items = removeID(old.Items, itemID)
		r.recompute(old)
	}
	l.Roadmap = roadmapID
	if it := r.st.Items[roadmapID]; it != nil && l.Status != StatusRemoved {
		it.Items = append(it.Items, itemID)
		r.recompute(it)
	}
}

func (r *Roadmap) setStatus(itemID string, s Status, at time.Time) {
	l := r.st.Links[itemID]
	if l == nil || l.Status == StatusRemoved || (l.Status == StatusDelivered && s != StatusRemoved) {
		return
	}
	l.Status = s
	if s == StatusDelivered {
		l.DeliveredAt = timePtr(at)
	}
	it := r.st.Items[l.Roadmap]
	if it == nil {
		return
	}
	if s == StatusRemoved {
		it.Items = removeID(it.Items, itemID)
	}
	r.recompute(it)
}

// reopen makes a delivered backlog item new again.
func (r *Roadmap) reopen(itemID string) {
	l := r.st.Links[itemID]
	if l == nil || l.Status != StatusDelivered {
		return
	}
	l.Status, l.DeliveredAt = StatusNew, nil
	if it := r.st.Items[l.Roadmap]; it != nil {
		r.recompute(it)
	}
}

// recompute derives a roadmap item's progress and status from the backlog
// items serving it.
func (r *Roadmap) recompute(it *RoadmapItem) {
	var p Progress
	var last *time.Time
	for _, id := range it.Items {
		l := r.st.Links[id]
		if l == nil {
			continue
		}
		p.Total++
		switch l.Status {
		case StatusInProgress:
			p.InProgress++
		case StatusDelivered:
			p.Delivered++
			if l.DeliveredAt != nil && (last == nil || l.DeliveredAt.After(*last)) {
				last = l.DeliveredAt
			}
		}
	}
	it.Progress = p
	if it.Status == RoadmapDropped {
		return
	}
	if p.Total == 0 && it.Status == RoadmapDelivered {
		// Its delivered items were moved to another roadmap item (a
		// tracker relabelling the release they shipped in, after the
		// fact): what was delivered stays delivered.
		return
	}
	it.DeliveredAt, it.Late = nil, false
	switch {
	case p.Total > 0 && p.Delivered == p.Total:
		it.Status, it.DeliveredAt = RoadmapDelivered, clonePtr(last)
		if _, end, ok := periodBounds(it.Period); ok && last != nil && !last.Before(end) {
			it.Late = true
		}
	case p.Delivered > 0 || p.InProgress > 0:
		it.Status = RoadmapInProgress
	default:
		it.Status = RoadmapPlanned
	}
}

// Periods returns the periods that hold roadmap items, in the order of
// domain.OrderPeriods, each with its items in the PM's order.
func (r *Roadmap) Periods() []Period {
	seen := make([]string, 0, len(r.st.Orders))
	for _, name := range r.st.Seen {
		if _, ok := r.st.Orders[name]; ok {
			seen = append(seen, name)
		}
	}
	names := domain.OrderPeriods(seen)
	out := make([]Period, 0, len(names))
	for _, name := range names {
		p := Period{Name: name, Items: []RoadmapItem{}}
		for _, id := range r.st.Orders[name] {
			if it := r.st.Items[id]; it != nil {
				p.Items = append(p.Items, it.clone())
			}
		}
		out = append(out, p)
	}
	return out
}

// SeenPeriods returns every period a roadmap item was ever planned or
// rescheduled for, those left empty since included, in the order they
// first appeared: what domain.OrderPeriods takes.
func (r *Roadmap) SeenPeriods() []string { return slices.Clone(r.st.Seen) }

// Item returns the roadmap item with the given id and whether it exists.
func (r *Roadmap) Item(id string) (RoadmapItem, bool) {
	it := r.st.Items[id]
	if it == nil {
		return RoadmapItem{}, false
	}
	return it.clone(), true
}

// MarshalSnapshot writes the whole roadmap state, deterministically.
func (r *Roadmap) MarshalSnapshot() ([]byte, error) {
	return marshalSnapshot(RoadmapVersion, &r.st)
}

// UnmarshalSnapshot replaces the state with a snapshot's. A snapshot of
// another fold version fails with ErrSnapshotVersion and leaves the
// roadmap unchanged.
func (r *Roadmap) UnmarshalSnapshot(data []byte) error {
	var st roadmapState
	if err := unmarshalSnapshot(RoadmapVersion, data, &st); err != nil {
		return err
	}
	r.st = st
	return nil
}

func removeID(ids []string, id string) []string {
	out := ids[:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}
