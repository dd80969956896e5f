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
	// Sort is the order of the requests view: one of RequestSorts.
	Sort string `json:"sort,omitempty"`
	// Limit and After ask a list view for one page: at most Limit
	// elements (0: all of them) after the cursor After (see Page).
	Limit int    `json:"limit,omitempty"`
	After string `json:"after,omitempty"`
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
	// ViewOverview is what a dashboard shows first (Overview), and
	// ViewQuarantine and ViewMetrics the quarantined events and the
	// figures /metrics exports.
	ViewOverview   = "overview"
	ViewQuarantine = "quarantine"
	ViewMetrics    = "metrics"
	ViewDiff       = "diff"
	// ViewDecisions is the decision query (DecisionsFilter).
	ViewDecisions = "decisions"
)

// Views lists every view name, in the order the README documents them.
var Views = func() []string {
	var names []string
	for _, v := range catalogue {
		names = append(names, v.Name)
	}
	return names
}()

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
	v, ok := Lookup(view)
	if !ok {
		return unknownView(view)
	}
	return v.Check(o)
}

func unknownView(name string) error {
	return domain.Malformed("view", "unknown view %q: one of %s", name, strings.Join(Views, ", "))
}

// View answers the named view: the one entry for every edge. The value is
// the view's named type (Catalogue says which), whose JSON is what the
// CLI prints with --json.
func (s *Service) View(ctx context.Context, name string, o Options) (any, error) {
	v, ok := Lookup(name)
	if !ok {
		return nil, unknownView(name)
	}
	if err := v.Check(o); err != nil {
		return nil, err
	}
	if !v.Ledger {
		if err := domain.CheckID("product", o.Product); err != nil {
			return nil, err
		}
	}
	return v.answer(ctx, s, o)
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
