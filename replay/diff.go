package replay

import (
	"context"
	"fmt"
	"sort"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// Changes is what changed in a product's backlog and requests between two
// positions, each change with the decisions that made it.
type Changes struct {
	Product string `json:"product"`
	From    Result `json:"from"`
	To      Result `json:"to"`
	// Added are the backlog items added in between (with their status and
	// rank at To); Removed those removed.
	Added   []ItemChange `json:"added"`
	Removed []ItemChange `json:"removed"`
	// Moved are the items open at both ends whose rank differs and that a
	// rank decision moved: their own, or another item ranked above them.
	// Items that only shifted because items above them closed, or moved
	// below them, are not listed.
	Moved []ItemChange `json:"moved"`
	// StatusChanged are the items of From whose status changed (started,
	// delivered), removals aside.
	StatusChanged []ItemChange `json:"statusChanged"`
	// RequestsDecided are the requests accepted, rejected, deferred or
	// withdrawn in between.
	RequestsDecided []RequestChange `json:"requestsDecided"`
}

// ItemChange is one backlog item's change. A rank of 0 means not ranked:
// absent, or closed.
type ItemChange struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Kind       domain.ItemKind   `json:"kind"`
	Roadmap    string            `json:"roadmap,omitempty"`
	FromRank   int               `json:"fromRank"`
	ToRank     int               `json:"toRank"`
	FromStatus domain.ItemStatus `json:"fromStatus,omitempty"`
	ToStatus   domain.ItemStatus `json:"toStatus"`
	// Direction is "up" or "down" for a moved item.
	Direction string     `json:"direction,omitempty"`
	Decisions []Decision `json:"decisions"`
}

// RequestChange is one request's decision. FromStatus is empty for a
// request submitted in between.
type RequestChange struct {
	ID         string               `json:"id"`
	Title      string               `json:"title"`
	Requester  string               `json:"requester"`
	FromStatus domain.RequestStatus `json:"fromStatus,omitempty"`
	ToStatus   domain.RequestStatus `json:"toStatus"`
	Reason     domain.ReasonCode    `json:"reason,omitempty"`
	Item       string               `json:"item,omitempty"`
	Decision   Decision             `json:"decision"`
}

// Diff says what changed between from and to (to not before from), from
// the views at from (built from snapshots when it can) and the events in
// between.
func Diff(ctx context.Context, src Source, snaps SnapshotReader, product string, from, to Position) (*Changes, error) {
	sp, err := walk(ctx, src, snaps, product, from, to, true)
	if err != nil {
		return nil, err
	}
	c := &Changes{Product: product, From: sp.from, To: sp.to, Added: []ItemChange{}, Removed: []ItemChange{},
		Moved: []ItemChange{}, StatusChanged: []ItemChange{}, RequestsDecided: []RequestChange{}}
	for _, it := range sp.after.Backlog.Items() {
		was, existed := sp.before.Backlog.Item(it.ID)
		ch := ItemChange{ID: it.ID, Title: it.Title, Kind: it.Kind, Roadmap: it.Roadmap, FromRank: was.Rank,
			ToRank: it.Rank, FromStatus: was.Status, ToStatus: it.Status, Decisions: []Decision{}}
		if !existed {
			ch.Decisions = sp.itemDecisions(it.ID, changeAdded)
			c.Added = append(c.Added, ch)
		}
		switch {
		case it.Status == domain.StatusRemoved && was.Status != domain.StatusRemoved:
			ch.Decisions = sp.itemDecisions(it.ID, changeRemoved)
			c.Removed = append(c.Removed, ch)
		case existed && it.Status != was.Status:
			ch.Decisions = sp.itemDecisions(it.ID, changeStatus)
			c.StatusChanged = append(c.StatusChanged, ch)
		}
		if existed && was.Status.Open() && it.Status.Open() && was.Rank != it.Rank {
			if ds := sp.moves(it.ID); len(ds) > 0 {
				ch.Decisions, ch.Direction = ds, "up"
				if it.Rank > was.Rank {
					ch.Direction = "down"
				}
				c.Moved = append(c.Moved, ch)
			}
		}
	}
	sort.SliceStable(c.Moved, func(i, j int) bool { return c.Moved[i].ToRank < c.Moved[j].ToRank })
	for _, r := range sp.after.Requests.Requests(projections.RequestFilter{}) {
		was, existed := sp.before.Requests.Request(r.ID)
		if r.Status == domain.StatusPending || (existed && was.Status == r.Status) {
			continue
		}
		ch := RequestChange{ID: r.ID, Title: r.Title, Requester: r.Requester, FromStatus: was.Status,
			ToStatus: r.Status, Reason: r.Reason, Item: r.Item}
		for _, s := range sp.steps {
			if s.e.Aggregate.Kind != domain.KindRequest || s.e.Aggregate.ID != r.ID {
				continue
			}
			// Every decision on a request after its submission decides
			// its fate.
			if spec, ok := specOf(s.e); ok && spec.Kind == domain.KindRequest && !spec.Creates {
				ch.Decision = decisionOf(s.e, requestEffect(r))
			}
		}
		c.RequestsDecided = append(c.RequestsDecided, ch)
	}
	return c, nil
}

func requestEffect(r projections.Request) string {
	switch r.Status {
	case domain.StatusAccepted:
		return "accepted" + fromTo(" as ", r.Item)
	case domain.StatusDeferred:
		return "deferred" + fromTo(" until ", r.DeferredUntil)
	}
	return string(r.Status)
}

// itemDecisions cites the span's events about backlog item id that
// explain change.
func (sp *span) itemDecisions(id, change string) []Decision {
	out := []Decision{}
	for _, s := range sp.steps {
		if s.e.Aggregate.Kind != domain.KindItem || s.e.Aggregate.ID != id {
			continue
		}
		var c itemChange
		if itemChangeFold.Apply(&c, s.e) && c.change == change {
			out = append(out, decisionOf(s.e, c.effect))
		}
	}
	return out
}

// moves cites the rank decisions that moved item id: its own (up or
// down), and others' that moved an item above it.
func (sp *span) moves(id string) []Decision {
	out := []Decision{}
	for _, s := range sp.steps {
		pos, ok := domain.RankPosition(s.e.Data)
		if !ok || domain.KindOfType(s.e.Type) != domain.KindItem {
			continue
		}
		c, changed := s.ranks[id]
		subject := s.e.Aggregate.ID
		switch {
		case !changed:
		case subject == id:
			out = append(out, decisionOf(s.e, fmt.Sprintf("%s: %d -> %d", placement(id, pos), c.Old, c.New)))
		case c.New > c.Old:
			out = append(out, decisionOf(s.e, fmt.Sprintf("%s: pushed down %s %d -> %d", placement(subject, pos), id, c.Old, c.New)))
		}
	}
	return out
}
