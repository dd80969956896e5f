package projections

import (
	"math"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// BacklogVersion is the version of the Backlog fold; bump it whenever
// Apply changes so that old snapshots are rebuilt, not trusted.
const BacklogVersion = "backlog/1"

// Item is a backlog item as it stands now.
type Item struct {
	ID      string          `json:"id"`
	Title   string          `json:"title"`
	Kind    domain.ItemKind `json:"kind"`
	Detail  string          `json:"detail,omitempty"`
	Epic    string          `json:"epic,omitempty"`
	Roadmap string          `json:"roadmap"`
	// Status is the domain's: new and in-progress items are open and
	// ranked, delivered and removed items are closed.
	Status domain.ItemStatus `json:"status"`
	// Rank is the 1-based place among open items; 0 once closed.
	Rank int `json:"rank"`
	// Estimate is the team's latest estimate in points, nil if none.
	Estimate *float64 `json:"estimate,omitempty"`
	// Score is the latest score a rank decision carried, nil if none.
	Score *Score `json:"score"`
	// Request is the request the item came from.
	Request     string     `json:"request,omitempty"`
	AddedAt     time.Time  `json:"addedAt"`
	StartedAt   *time.Time `json:"startedAt,omitempty"`
	DeliveredAt *time.Time `json:"deliveredAt,omitempty"`
	RemovedAt   *time.Time `json:"removedAt,omitempty"`
	Release     string     `json:"release,omitempty"`
	// LastDecision is the latest event about the item.
	LastDecision DecisionRef `json:"lastDecision"`
}

func (it *Item) clone() Item {
	c := *it
	c.Estimate = clonePtr(it.Estimate)
	c.Score = it.Score.clone()
	c.StartedAt = clonePtr(it.StartedAt)
	c.DeliveredAt = clonePtr(it.DeliveredAt)
	c.RemovedAt = clonePtr(it.RemovedAt)
	c.LastDecision = it.LastDecision.clone()
	return c
}

// Backlog is the product backlog in order. The zero value is an empty
// backlog ready to use.
type Backlog struct {
	st backlogState
}

type backlogState struct {
	Cursor cursor           `json:"cursor"`
	Items  map[string]*Item `json:"items"`
	// Open is the ranked order of open items; Closed lists closed items
	// in the order they closed.
	Open   order    `json:"open"`
	Closed []string `json:"closed"`
}

var _ Projection = (*Backlog)(nil)

// NewBacklog returns an empty backlog.
func NewBacklog() *Backlog { return &Backlog{} }

// Version returns BacklogVersion.
func (b *Backlog) Version() string { return BacklogVersion }

// Reset empties the backlog.
func (b *Backlog) Reset() { b.st = backlogState{} }

// Position is the Seq of the last event applied, 0 if none.
func (b *Backlog) Position() uint64 { return b.st.Cursor.Pos }

// Skipped returns how many events had a payload this version cannot read,
// and the Seq of the first of them.
func (b *Backlog) Skipped() (count int, firstSeq uint64) {
	return b.st.Cursor.Skipped, b.st.Cursor.FirstSkipped
}

// Apply folds one event into the backlog.
func (b *Backlog) Apply(e domain.Event) {
	if !b.st.Cursor.admit(e) {
		return
	}
	id := e.Aggregate.ID
	if p, ok := e.Data.(domain.BacklogItemAdded); ok {
		b.add(id, p, e)
		return
	}
	if p, ok := e.Data.(domain.RequestAccepted); ok {
		// The BacklogItemAdded that comes with the acceptance made the
		// item; this only fills in a link that event may not carry.
		if it := b.st.Items[p.Item]; it != nil && it.Request == "" {
			it.Request = id
		}
		return
	}
	it := b.st.Items[id]
	if it == nil {
		return
	}
	switch p := e.Data.(type) {
	case domain.BacklogItemRefined:
		if p.Title != "" {
			it.Title = p.Title
		}
		if p.Detail != "" {
			it.Detail = p.Detail
		}
		if p.Roadmap != "" {
			it.Roadmap = p.Roadmap
		}
	case domain.BacklogItemRanked:
		it.LastDecision = refOf(e)
		b.rank(it, p)
		return
	case domain.BacklogItemRemoved:
		if it.Status == domain.StatusRemoved {
			return
		}
		b.close(it)
		it.Status, it.RemovedAt = domain.StatusRemoved, timePtr(e.OccurredAt)
	case domain.BacklogItemEstimated:
		if math.IsNaN(p.Points) || math.IsInf(p.Points, 0) {
			return
		}
		it.Estimate = &p.Points
	case domain.WorkStarted:
		if it.Status != domain.StatusNew {
			return
		}
		it.Status, it.StartedAt = domain.StatusInProgress, timePtr(e.OccurredAt)
	case domain.WorkDelivered:
		if !it.Status.Open() {
			return
		}
		b.close(it)
		it.Status, it.DeliveredAt, it.Release = domain.StatusDelivered, timePtr(e.OccurredAt), p.Release
	case domain.BacklogItemUnplanned:
		it.Roadmap = ""
	case domain.WorkReopened:
		if !b.reopen(it) {
			return
		}
	default:
		return
	}
	it.LastDecision = refOf(e)
}

func (b *Backlog) add(id string, p domain.BacklogItemAdded, e domain.Event) {
	if id == "" || b.st.Items[id] != nil {
		return
	}
	if b.st.Items == nil {
		b.st.Items = map[string]*Item{}
	}
	b.st.Items[id] = &Item{ID: id, Title: p.Title, Kind: p.Kind, Detail: p.Detail,
		Epic: p.Epic, Roadmap: p.Roadmap, Request: p.Request, Status: domain.StatusNew,
		Rank: len(b.st.Open) + 1, AddedAt: e.OccurredAt, LastDecision: refOf(e)}
	b.st.Open = append(b.st.Open, id)
}

// rank applies a rank decision: the new score first, then the move, then
// the score override check against the items it jumped over.
func (b *Backlog) rank(it *Item, p domain.BacklogItemRanked) {
	if p.Score != nil {
		s := ComputeScore(*p.Score)
		it.Score = &s
	}
	from := b.st.Open.index(it.ID)
	if from < 0 {
		return
	}
	before := append(order(nil), b.st.Open...)
	if !b.st.Open.move(it.ID, p.Position) {
		return
	}
	to := b.st.Open.index(it.ID)
	for _, jumped := range before[min(to, from):from] {
		other := b.st.Items[jumped]
		if other != nil && other.Score.outscores(it.Score) {
			it.LastDecision.Overrides = append(it.LastDecision.Overrides,
				Override{ID: jumped, Framework: other.Score.Framework, Score: *other.Score.Value})
		}
	}
	b.renumber(min(to, from))
}

// reopen puts a delivered item back at the bottom of the ranked order.
func (b *Backlog) reopen(it *Item) bool {
	if it.Status != domain.StatusDelivered {
		return false
	}
	b.st.Closed = removeID(b.st.Closed, it.ID)
	b.st.Open = append(b.st.Open, it.ID)
	it.Status, it.Rank, it.DeliveredAt, it.Release = domain.StatusNew, len(b.st.Open), nil, ""
	return true
}

// close takes an open item out of the ranked order.
func (b *Backlog) close(it *Item) {
	i := b.st.Open.index(it.ID)
	if i >= 0 {
		b.st.Open.remove(it.ID)
		b.renumber(i)
	}
	it.Rank = 0
	if !containsID(b.st.Closed, it.ID) {
		b.st.Closed = append(b.st.Closed, it.ID)
	}
}

func (b *Backlog) renumber(from int) {
	for i := from; i < len(b.st.Open); i++ {
		if it := b.st.Items[b.st.Open[i]]; it != nil {
			it.Rank = i + 1
		}
	}
}

// Items returns every item: open items by rank, then closed items in the
// order they closed.
func (b *Backlog) Items() []Item {
	out := make([]Item, 0, len(b.st.Items))
	for _, ids := range [][]string{b.st.Open, b.st.Closed} {
		for _, id := range ids {
			if it := b.st.Items[id]; it != nil {
				out = append(out, it.clone())
			}
		}
	}
	return out
}

// Item returns the item with the given id and whether it exists.
func (b *Backlog) Item(id string) (Item, bool) {
	it := b.st.Items[id]
	if it == nil {
		return Item{}, false
	}
	return it.clone(), true
}

// MarshalSnapshot writes the whole backlog state, deterministically.
func (b *Backlog) MarshalSnapshot() ([]byte, error) {
	return marshalSnapshot(BacklogVersion, &b.st)
}

// UnmarshalSnapshot replaces the state with a snapshot's. A snapshot of
// another fold version fails with ErrSnapshotVersion and leaves the
// backlog unchanged.
func (b *Backlog) UnmarshalSnapshot(data []byte) error {
	var st backlogState
	if err := unmarshalSnapshot(BacklogVersion, data, &st); err != nil {
		return err
	}
	b.st = st
	return nil
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
