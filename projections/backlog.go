package projections

import (
	"math"
	"strings"
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
	// Rank is the 1-based place among open items; 0 once closed. The
	// backlog does not keep it in the items it holds: it is their place,
	// filled in on every copy it hands out (Items, Item) and every
	// snapshot it writes, so that a move costs what it moves.
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

	// slot is where the backlog holding the item keeps its place
	// (Backlog.place), plus one; 0 in every copy handed out.
	slot int32
}

func (it *Item) clone() Item {
	c := *it
	c.slot = 0
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
	// at holds the items of st.Open, place for place, so that the
	// overrides of a move are found without looking items up; slots
	// holds their slots, place for place, and place, slot by slot, the
	// place in st.Open of the item that holds the slot (-1 once closed).
	// A move shifts the three slices over the range it spans and writes
	// the new places into place: dense arrays, not the items themselves
	// (a rank over 20,000 items renumbered 10,000 of them, a cache miss
	// each, 120 µs; see docs/performance.md). sync rebuilds them after a
	// restore.
	at    []*Item
	slots []int32
	place []int32
	// jumped holds the places in st.Open of the overrides of the latest
	// rank that set any, for the transparency log that folds through
	// this backlog (logorder.go): it need not look for them again.
	jumped []int32
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
func (b *Backlog) Reset() { *b = Backlog{} }

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
	backlogFold.Apply(b, e)
}

// backlogFold is the backlog's case for each event type.
var backlogFold = domain.NewFold("the backlog (Backlog.Apply)",
	domain.On(func(b *Backlog, e domain.Event, p domain.BacklogItemAdded) { b.add(e.Aggregate.ID, p, e) }),
	domain.On(func(b *Backlog, e domain.Event, p domain.RequestAccepted) {
		// The BacklogItemAdded that comes with the acceptance made the
		// item; this only fills in a link that event may not carry.
		if it := b.st.Items[p.Item]; it != nil && it.Request == "" {
			it.Request = e.Aggregate.ID
		}
	}),
	onItem(func(_ *Backlog, it *Item, _ domain.Event, p domain.BacklogItemRefined) bool {
		if p.Title != "" {
			it.Title = p.Title
		}
		if p.Detail != "" {
			it.Detail = p.Detail
		}
		if p.Roadmap != "" {
			it.Roadmap = p.Roadmap
		}
		return true
	}),
	onItem(func(b *Backlog, it *Item, e domain.Event, p domain.BacklogItemRanked) bool {
		it.LastDecision = refOf(e)
		b.rank(it, p)
		return false // rank completed the last decision with its overrides
	}),
	onItem(func(b *Backlog, it *Item, e domain.Event, _ domain.BacklogItemRemoved) bool {
		if it.Status == domain.StatusRemoved {
			return false
		}
		b.close(it)
		it.Status, it.RemovedAt = domain.StatusRemoved, timePtr(e.OccurredAt)
		return true
	}),
	onItem(func(_ *Backlog, it *Item, _ domain.Event, p domain.BacklogItemEstimated) bool {
		if math.IsNaN(p.Points) || math.IsInf(p.Points, 0) {
			return false
		}
		it.Estimate = &p.Points
		return true
	}),
	onItem(func(_ *Backlog, it *Item, e domain.Event, _ domain.WorkStarted) bool {
		if it.Status != domain.StatusNew {
			return false
		}
		it.Status, it.StartedAt = domain.StatusInProgress, timePtr(e.OccurredAt)
		return true
	}),
	onItem(func(b *Backlog, it *Item, e domain.Event, p domain.WorkDelivered) bool {
		if !it.Status.Open() {
			return false
		}
		b.close(it)
		it.Status, it.DeliveredAt, it.Release = domain.StatusDelivered, timePtr(e.OccurredAt), p.Release
		return true
	}),
	onItem(func(_ *Backlog, it *Item, _ domain.Event, _ domain.BacklogItemUnplanned) bool {
		it.Roadmap = ""
		return true
	}),
	onItem(func(_ *Backlog, it *Item, _ domain.Event, p domain.BacklogItemReparented) bool {
		it.Epic = p.Epic
		return true
	}),
	onItem(func(b *Backlog, it *Item, _ domain.Event, _ domain.WorkReopened) bool { return b.reopen(it) }),
	domain.SkipKinds[*Backlog](domain.KindProduct, domain.KindRoadmap),
	domain.Skip[*Backlog](domain.TypeRequestSubmitted, domain.TypeRequestRejected, domain.TypeRequestDeferred, domain.TypeRequestWithdrawn),
)

// onItem is the backlog's case of an event about an item it holds:
// fn folds it, and reports whether the event is now the item's last
// decision. An event about an item the backlog does not hold is skipped.
func onItem[P domain.Payload](fn func(b *Backlog, it *Item, e domain.Event, p P) bool) domain.Case[*Backlog] {
	return domain.On(func(b *Backlog, e domain.Event, p P) {
		if it := b.st.Items[e.Aggregate.ID]; it != nil && fn(b, it, e, p) {
			it.LastDecision = refOf(e)
		}
	})
}

func (b *Backlog) add(id string, p domain.BacklogItemAdded, e domain.Event) {
	if id == "" || b.st.Items[id] != nil {
		return
	}
	if b.st.Items == nil {
		b.st.Items = map[string]*Item{}
	}
	it := &Item{ID: id, Title: p.Title, Kind: p.Kind, Detail: p.Detail,
		Epic: p.Epic, Roadmap: p.Roadmap, Request: p.Request, Status: domain.StatusNew,
		AddedAt: e.OccurredAt, LastDecision: refOf(e)}
	b.st.Items[id] = it
	b.sync()
	b.push(id, it)
}

// push appends an item to the open order, at the bottom.
func (b *Backlog) push(id string, it *Item) {
	var slot int32
	if it != nil && it.slot > 0 && int(it.slot) <= len(b.place) {
		slot = it.slot - 1 // an item reopened keeps its slot
	} else {
		slot = int32(len(b.place))
		b.place = append(b.place, -1)
		if it != nil {
			it.slot = slot + 1
		}
	}
	b.place[slot] = int32(len(b.st.Open))
	b.st.Open = append(b.st.Open, id)
	b.at = append(b.at, it)
	b.slots = append(b.slots, slot)
}

// rank applies a rank decision: the new score first, then the move, then
// the score override check against the items it jumped over. Only the
// range between the item's old and new place changes: it is shifted by
// one and renumbered, and, on a move up, it is the range jumped over.
func (b *Backlog) rank(it *Item, p domain.BacklogItemRanked) {
	if p.Score != nil {
		s := ComputeScore(*p.Score)
		it.Score = &s
	}
	from := b.index(it.ID)
	if from < 0 {
		return
	}
	to, ok := b.target(from, p.Position)
	if !ok {
		return
	}
	open, at, slots := b.st.Open, b.at, b.slots
	slot := slots[from]
	switch {
	case to < from:
		copy(open[to+1:from+1], open[to:from])
		copy(at[to+1:from+1], at[to:from])
		copy(slots[to+1:from+1], slots[to:from])
	case to > from:
		copy(open[from:to], open[from+1:to+1])
		copy(at[from:to], at[from+1:to+1])
		copy(slots[from:to], slots[from+1:to+1])
	}
	open[to], at[to], slots[to] = it.ID, it, slot
	b.overrides(it, to+1, from+1)
	b.renumber(min(to, from), max(to, from)+1)
}

// overrides sets the overrides of it, just moved up, from the open items
// at places from to end-1 (the ones it jumped over): those whose score
// outscores its own. An item without a score value outscores nothing, so
// most ranks look at nothing. The places are gathered first, so that the
// list is allocated once and exactly: a rank over a long backlog can
// override hundreds of items.
func (b *Backlog) overrides(it *Item, from, end int) {
	if from >= end || it.Score == nil || it.Score.Value == nil {
		return
	}
	v, fw := *it.Score.Value, it.Score.Framework
	var buf [256]int32
	places := buf[:0]
	for k, other := range b.at[from:end] {
		// Score.outscores, inlined: this loop is most of a rank.
		if other == nil || other.Score == nil || other.Score.Value == nil || !(*other.Score.Value > v) {
			continue
		}
		if f := other.Score.Framework; f == fw || strings.EqualFold(f, fw) {
			places = append(places, int32(from+k))
		}
	}
	if len(places) == 0 {
		return
	}
	out := make([]Override, len(places))
	for i, k := range places {
		other := b.at[k]
		out[i] = Override{ID: b.st.Open[k], Framework: other.Score.Framework, Score: *other.Score.Value}
	}
	it.LastDecision.Overrides = out
	b.jumped = append(b.jumped[:0], places...)
}

// target is the index the open item at from moves to under p, and
// whether p moves it at all: a move naming itself, a ref that is not open
// or an unknown placement changes nothing.
func (b *Backlog) target(from int, p domain.Position) (int, bool) {
	switch p.Place {
	case domain.PlaceTop:
		return 0, true
	case domain.PlaceBottom:
		return len(b.st.Open) - 1, true
	case domain.PlaceAbove, domain.PlaceBelow:
		ref := b.index(p.Ref)
		if ref < 0 || ref == from {
			return 0, false
		}
		if ref > from {
			ref-- // its place once the item is taken out
		}
		if p.Place == domain.PlaceBelow {
			ref++
		}
		return ref, true
	}
	return 0, false
}

// index returns the place of an open item in the ranked order, -1 when
// it is not open: a map lookup and a look at place. An id the backlog
// holds no item for (a snapshot written by hand may list one as open)
// falls back to a scan.
func (b *Backlog) index(id string) int {
	b.sync()
	if it := b.st.Items[id]; it != nil {
		return b.rankOf(it) - 1
	}
	return b.st.Open.index(id)
}

// rankOf is the rank of an item the backlog holds: its place in the
// open order plus one, 0 when it is not open. It only reads, so readers
// may call it together; the order is in sync, as every change and every
// restore leaves it.
func (b *Backlog) rankOf(it *Item) int {
	if it == nil || it.slot <= 0 || int(it.slot) > len(b.place) {
		return 0
	}
	if p := b.place[it.slot-1]; p >= 0 && int(p) < len(b.at) && b.at[p] == it {
		return int(p) + 1
	}
	return 0
}

// sync builds at, slots and place, the index of the open order, after a
// restore. An item listed as open twice (a snapshot written by hand)
// holds its first place.
func (b *Backlog) sync() {
	if len(b.slots) == len(b.st.Open) && len(b.at) == len(b.st.Open) {
		return
	}
	open := b.st.Open
	b.st.Open = make(order, 0, cap(open))
	b.at, b.slots, b.place = make([]*Item, 0, cap(open)), make([]int32, 0, cap(open)), make([]int32, 0, len(open))
	for _, it := range b.st.Items {
		if it != nil {
			it.slot, it.Rank = 0, 0 // the rank a snapshot holds is its place
		}
	}
	for _, id := range open {
		it := b.st.Items[id]
		if it != nil && it.slot > 0 {
			b.push(id, nil) // its place is its first
			continue
		}
		b.push(id, it)
	}
}

// reopen puts a delivered item back at the bottom of the ranked order.
func (b *Backlog) reopen(it *Item) bool {
	if it.Status != domain.StatusDelivered {
		return false
	}
	b.sync()
	b.st.Closed = removeID(b.st.Closed, it.ID)
	b.push(it.ID, it)
	it.Status, it.DeliveredAt, it.Release = domain.StatusNew, nil, ""
	return true
}

// close takes an open item out of the ranked order.
func (b *Backlog) close(it *Item) {
	wasOpen := it.Status.Open()
	if i := b.index(it.ID); i >= 0 {
		b.place[b.slots[i]] = -1
		b.st.Open = append(b.st.Open[:i], b.st.Open[i+1:]...)
		b.at = append(b.at[:i], b.at[i+1:]...)
		b.slots = append(b.slots[:i], b.slots[i+1:]...)
		b.renumber(i, len(b.st.Open))
	}
	// An item leaves the open order once; only a closed item closing
	// again (removed after delivery) can be listed already.
	if wasOpen || !containsID(b.st.Closed, it.ID) {
		b.st.Closed = append(b.st.Closed, it.ID)
	}
}

// renumber records the places of the open items at places from to
// end-1, which a move has just shifted.
func (b *Backlog) renumber(from, end int) {
	slots, place := b.slots[from:end], b.place
	for k, s := range slots {
		place[s] = int32(from + k)
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
				out[len(out)-1].Rank = b.rankOf(it)
			}
		}
	}
	return out
}

// OpenRank is an open item's rank and the roadmap item it serves, as
// AppendOpenRanks gives them.
type OpenRank struct {
	ID      string
	Rank    int
	Roadmap string
}

// AppendOpenRanks appends the open items, by rank, to out, without
// copying the items: the ranks Items gives the open ones, for a reader
// that compares the order before and after a rank decision (replay's
// compare) and must not pay for the closed items, which a long history
// piles up, or for copying every item. An id listed as open twice (a
// snapshot written by hand) is given once, at its first place.
func (b *Backlog) AppendOpenRanks(out []OpenRank) []OpenRank {
	for i, id := range b.st.Open {
		it := b.st.Items[id]
		if it == nil || !it.Status.Open() {
			continue
		}
		r := b.rankOf(it)
		if r != 0 && r != i+1 {
			continue // listed again further down: it holds its first place
		}
		out = append(out, OpenRank{ID: id, Rank: r, Roadmap: it.Roadmap})
	}
	return out
}

// ItemsWith returns the items whose status keep accepts, in the order
// Items gives them; only those are copied, so that a view of the open
// items of a long-lived product does not copy the thousands it has closed.
func (b *Backlog) ItemsWith(keep func(domain.ItemStatus) bool) []Item {
	var n int
	for _, ids := range [][]string{b.st.Open, b.st.Closed} {
		for _, id := range ids {
			if it := b.st.Items[id]; it != nil && keep(it.Status) {
				n++
			}
		}
	}
	out := make([]Item, 0, n)
	for _, ids := range [][]string{b.st.Open, b.st.Closed} {
		for _, id := range ids {
			if it := b.st.Items[id]; it != nil && keep(it.Status) {
				out = append(out, it.clone())
				out[len(out)-1].Rank = b.rankOf(it)
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
	c := it.clone()
	c.Rank = b.rankOf(it)
	return c, true
}

// peek returns the item with the given id without copying what it
// points to, for a reader inside the package that only compares it with
// the item a moment later: the fold replaces an item's pointers and
// slices, it never writes through them.
func (b *Backlog) peek(id string) (Item, bool) {
	it := b.st.Items[id]
	if it == nil {
		return Item{}, false
	}
	c := *it
	c.slot, c.Rank = 0, b.rankOf(it)
	return c, true
}

// MarshalSnapshot writes the whole backlog state, deterministically.
func (b *Backlog) MarshalSnapshot() ([]byte, error) {
	st := b.snapshotState()
	return marshalSnapshot(BacklogVersion, &st)
}

// snapshotState is the state a snapshot holds: a copy of each item with
// its rank filled in, as snapshots always held it, and its slot left out.
func (b *Backlog) snapshotState() backlogState {
	st := b.st
	if st.Items != nil {
		st.Items = make(map[string]*Item, len(b.st.Items))
		for id, it := range b.st.Items {
			if it != nil {
				c := *it
				c.slot, c.Rank = 0, b.rankOf(it)
				it = &c
			}
			st.Items[id] = it
		}
	}
	return st
}

// UnmarshalSnapshot replaces the state with a snapshot's. A snapshot of
// another fold version fails with ErrSnapshotVersion and leaves the
// backlog unchanged.
func (b *Backlog) UnmarshalSnapshot(data []byte) error {
	var st backlogState
	if err := unmarshalSnapshot(BacklogVersion, data, &st); err != nil {
		return err
	}
	*b = Backlog{st: st}
	b.sync()
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
