package query

import (
	"context"
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// Source is read access to a product's events.
type Source interface {
	// Read calls fn for each event of product with sequence > after, in
	// stream order, up to the end of the stream at the time of the call,
	// and returns the last sequence delivered. Events this version cannot
	// read arrive with a domain.Unknown payload.
	Read(ctx context.Context, product string, after uint64, fn func(domain.Event) error) (uint64, error)
}

// Meta says what a view was built from, so that a reader can tell "now"
// from "as of" and see what was skipped.
type Meta struct {
	Product string `json:"product"`
	// Position is the stream sequence of the last event applied.
	Position uint64 `json:"position"`
	// At is the business time of that event.
	At *time.Time `json:"at,omitempty"`
	// AsOf is the position asked for, as given; empty for "now".
	AsOf string `json:"asOf,omitempty"`
	// Skipped counts events this version cannot read; FirstSkipped is the
	// sequence of the first.
	Skipped      int      `json:"skipped"`
	FirstSkipped uint64   `json:"firstSkipped,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
}

// AsOfFunc builds the projections of product as of a position written as
// a date, an RFC 3339 time or seq:N.
type AsOfFunc func(ctx context.Context, product, position string) (*projections.Set, Meta, error)

// Service builds views. It holds no state between calls: every view is
// built from the stream (and, as of a past position, from snapshots), so
// a view read right after a write reflects it.
type Service struct {
	src  Source
	asOf AsOfFunc
}

// New returns a Service over src; asOf answers "as of" questions (nil:
// they are refused).
func New(src Source, asOf AsOfFunc) *Service {
	return &Service{src: src, asOf: asOf}
}

// Set builds the product's projections now, or as of position when it is
// not empty.
func (s *Service) Set(ctx context.Context, product, position string) (*projections.Set, Meta, error) {
	if position != "" {
		if s.asOf == nil {
			return nil, Meta{}, fmt.Errorf("as-of questions are not available here")
		}
		return s.asOf(ctx, product, position)
	}
	set := projections.NewSet()
	var last domain.Event
	n := 0
	if _, err := s.src.Read(ctx, product, 0, func(e domain.Event) error {
		set.Apply(e)
		last = e
		n++
		return nil
	}); err != nil {
		return nil, Meta{}, fmt.Errorf("read product %q: %w", product, err)
	}
	if n == 0 {
		return nil, Meta{}, &domain.Error{Kind: domain.KindNotFound, Msg: fmt.Sprintf("product %q has no events: create it with \"ledger product create %s ...\" or run \"ledger demo\"", product, product)}
	}
	return set, MetaOf(product, set, last), nil
}

// MetaOf describes a set built up to the event last.
func MetaOf(product string, set *projections.Set, last domain.Event) Meta {
	m := Meta{Product: product, Position: set.Position()}
	if !last.OccurredAt.IsZero() {
		at := last.OccurredAt
		m.At = &at
	}
	m.Skipped, m.FirstSkipped = set.Skipped()
	if m.Skipped > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("skipped %d event(s) this version cannot read (first at sequence %d)", m.Skipped, m.FirstSkipped))
	}
	return m
}
