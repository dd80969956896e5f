package query

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// DecisionRow is one decision as the decisions view lists it: the event
// that records it, who took it in which role, why, and what it changed in
// the transparency log's words ("rank 4 -> 1").
type DecisionRow struct {
	Seq     uint64               `json:"seq"`
	At      time.Time            `json:"at"`
	Type    string               `json:"type"`
	Subject string               `json:"subject"`
	Kind    domain.AggregateKind `json:"kind"`
	ID      string               `json:"id"`
	EventID string               `json:"eventId"`
	Actor   string               `json:"actor"`
	Role    domain.Role          `json:"role"`
	Why     string               `json:"why"`
	Reason  domain.ReasonCode    `json:"reason,omitempty"`
	Changes []string             `json:"changes"`
	// Epic, Roadmap and Request are what the decision's backlog item
	// belonged to, served and came from when it was taken.
	Epic    string `json:"epic,omitempty"`
	Roadmap string `json:"roadmap,omitempty"`
	Request string `json:"request,omitempty"`
	// Score is the score a rank decision carried; Overrides lists the
	// items it jumped over although their score was higher.
	Score     *Score     `json:"score,omitempty"`
	Overrides []Override `json:"overrides,omitempty"`
	// Source is where an imported decision came from (the tracker, the
	// issue, the change, the original login), and OutsideAuthority marks
	// one taken there by someone without the role the ledger's rules
	// require.
	Source           *domain.Source `json:"source,omitempty"`
	OutsideAuthority bool           `json:"outsideAuthority,omitempty"`
	// Quarantined, with the quarantined filter, is why the validating fold
	// refused the event: it is in the ledger, and no view applies it.
	Quarantined string `json:"quarantined,omitempty"`
}

// Decisions is the decisions view: every decision matching a filter, in
// stream order.
type Decisions struct {
	Meta
	// Filter describes the filter in words.
	Filter    string        `json:"filter"`
	Decisions []DecisionRow `json:"decisions"`
}

// DecisionsFilter is the decisions view's filter as people write it; the
// zero value selects every decision of the product.
type DecisionsFilter struct {
	// Types are short names (ranked, rejected, rescheduled) or event type
	// names; any of them matches.
	Types []string
	// Item, Roadmap and Request select the decisions recorded on that
	// backlog item, roadmap item or request; Epic the epic's and those of
	// every item that was under it when the decision was taken.
	Item, Epic, Roadmap, Request string
	Actor, Role, Reason          string
	// From (included) and To (excluded) bound the business time: a date
	// (midnight UTC) or an RFC 3339 time.
	From, To string
	// Overrides keeps rank decisions that jumped over a higher score.
	Overrides bool
	// OutsideAuthority keeps imported decisions taken in the tracker by
	// someone without the role the rules require.
	OutsideAuthority bool
	// Quarantined lists, instead of decisions, the events the validating
	// fold refused (forgeries, events published around the ledger) that
	// match the other filters, each with its reason.
	Quarantined bool
	// AsOf is a date (the end of that day), an RFC 3339 time or seq:N.
	AsOf string
}

// DomainFilter turns f into the shared domain filter for product, with
// the position AsOf names; it refuses a value that is not valid, naming
// its field.
func (f DecisionsFilter) DomainFilter(product string) (domain.DecisionFilter, Position, error) {
	df := domain.DecisionFilter{Product: product, Item: f.Item, Epic: f.Epic, Roadmap: f.Roadmap,
		Request: f.Request, Actor: f.Actor, Role: domain.Role(f.Role), Reason: domain.ReasonCode(f.Reason)}
	var err error
	if len(f.Types) > 0 {
		if df.Types, err = domain.ExpandTypes("type", f.Types); err != nil {
			return df, Latest, err
		}
	}
	if df.From, err = parseBound("from", f.From); err != nil {
		return df, Latest, err
	}
	if df.To, err = parseBound("to", f.To); err != nil {
		return df, Latest, err
	}
	pos, err := Pos("asOf", f.AsOf)
	if err != nil {
		return df, Latest, err
	}
	df.AsOfSeq, df.AsOfAt = pos.Seq, pos.At
	return df, pos, df.Check()
}

// parseBound reads a business-time bound: "" is none, a date is midnight
// UTC, else RFC 3339.
func parseBound(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, domain.Invalid(field, "%s %q is not a time: write 2026-04-01 (midnight UTC at its start) or 2026-04-01T14:30:00Z", field, s)
}

// Decisions returns the decisions of product matching f, in stream order.
// With live projections it reads nothing from the stream, and a filter on
// one item, roadmap item or request costs what that aggregate's own
// decisions cost, however long the history; without them it rebuilds the
// transparency log from the stream (it is never snapshotted).
//
// minSeq, when not 0, is a sequence the answer must reflect (see Options).
func (s *Service) Decisions(ctx context.Context, product string, f DecisionsFilter, minSeq uint64) (Decisions, error) {
	if f.Quarantined {
		return s.quarantinedDecisions(ctx, product, f)
	}
	out, err := s.decisions(ctx, product, f, minSeq)
	if err != nil || !f.OutsideAuthority {
		return out, err
	}
	kept := []DecisionRow{}
	for _, r := range out.Decisions {
		if r.OutsideAuthority {
			kept = append(kept, r)
		}
	}
	out.Decisions = kept
	out.Filter += ", outside authority"
	return out, nil
}

// quarantinedDecisions lists the quarantined events that match the filter,
// from the log (which shows every event with the fold's verdict).
func (s *Service) quarantinedDecisions(ctx context.Context, product string, f DecisionsFilter) (Decisions, error) {
	df, pos, err := f.DomainFilter(product)
	if err != nil {
		return Decisions{}, err
	}
	log, err := s.Log(ctx, product, pos)
	if err != nil {
		return Decisions{}, err
	}
	out := Decisions{Meta: log.Meta, Filter: describeFilter(df, f.Overrides) + ", quarantined", Decisions: []DecisionRow{}}
	for _, e := range log.Entries {
		if e.Quarantined == "" || !df.Match(e.Event, "") {
			continue
		}
		subject := e.Subject()
		if e.Stored != nil && e.Stored.Subject != "" {
			subject = e.Stored.Subject
		}
		out.Decisions = append(out.Decisions, DecisionRow{Seq: e.Seq, At: e.OccurredAt.UTC(), Type: e.Type, Subject: subject,
			Kind: e.Aggregate.Kind, ID: e.Aggregate.ID, EventID: e.ID, Actor: e.Actor.ID, Role: e.Actor.Role, Why: e.Why,
			Reason: e.Reason, Changes: []string{}, Source: e.Source, OutsideAuthority: e.OutsideAuthority, Quarantined: e.Quarantined})
	}
	return out, nil
}

func (s *Service) decisions(ctx context.Context, product string, f DecisionsFilter, minSeq uint64) (Decisions, error) {
	df, pos, err := f.DomainFilter(product)
	if err != nil {
		return Decisions{}, err
	}
	out := Decisions{Filter: describeFilter(df, f.Overrides), Decisions: []DecisionRow{}}
	if s.live != nil {
		var liveMeta Meta
		hasLog := false
		ok := s.fromLive(ctx, product, replay.Latest, minSeq, func(set *projections.Set, m Meta) {
			// Right after serve starts, the transparency log is still being
			// built in the background: answer from the stream until then.
			if hasLog = set.HasLog(); hasLog {
				liveMeta = m
				out.Decisions, err = collectDecisions(set.Log, df, f.Overrides)
			}
		})
		if ok && hasLog {
			if err != nil {
				return Decisions{}, err
			}
			out.Meta = liveMeta
			if !pos.IsLatest() {
				// The rows stop at the position already (the filter's as-of);
				// the views there say where that is.
				if out.Meta, err = s.withViews(ctx, product, pos, 0, func(*replay.Views) {}); err != nil {
					return Decisions{}, err
				}
			}
			return out, nil
		}
	}
	if rows, meta, ok, err := s.aggregateDecisions(ctx, df, pos, f.Overrides); ok || err != nil {
		if err != nil {
			return Decisions{}, err
		}
		out.Decisions, out.Meta = rows, meta
		return out, nil
	}
	set, meta, err := s.Set(ctx, product, pos)
	if err != nil {
		return Decisions{}, err
	}
	if out.Decisions, err = collectDecisions(set.Log, df, f.Overrides); err != nil {
		return Decisions{}, err
	}
	out.Meta = meta
	return out, nil
}

// aggregateReader reads one aggregate's events; *eventstore.Store is one.
type aggregateReader interface {
	// ReadAggregate is Source.Read over the events on one aggregate's
	// subject only, so that its cost follows that aggregate's events; an
	// aggregate without events is not an error. Safe for concurrent use.
	ReadAggregate(ctx context.Context, product string, kind domain.AggregateKind, id string, after uint64, fn func(domain.Event) error) (uint64, error)
}

// maxAggregateDecisions bounds the decisions aggregateDecisions words one
// by one; past it, one fold of the whole history costs less.
const maxAggregateDecisions = 200

// aggregateDecisions answers a filter on one item, roadmap item or request
// without folding the transparency log of the whole history, when the
// source reads single subjects and there are snapshots: it reads that
// aggregate's events, and words each against the backlog, roadmap and
// requests as they stood just before it, which it keeps by folding only
// those views (far cheaper than the log) from the nearest snapshot before
// the aggregate's first event to its last. ok is false when it cannot
// (the caller rebuilds instead).
func (s *Service) aggregateDecisions(ctx context.Context, df domain.DecisionFilter, pos Position, overrides bool) (rows []DecisionRow, meta Meta, ok bool, err error) {
	ar, can := s.src.(aggregateReader)
	kind, id, field := domain.KindItem, df.Item, "item"
	switch {
	case df.Item != "":
	case df.Request != "":
		kind, id, field = domain.KindRequest, df.Request, "request"
	case df.Roadmap != "":
		kind, id, field = domain.KindRoadmap, df.Roadmap, "roadmap"
	default:
		can = false
	}
	if !can || s.snaps == nil {
		return nil, Meta{}, false, nil
	}
	var evs []domain.Event
	_, err = ar.ReadAggregate(ctx, df.Product, kind, id, 0, func(e domain.Event) error {
		if pos.Past(e) {
			return errStop
		}
		if len(evs) == maxAggregateDecisions {
			return errTooMany
		}
		evs = append(evs, e)
		return nil
	})
	switch {
	case errors.Is(err, errTooMany):
		return nil, Meta{}, false, nil
	case err != nil && !errors.Is(err, errStop):
		return nil, Meta{}, true, fmt.Errorf("read %s %q of product %q: %w", kindName(kind), id, df.Product, err)
	case len(evs) == 0:
		return nil, Meta{}, true, &domain.Error{Kind: domain.KindNotFound, Field: field,
			Msg: fmt.Sprintf("%s %q is not in product %q%s", kindName(kind), id, df.Product, asOfFilter(df))}
	}
	// The views just before the aggregate's first event, from the nearest
	// snapshot; then one read of the product's events up to its last.
	cur := replay.NewViews()
	// An answer as of a sequence inside an atomic decision includes the
	// whole decision: step back until the views stand before the one the
	// aggregate's first event belongs to.
	first := evs[0].Seq
	for at := first - 1; at >= 1; at-- {
		if cur, _, err = replay.AsOfViews(ctx, s.src, s.snaps, df.Product, replay.AtSeq(at)); err != nil {
			return nil, Meta{}, true, fmt.Errorf("read product %q: %w", df.Product, err)
		}
		if cur.Position() < first {
			break
		}
	}
	if cur.Position() >= first {
		cur = replay.NewViews()
	}
	rows = []DecisionRow{}
	word := func(e domain.Event) error {
		// Word the decision on a copy, against the views just before it:
		// only the one its changes are told from (a roadmap item's from the
		// roadmap, a request's from the requests, an item's from the
		// backlog), which keeps the copy small.
		before, err := copyFor(kind, cur)
		if err != nil {
			return err
		}
		log := projections.LogAt(before.Backlog, before.Roadmap, before.Requests)
		log.Apply(e)
		chain, _ := log.ChainOf(kind, id)
		for _, d := range chain {
			row := rowOf(df.Product, kind, id, d)
			if df.Match(e, row.Epic) && (!overrides || len(d.OverridesScore) > 0) {
				rows = append(rows, row)
			}
		}
		return nil
	}
	last := evs[len(evs)-1].Seq
	_, err = s.src.Read(ctx, df.Product, cur.Position(), func(e domain.Event) error {
		if e.Seq > last && !cur.Pending() {
			return errStop
		}
		// Through the validating fold, one admitted event at a time: a
		// decision of several events is worded as the rebuild words it,
		// each against the views with the events before it applied.
		for _, a := range cur.Gate.Admit(e) {
			if _, q := domain.QuarantineReason(a); !q && a.Aggregate.Kind == kind && a.Aggregate.ID == id {
				if err := word(a); err != nil {
					return err
				}
			}
			cur.Fold(a)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, Meta{}, true, fmt.Errorf("read product %q: %w", df.Product, err)
	}
	meta, err = s.withViews(ctx, df.Product, pos, 0, func(*replay.Views) {})
	return rows, meta, true, err
}

// copyFor copies the view that a decision on an aggregate of kind is
// worded from, leaving the others empty.
func copyFor(kind domain.AggregateKind, v *replay.Views) (*replay.Views, error) {
	out := replay.NewViews()
	var err error
	var b []byte
	switch kind {
	case domain.KindItem:
		if b, err = v.Backlog.MarshalSnapshot(); err == nil {
			err = out.Backlog.UnmarshalSnapshot(b)
		}
	case domain.KindRoadmap:
		if b, err = v.Roadmap.MarshalSnapshot(); err == nil {
			err = out.Roadmap.UnmarshalSnapshot(b)
		}
	case domain.KindRequest:
		if b, err = v.Requests.MarshalSnapshot(); err == nil {
			err = out.Requests.UnmarshalSnapshot(b)
		}
	}
	return out, err
}

// errTooMany ends a read that found more than it can use.
var errTooMany = errors.New("too many")

// collectDecisions reads the matching decisions from the transparency
// log's chains: only the chain of the aggregate named, when the filter
// names one, else every chain.
func collectDecisions(log *projections.Log, df domain.DecisionFilter, overrides bool) ([]DecisionRow, error) {
	type key struct {
		kind domain.AggregateKind
		id   string
	}
	var keys []key
	// exists is whether the aggregate had a decision by the as-of position:
	// live chains go on past it.
	exists := func(kind domain.AggregateKind, id string) bool {
		chain, ok := log.ChainOf(kind, id)
		return ok && len(chain) > 0 && !df.Past(domain.Event{Seq: chain[0].Seq, OccurredAt: chain[0].At})
	}
	named := func(kind domain.AggregateKind, field, id string) error {
		if !exists(kind, id) {
			return &domain.Error{Kind: domain.KindNotFound, Field: field,
				Msg: fmt.Sprintf("%s %q is not in product %q%s", kindName(kind), id, df.Product, asOfFilter(df))}
		}
		keys = append(keys, key{kind, id})
		return nil
	}
	var err error
	switch {
	case df.Item != "":
		err = named(domain.KindItem, "item", df.Item)
	case df.Request != "":
		err = named(domain.KindRequest, "request", df.Request)
	case df.Roadmap != "":
		err = named(domain.KindRoadmap, "roadmap", df.Roadmap)
	default:
		if df.Epic != "" {
			if !exists(domain.KindItem, df.Epic) {
				return nil, &domain.Error{Kind: domain.KindNotFound, Field: "epic",
					Msg: fmt.Sprintf("epic %q is not in product %q%s", df.Epic, df.Product, asOfFilter(df))}
			}
		}
		// Only the chains of the kinds the types are recorded on.
		kinds := map[domain.AggregateKind]bool{}
		for _, t := range df.Types {
			kinds[domain.KindOfType(t)] = true
		}
		for _, kind := range []domain.AggregateKind{domain.KindProduct, domain.KindRoadmap, domain.KindItem, domain.KindRequest} {
			if (df.Epic != "" && kind != domain.KindItem) || (len(kinds) > 0 && !kinds[kind]) {
				continue
			}
			for _, id := range log.IDs(kind) {
				keys = append(keys, key{kind, id})
			}
		}
	}
	if err != nil {
		return nil, err
	}
	rows := []DecisionRow{}
	for _, k := range keys {
		chain, _ := log.ChainOf(k.kind, k.id)
		for _, d := range chain {
			if d.Via != "" {
				continue // a backlog item's decision, listed on that item's chain
			}
			row := rowOf(df.Product, k.kind, k.id, d)
			e := domain.Event{Seq: d.Seq, Type: d.Type, Product: df.Product, Aggregate: domain.Aggregate{Kind: k.kind, ID: k.id},
				Actor: domain.Actor{ID: d.Actor, Role: d.Role}, OccurredAt: d.At, Reason: d.Reason}
			if df.Match(e, row.Epic) && (!overrides || len(d.OverridesScore) > 0) {
				rows = append(rows, row)
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Seq < rows[j].Seq })
	return rows, nil
}

func rowOf(product string, kind domain.AggregateKind, id string, d projections.Decision) DecisionRow {
	r := DecisionRow{Seq: d.Seq, At: d.At.UTC(), Type: d.Type, Subject: domain.Subject(product, kind, id), Kind: kind, ID: id,
		EventID: d.EventID, Actor: d.Actor, Role: d.Role, Why: d.Why, Reason: d.Reason, Changes: d.Changes,
		Score: d.Score, Overrides: d.OverridesScore, Source: d.Source, OutsideAuthority: d.OutsideAuthority}
	if r.Changes == nil {
		r.Changes = []string{}
	}
	if d.Links != nil && kind == domain.KindItem {
		r.Epic, r.Roadmap, r.Request = d.Links.Epic, d.Links.Roadmap, d.Links.Request
	}
	return r
}

func kindName(k domain.AggregateKind) string {
	switch k {
	case domain.KindItem:
		return "item"
	case domain.KindRoadmap:
		return "roadmap item"
	case domain.KindRequest:
		return "request"
	}
	return string(k)
}

func asOfFilter(df domain.DecisionFilter) string {
	switch {
	case df.AsOfSeq != 0:
		return fmt.Sprintf(" as of seq:%d", df.AsOfSeq)
	case !df.AsOfAt.IsZero():
		return " as of " + df.AsOfAt.UTC().Format(time.RFC3339Nano)
	}
	return ""
}

func describeFilter(df domain.DecisionFilter, overrides bool) string {
	s := df.String()
	if overrides {
		s += ", overriding a higher score"
	}
	return s
}
