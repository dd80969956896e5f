package query

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/replay"
)

// Options are a view's options as every edge sends them: the CLI from its
// flags, the NATS service and the HTTP API as JSON
// ({"product":"checkout","asOf":"2026-04-01","status":"all"}). Each view
// reads the fields it needs and ignores none it was given: a field another
// view uses is refused by Check.
type Options struct {
	Product string `json:"product,omitempty"`
	// AsOf is a date (the end of that day, UTC), an RFC 3339 time or seq:N;
	// empty for now. Backlog, roadmap, requests, why and log.
	AsOf string `json:"asOf,omitempty"`
	// Status filters backlog items or requests.
	Status string `json:"status,omitempty"`
	// Requester filters requests.
	Requester string `json:"requester,omitempty"`
	// ID names the item, roadmap item or request of why.
	ID string `json:"id,omitempty"`
	// PlannedAsOf, DeliveredAsOf, Period and Level are compare's.
	PlannedAsOf   string `json:"plannedAsOf,omitempty"`
	DeliveredAsOf string `json:"deliveredAsOf,omitempty"`
	Period        string `json:"period,omitempty"`
	Level         string `json:"level,omitempty"`
	// From and To are diff's, and bound the business time of decisions:
	// both read them as the range [from, to), a bare date being midnight
	// UTC at its start (RangeRule).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Type, Item, Epic, Roadmap, Request, Actor, Role, Reason and
	// Overrides filter decisions (see DecisionsFilter); Type takes short
	// names (ranked, rejected) or event type names.
	Type      []string `json:"type,omitempty"`
	Item      string   `json:"item,omitempty"`
	Epic      string   `json:"epic,omitempty"`
	Roadmap   string   `json:"roadmap,omitempty"`
	Request   string   `json:"request,omitempty"`
	Actor     string   `json:"actor,omitempty"`
	Role      string   `json:"role,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Overrides bool     `json:"overrides,omitempty"`
	// OutsideAuthority keeps imported decisions flagged outsideAuthority;
	// Quarantined lists the events the validating fold refused instead.
	OutsideAuthority bool `json:"outsideAuthority,omitempty"`
	Quarantined      bool `json:"quarantined,omitempty"`
	// MinSeq asks the view to reflect the stream at least up to this
	// sequence (read your writes across service instances); a view that
	// cannot reach it in time answers from the stream instead.
	MinSeq uint64 `json:"minSeq,omitempty"`
}

// The views, by name.
const (
	ViewProducts = "products"
	ViewBacklog  = "backlog"
	ViewRoadmap  = "roadmap"
	ViewRequests = "requests"
	ViewWhy      = "why"
	ViewLog      = "log"
	ViewCompare  = "compare"
	// ViewSayDo is the say/do ratio of every period begun, each against
	// its own plan (replay.SayDoOf).
	ViewSayDo = "saydo"
	ViewDiff  = "diff"
	// ViewDecisions is the decision query (DecisionsFilter).
	ViewDecisions = "decisions"
)

// Views lists every view name, in the order the README documents them.
var Views = []string{ViewProducts, ViewBacklog, ViewRoadmap, ViewRequests, ViewWhy, ViewLog, ViewCompare, ViewSayDo, ViewDiff, ViewDecisions}

// viewFields says which options each view takes, besides product and minSeq.
var viewFields = map[string][]string{
	ViewProducts: {},
	ViewBacklog:  {"asOf", "status"},
	ViewRoadmap:  {"asOf"},
	ViewRequests: {"asOf", "status", "requester"},
	ViewWhy:      {"asOf", "id"},
	ViewLog:      {"asOf"},
	ViewCompare:  {"plannedAsOf", "deliveredAsOf", "period", "level"},
	ViewSayDo:    {"asOf"},
	ViewDiff:     {"from", "to"},
	ViewDecisions: {"asOf", "from", "to", "type", "item", "epic", "roadmap", "request", "actor", "role", "reason",
		"overrides", "outsideAuthority", "quarantined"},
}

// DecodeOptions reads a view's options from JSON, refusing unknown fields
// and values of the wrong type with a KindMalformed error naming the field.
// Empty input is the zero Options.
func DecodeOptions(raw []byte) (Options, error) {
	var o Options
	if len(bytes.TrimSpace(raw)) == 0 {
		return o, nil
	}
	err := domain.DecodeStrict(raw, &o, "the view's options", func(name string) string { return fmt.Sprintf("unknown option %q", name) })
	return o, err
}

// Check refuses options the view does not take, naming the first.
func (o Options) Check(view string) error {
	allowed, ok := viewFields[view]
	if !ok {
		return domain.Malformed("view", "unknown view %q: one of %s", view, strings.Join(Views, ", "))
	}
	given := map[string]string{"asOf": o.AsOf, "status": o.Status, "requester": o.Requester, "id": o.ID,
		"plannedAsOf": o.PlannedAsOf, "deliveredAsOf": o.DeliveredAsOf, "period": o.Period, "level": o.Level,
		"from": o.From, "to": o.To, "type": strings.Join(o.Type, ","), "item": o.Item, "epic": o.Epic,
		"roadmap": o.Roadmap, "request": o.Request, "actor": o.Actor, "role": o.Role, "reason": o.Reason}
	if o.OutsideAuthority {
		given["outsideAuthority"] = "true"
	}
	if o.Quarantined {
		given["quarantined"] = "true"
	}
	if o.Overrides {
		given["overrides"] = "true"
	}
	for _, f := range []string{"asOf", "status", "requester", "id", "plannedAsOf", "deliveredAsOf", "period", "level", "from", "to",
		"type", "item", "epic", "roadmap", "request", "actor", "role", "reason", "overrides", "outsideAuthority", "quarantined"} {
		if given[f] != "" && !oneOf(f, allowed) {
			return domain.Invalid(f, "the %s view takes no %s", view, f)
		}
	}
	return nil
}

// View answers the named view: the one entry for every edge. The value is
// the view's named type (Backlog, Roadmap, Requests, Why, Log, Comparison,
// SayDo, Changes, Products, Decisions), whose JSON is what the CLI prints with --json.
func (s *Service) View(ctx context.Context, name string, o Options) (any, error) {
	if err := o.Check(name); err != nil {
		return nil, err
	}
	if name == ViewProducts {
		return s.Products(ctx)
	}
	if err := domain.CheckID("product", o.Product); err != nil {
		return nil, err
	}
	switch name {
	case ViewBacklog:
		pos, err := Pos("asOf", o.AsOf)
		if err != nil {
			return nil, err
		}
		return s.Backlog(ctx, o.Product, pos, BacklogFilter{Status: o.Status}, o.MinSeq)
	case ViewRoadmap:
		pos, err := Pos("asOf", o.AsOf)
		if err != nil {
			return nil, err
		}
		return s.Roadmap(ctx, o.Product, pos, o.MinSeq)
	case ViewRequests:
		pos, err := Pos("asOf", o.AsOf)
		if err != nil {
			return nil, err
		}
		return s.Requests(ctx, o.Product, pos, o.Status, o.Requester, o.MinSeq)
	case ViewWhy:
		pos, err := Pos("asOf", o.AsOf)
		if err != nil {
			return nil, err
		}
		return s.Why(ctx, o.Product, pos, o.ID, o.MinSeq)
	case ViewLog:
		pos, err := Pos("asOf", o.AsOf)
		if err != nil {
			return nil, err
		}
		return s.Log(ctx, o.Product, pos)
	case ViewCompare:
		return s.Compare(ctx, o.Product, CompareOptions{PlannedAsOf: o.PlannedAsOf, DeliveredAsOf: o.DeliveredAsOf, Period: o.Period, Level: o.Level})
	case ViewSayDo:
		pos, err := Pos("asOf", o.AsOf)
		if err != nil {
			return nil, err
		}
		return s.SayDo(ctx, o.Product, pos)
	case ViewDiff:
		return s.Diff(ctx, o.Product, o.From, o.To)
	case ViewDecisions:
		return s.Decisions(ctx, o.Product, DecisionsFilter{Types: o.Type, Item: o.Item, Epic: o.Epic, Roadmap: o.Roadmap,
			Request: o.Request, Actor: o.Actor, Role: o.Role, Reason: o.Reason, From: o.From, To: o.To,
			Overrides: o.Overrides, OutsideAuthority: o.OutsideAuthority, Quarantined: o.Quarantined, AsOf: o.AsOf}, o.MinSeq)
	}
	return nil, fmt.Errorf("view %q has no handler", name)
}

// Position is a point in a product's history: a time, a stream sequence,
// or the latest (the zero value).
type Position = replay.Position

// Latest is the position "now".
var Latest = replay.Latest

// Pos reads a position option ("" is the latest), naming field in its error.
func Pos(field, s string) (Position, error) {
	if s == "" {
		return replay.Latest, nil
	}
	p, err := replay.ParsePosition(s)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return p, &domain.Error{Kind: domain.KindInvalid, Field: field, Msg: field + ": " + de.Msg}
		}
		return p, domain.Invalid(field, "%s: %s", field, err.Error())
	}
	return p, nil
}
