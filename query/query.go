package query

import (
	"context"
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// Meta says what a view was built from, so that a reader can tell "now"
// from "as of" and see what was skipped.
type Meta struct {
	Product string `json:"product"`
	// Position is the stream sequence of the last event applied.
	Position uint64 `json:"position"`
	// At is the business time of that event.
	At *time.Time `json:"at,omitempty"`
	// AsOf is the position asked for (a time or seq:N); empty for now.
	AsOf string `json:"asOf,omitempty"`
	// Events is how many of the product's events the view folds in, and
	// Replayed how many of them were read from the stream for this answer
	// (the rest came from a snapshot).
	Events   uint64 `json:"events"`
	Replayed uint64 `json:"replayed"`
	// Skipped counts events this version cannot read; FirstSkipped is the
	// sequence of the first.
	Skipped      int      `json:"skipped"`
	FirstSkipped uint64   `json:"firstSkipped,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
}

// Service builds views from the stream, starting from the nearest usable
// snapshot when there is one. It holds no state between calls, so a view
// read right after a write reflects it (read your writes).
type Service struct {
	src   replay.Source
	snaps replay.SnapshotReader
}

// New returns a Service over src; snaps may be nil (no snapshots).
func New(src replay.Source, snaps replay.SnapshotReader) *Service {
	return &Service{src: src, snaps: snaps}
}

// Set builds every projection of the product, the transparency log
// included, as of pos (replay.Latest for now).
func (s *Service) Set(ctx context.Context, product string, pos replay.Position) (*projections.Set, Meta, error) {
	set, res, err := replay.AsOf(ctx, s.src, s.snaps, product, pos)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("read product %q: %w", product, err)
	}
	n, first := set.Skipped()
	m, err := s.meta(res, n, first, pos)
	return set, m, err
}

// views builds the backlog, roadmap and requests as of pos; with
// snapshots its cost stays flat as history grows.
func (s *Service) views(ctx context.Context, product string, pos replay.Position) (*replay.Views, Meta, error) {
	v, res, err := replay.AsOfViews(ctx, s.src, s.snaps, product, pos)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("read product %q: %w", product, err)
	}
	n, first := v.Backlog.Skipped()
	if rn, rf := v.Requests.Skipped(); rn > n {
		n, first = rn, rf
	}
	m, err := s.meta(res, n, first, pos)
	return v, m, err
}

func (s *Service) meta(res replay.Result, skipped int, first uint64, pos replay.Position) (Meta, error) {
	if res.Events == 0 {
		if pos.IsLatest() {
			return Meta{}, &domain.Error{Kind: domain.KindNotFound, Msg: fmt.Sprintf("product %q has no events: create it with \"ledger product create %s ...\" or run \"ledger demo\"", res.Product, res.Product)}
		}
		return Meta{}, &domain.Error{Kind: domain.KindNotFound, Msg: fmt.Sprintf("product %q had no events yet as of %s", res.Product, pos)}
	}
	m := Meta{Product: res.Product, Position: res.Seq, At: res.At, Events: res.Events, Replayed: res.Replayed,
		Skipped: skipped, FirstSkipped: first, Warnings: res.Warnings}
	if !pos.IsLatest() {
		m.AsOf = pos.String()
	}
	if skipped > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("skipped %d event(s) this version cannot read (first at sequence %d)", skipped, first))
	}
	return m, nil
}
