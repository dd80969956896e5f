package query

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// Backlog is the backlog view: items in rank order.
type Backlog struct {
	Meta
	Items []projections.Item `json:"items"`
}

// BacklogFilter selects backlog items; the zero value selects open items.
type BacklogFilter struct {
	// Status is new, in-progress, delivered, removed, open (default) or all.
	Status string
}

// ItemStatuses lists the values BacklogFilter.Status accepts.
var ItemStatuses = []string{"open", "all", "new", "in-progress", "delivered", "removed"}

// Backlog returns the backlog view.
//
// minSeq, when not 0, is a sequence the answer must reflect (see Options).
func (s *Service) Backlog(ctx context.Context, product string, pos replay.Position, f BacklogFilter, minSeq uint64) (Backlog, error) {
	if !oneOf(f.Status, ItemStatuses) && f.Status != "" {
		return Backlog{}, invalidFilter("status", f.Status, ItemStatuses)
	}
	var out Backlog
	meta, err := s.withViewsOf(ctx, product, pos, minSeq, replay.MemberBacklog, func(v *replay.Views) {
		out.Items = v.Backlog.ItemsWith(func(st domain.ItemStatus) bool { return matchStatus(st, f.Status) })
	})
	if err != nil {
		return Backlog{}, err
	}
	out.Meta = meta
	return out, nil
}

func matchStatus(st domain.ItemStatus, filter string) bool {
	switch filter {
	case "", "open":
		return st.Open()
	case "all":
		return true
	}
	return string(st) == filter
}

// Roadmap is the roadmap view: periods in time order, items in the PM's order.
type Roadmap struct {
	Meta
	Periods []projections.Period `json:"periods"`
}

// Roadmap returns the roadmap view.
func (s *Service) Roadmap(ctx context.Context, product string, pos replay.Position, minSeq uint64) (Roadmap, error) {
	var out Roadmap
	meta, err := s.withViewsOf(ctx, product, pos, minSeq, replay.MemberRoadmap, func(v *replay.Views) { out.Periods = v.Roadmap.Periods() })
	if err != nil {
		return Roadmap{}, err
	}
	out.Meta = meta
	if out.Periods == nil {
		out.Periods = []projections.Period{}
	}
	return out, nil
}

// Request is a request with its wait in readable and numeric form.
type Request struct {
	projections.Request
	// Wait replaces the projection's nanoseconds with a readable span
	// ("2d 4h"); WaitSeconds is the same as a number.
	Wait        string   `json:"wait,omitempty"`
	WaitSeconds *float64 `json:"waitSeconds,omitempty"`
	// Waiting is how long a pending request has waited since it was
	// submitted, to Requests.WaitingAt ("3d 2h"); WaitingSeconds is the
	// same as a number. Both are left out for a decided request.
	Waiting        string   `json:"waiting,omitempty"`
	WaitingSeconds *float64 `json:"waitingSeconds,omitempty"`
}

// Requests is the requests view.
type Requests struct {
	Meta
	// WaitingAt is the minute the pending requests' waiting is counted
	// to: the as-of position's time, or the query's clock for now.
	WaitingAt *time.Time `json:"waitingAt,omitempty"`
	Requests  []Request  `json:"requests"`
}

// RequestStatuses lists the values a requests filter accepts.
var RequestStatuses = []string{"pending", "accepted", "rejected", "deferred", "withdrawn"}

// Requests returns every request matching the filter, oldest first.
func (s *Service) Requests(ctx context.Context, product string, pos replay.Position, status, requester string, minSeq uint64) (Requests, error) {
	if status != "" && !oneOf(status, RequestStatuses) {
		return Requests{}, invalidFilter("status", status, RequestStatuses)
	}
	out := Requests{Requests: []Request{}}
	meta, err := s.withViewsOf(ctx, product, pos, minSeq, replay.MemberRequests, func(v *replay.Views) {
		for _, r := range v.Requests.Requests(projections.RequestFilter{Status: projections.RequestStatus(status), Requester: requester}) {
			v := Request{Request: r}
			if r.Wait != nil {
				secs := r.Wait.Seconds()
				v.WaitSeconds = &secs
				v.Wait = Span(*r.Wait)
			}
			out.Requests = append(out.Requests, v)
		}
	})
	if err != nil {
		return Requests{}, err
	}
	out.Meta = meta
	if at := s.waitingAt(pos, meta); !at.IsZero() {
		out.WaitingAt = &at
		setWaiting(out.Requests, at)
	}
	return out, nil
}

// Why is the transparency log of one item, roadmap item or request.
type Why struct {
	Meta
	ID        string                 `json:"id"`
	Kind      domain.AggregateKind   `json:"kind"`
	Title     string                 `json:"title,omitempty"`
	Status    string                 `json:"status,omitempty"`
	Churn     int                    `json:"churn"`
	Decisions []projections.Decision `json:"decisions"`
}

// Why returns the chain of decisions about id. With live projections it
// costs what the item's own decisions cost, now and as of any position: a
// chain only grows, so the chain as of a position is the live chain up to
// that position's sequence, and the title and status come from the as-of
// views, which snapshots keep flat.
func (s *Service) Why(ctx context.Context, product string, pos replay.Position, id string, minSeq uint64) (Why, error) {
	if err := domain.CheckID("id", id); err != nil {
		return Why{}, err
	}
	if s.live != nil {
		if w, ok, err := s.liveWhy(ctx, product, pos, id, minSeq); ok || err != nil {
			return w, err
		}
	}
	set, meta, err := s.Set(ctx, product, pos)
	if err != nil {
		return Why{}, err
	}
	ds, kind, ok := set.Log.Chain(id)
	if !ok {
		return Why{}, whyNotFound(product, pos, id, meta.Gaps, requestHint(set.Log, id))
	}
	w := Why{Meta: meta, ID: id, Kind: kind, Churn: set.Log.Churn(id), Decisions: ds}
	w.Title, w.Status = describe(replay.ViewsOf(set), kind, id)
	return w, nil
}

// liveWhy answers why from the live transparency log; ok is false when the
// live projections cannot answer (then the caller rebuilds).
func (s *Service) liveWhy(ctx context.Context, product string, pos replay.Position, id string, minSeq uint64) (w Why, ok bool, err error) {
	var found, noLog bool
	var liveMeta Meta
	var hint string
	ok = s.fromLive(ctx, product, replay.Latest, minSeq, func(set *projections.Set, m Meta) {
		if noLog = !set.HasLog(); noLog {
			return // the log is still being built: answer from the stream
		}
		liveMeta = m
		w.Decisions, w.Kind, found = set.Log.Chain(id)
		if !found {
			hint = requestHint(set.Log, id)
		}
		if found && pos.IsLatest() {
			w.Churn = set.Log.Churn(id)
			w.Title, w.Status = describe(replay.ViewsOf(set), w.Kind, id)
		}
	})
	if !ok || noLog {
		return Why{}, false, nil
	}
	if pos.IsLatest() {
		if !found {
			return Why{}, true, whyNotFound(product, pos, id, liveMeta.Gaps, hint)
		}
		w.Meta, w.ID = liveMeta, id
		return w, true, nil
	}
	// As of a position: the views there say where the answer stops.
	var title, status string
	meta, err := s.withViews(ctx, product, pos, 0, func(v *replay.Views) {
		if found {
			title, status = describe(v, w.Kind, id)
		}
	})
	if err != nil {
		return Why{}, true, err
	}
	var ds []projections.Decision
	churn := 0
	for _, d := range w.Decisions {
		if d.Seq > meta.Position {
			break
		}
		ds = append(ds, d)
		if d.Via == "" && (d.Type == "BacklogItemRanked" || d.Type == "RoadmapItemRanked") {
			churn++
		}
	}
	if len(ds) == 0 {
		return Why{}, true, whyNotFound(product, pos, id, meta.Gaps, "")
	}
	return Why{Meta: meta, ID: id, Kind: w.Kind, Title: title, Status: status, Churn: churn, Decisions: ds}, true, nil
}

func describe(v *replay.Views, kind domain.AggregateKind, id string) (title, status string) {
	switch kind {
	case domain.KindItem:
		if it, ok := v.Backlog.Item(id); ok {
			return it.Title, string(it.Status)
		}
	case domain.KindRoadmap:
		if it, ok := v.Roadmap.Item(id); ok {
			return it.Title, string(it.Status)
		}
	case domain.KindRequest:
		if r, ok := v.Requests.Request(id); ok {
			return r.Title, string(r.Status)
		}
	}
	return "", ""
}

// chains is the part of the transparency log requestHint reads.
type chains interface {
	Chain(id string) ([]projections.Decision, domain.AggregateKind, bool)
}

// requestHint names the request an id stands for when the id is no
// aggregate but ID-req is one: an imported issue (GH-71056) that was never
// taken on is only its request (GH-71056-req), and the tracker's number is
// what a user types.
func requestHint(log chains, id string) string {
	req := id + "-req"
	if domain.CheckID("id", req) != nil {
		return ""
	}
	if _, kind, ok := log.Chain(req); ok && kind == domain.KindRequest {
		return fmt.Sprintf(": the request %s was never accepted into an item; ask about it by that id", req)
	}
	return ""
}

// whyNotFound is why's answer for an id the history does not name: one
// that names the product's gaps too, since the id may have been in them,
// and hint, a request the id stands for.
func whyNotFound(product string, pos replay.Position, id string, gaps []domain.Gap, hint string) error {
	msg := fmt.Sprintf("%q is not an item, roadmap item or request of product %q%s%s", id, product, asOfSuffix(pos), hint)
	if len(gaps) > 0 {
		var missing []string
		for _, g := range gaps {
			missing = append(missing, fmt.Sprintf("after sequence %d up to %d", g.After, g.Prev))
		}
		msg += fmt.Sprintf(" in the history that is left: its events %s are missing (deleted or lost), and it may have been among them", strings.Join(missing, ", "))
	}
	return &domain.Error{Kind: domain.KindNotFound, Field: "id", Msg: msg}
}

func asOfSuffix(pos replay.Position) string {
	if pos.IsLatest() {
		return ""
	}
	return " as of " + pos.String()
}

// Span prints a duration as days and hours, the way a person says it.
func Span(d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	days := int(d.Hours()) / 24
	hours := int(d.Hours()) % 24
	if days == 0 {
		return fmt.Sprintf("%dh", hours)
	}
	if hours == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, hours)
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func invalidFilter(field, value string, allowed []string) error {
	return &domain.Error{Kind: domain.KindInvalid, Field: field,
		Msg: fmt.Sprintf("%s %q is not one of %s", field, value, strings.Join(allowed, ", "))}
}
