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
func (s *Service) Backlog(ctx context.Context, product string, pos replay.Position, f BacklogFilter) (Backlog, error) {
	if !oneOf(f.Status, ItemStatuses) && f.Status != "" {
		return Backlog{}, invalidFilter("status", f.Status, ItemStatuses)
	}
	v, meta, err := s.views(ctx, product, pos)
	if err != nil {
		return Backlog{}, err
	}
	out := Backlog{Meta: meta, Items: []projections.Item{}}
	for _, it := range v.Backlog.Items() {
		if matchItem(it, f.Status) {
			out.Items = append(out.Items, it)
		}
	}
	return out, nil
}

func matchItem(it projections.Item, status string) bool {
	switch status {
	case "", "open":
		return it.Status.Open()
	case "all":
		return true
	}
	return string(it.Status) == status
}

// Roadmap is the roadmap view: periods in time order, items in the PM's order.
type Roadmap struct {
	Meta
	Periods []projections.Period `json:"periods"`
}

// Roadmap returns the roadmap view.
func (s *Service) Roadmap(ctx context.Context, product string, pos replay.Position) (Roadmap, error) {
	v, meta, err := s.views(ctx, product, pos)
	if err != nil {
		return Roadmap{}, err
	}
	out := Roadmap{Meta: meta, Periods: v.Roadmap.Periods()}
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
}

// Requests is the requests view.
type Requests struct {
	Meta
	Requests []Request `json:"requests"`
}

// RequestStatuses lists the values a requests filter accepts.
var RequestStatuses = []string{"pending", "accepted", "rejected", "deferred", "withdrawn"}

// Requests returns every request matching the filter, oldest first.
func (s *Service) Requests(ctx context.Context, product string, pos replay.Position, status, requester string) (Requests, error) {
	if status != "" && !oneOf(status, RequestStatuses) {
		return Requests{}, invalidFilter("status", status, RequestStatuses)
	}
	v, meta, err := s.views(ctx, product, pos)
	if err != nil {
		return Requests{}, err
	}
	out := Requests{Meta: meta, Requests: []Request{}}
	for _, r := range v.Requests.Requests(projections.RequestFilter{Status: projections.RequestStatus(status), Requester: requester}) {
		v := Request{Request: r}
		if r.Wait != nil {
			secs := r.Wait.Seconds()
			v.WaitSeconds = &secs
			v.Wait = Span(*r.Wait)
		}
		out.Requests = append(out.Requests, v)
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

// Why returns the chain of decisions about id.
func (s *Service) Why(ctx context.Context, product string, pos replay.Position, id string) (Why, error) {
	if err := domain.CheckID("id", id); err != nil {
		return Why{}, err
	}
	set, meta, err := s.Set(ctx, product, pos)
	if err != nil {
		return Why{}, err
	}
	ds, kind, ok := set.Log.Chain(id)
	if !ok {
		return Why{}, &domain.Error{Kind: domain.KindNotFound, Msg: fmt.Sprintf("%q is not an item, roadmap item or request of product %q%s", id, product, asOfSuffix(pos))}
	}
	w := Why{Meta: meta, ID: id, Kind: kind, Churn: set.Log.Churn(id), Decisions: ds}
	switch kind {
	case domain.KindItem:
		if it, ok := set.Backlog.Item(id); ok {
			w.Title, w.Status = it.Title, string(it.Status)
		}
	case domain.KindRoadmap:
		if it, ok := set.Roadmap.Item(id); ok {
			w.Title, w.Status = it.Title, string(it.Status)
		}
	case domain.KindRequest:
		if r, ok := set.Requests.Request(id); ok {
			w.Title, w.Status = r.Title, string(r.Status)
		}
	}
	return w, nil
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
		Msg: fmt.Sprintf("--%s %q is not one of %s", field, value, strings.Join(allowed, ", "))}
}
