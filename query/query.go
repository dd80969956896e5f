package query

import (
	"context"
	"fmt"
	"sort"
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
	// Skipped counts the quarantined events this version cannot read at
	// all (bytes that are no event, a type or schema it does not know);
	// FirstSkipped is the sequence of the first.
	Skipped      int    `json:"skipped"`
	FirstSkipped uint64 `json:"firstSkipped,omitempty"`
	// Quarantined counts the events the validating fold refused (no rule
	// allowed them: a forgery, an event published around the ledger,
	// bytes that are no event this version reads); they are kept in the
	// stream and the log, never applied. QuarantinedEvents lists the
	// first of them with their reasons.
	Quarantined       int                      `json:"quarantined"`
	QuarantinedEvents []projections.Quarantine `json:"quarantinedEvents,omitempty"`
	// Gaps are holes in the product's history: events that were deleted
	// or lost.
	Gaps     []domain.Gap `json:"gaps,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`
}

// quarantineWarning is the warning line of the quarantined events.
func (m *Meta) quarantineWarning() string {
	q := m.QuarantinedEvents[0]
	return fmt.Sprintf("%d event(s) quarantined: shown in the log, never applied (first at sequence %d: %s)", m.Quarantined, q.Seq, q.Reason)
}

// addStrays adds to a meta that has its trust (addTrust) the messages
// stored where no event of the product is, as the log's meta counts them,
// its warning line saying so.
func (m *Meta) addStrays(more []projections.Quarantine) {
	if len(more) == 0 {
		return
	}
	line := -1
	if m.Quarantined > 0 {
		old := m.quarantineWarning()
		for i, w := range m.Warnings {
			if w == old {
				line = i
			}
		}
	}
	m.Quarantined += len(more)
	m.QuarantinedEvents = append(m.QuarantinedEvents, more...)
	sort.SliceStable(m.QuarantinedEvents, func(i, j int) bool { return m.QuarantinedEvents[i].Seq < m.QuarantinedEvents[j].Seq })
	if len(m.QuarantinedEvents) > projections.MaxListedQuarantine {
		m.QuarantinedEvents = m.QuarantinedEvents[:projections.MaxListedQuarantine]
	}
	if line >= 0 {
		m.Warnings[line] = m.quarantineWarning()
	} else {
		m.Warnings = append(m.Warnings, m.quarantineWarning())
	}
}

// addTrust adds what the validating fold found to the meta, with a
// warning line for each kind of finding.
func (m *Meta) addTrust(g *projections.Gate) { m.addTrustWith(g, nil) }

// addTrustWith is addTrust with more quarantined entries than the fold's
// (the log's strays), by sequence.
func (m *Meta) addTrustWith(g *projections.Gate, more []projections.Quarantine) {
	if g == nil {
		return
	}
	m.Quarantined, m.QuarantinedEvents = g.Quarantined()
	if len(more) > 0 {
		m.Quarantined += len(more)
		m.QuarantinedEvents = append(m.QuarantinedEvents, more...)
		sort.SliceStable(m.QuarantinedEvents, func(i, j int) bool { return m.QuarantinedEvents[i].Seq < m.QuarantinedEvents[j].Seq })
		if len(m.QuarantinedEvents) > projections.MaxListedQuarantine {
			m.QuarantinedEvents = m.QuarantinedEvents[:projections.MaxListedQuarantine]
		}
	}
	if m.Quarantined > 0 {
		m.Warnings = append(m.Warnings, m.quarantineWarning())
	}
	m.Gaps = g.Gaps()
	for _, gap := range m.Gaps {
		m.Warnings = append(m.Warnings, gap.String())
	}
}

// Source is what a Service reads: a product's history and the list of
// products; *eventstore.Store is one.
type Source interface {
	replay.Source
	// Products lists the ids of the products that have events, in any
	// order; an empty ledger gives an empty list.
	Products(ctx context.Context) ([]string, error)
}

// Service is the one read facade: every view of every edge. Without live
// projections it builds each view from the stream, starting from the
// nearest usable snapshot, so a view read right after a write reflects it.
// With live projections (UseLive) it answers "now" from them, after
// waiting, bounded, until they have applied the sequence the caller needs.
type Service struct {
	src   Source
	snaps replay.SnapshotReader
	now   func() time.Time
	live  *Live
	// seen, when set, gives the last sequence this process knows was
	// written for a product (its own writes), so that a view asked for
	// after a write waits for it.
	seen func(product string) uint64
	// gates are the validating fold where recent log pages ended.
	gates *logGates
	// sayDo keeps the overview's say/do for now, per product (see
	// sayDoCache).
	sayDo sayDoCache
}

// New returns a Service over src; snaps may be nil (no snapshots).
func New(src Source, snaps replay.SnapshotReader) *Service {
	return &Service{src: src, snaps: snaps, now: time.Now, gates: newLogGates()}
}

// UseLive makes the service answer "now" from live projections; seen, when
// not nil, reports the last sequence written for a product by this
// process, which such an answer waits for (read your writes).
func (s *Service) UseLive(l *Live, seen func(product string) uint64) {
	s.live, s.seen = l, seen
}

// SetClock replaces the clock compare uses to tell overdue work.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// LiveWait bounds how long a view waits for live projections to reach the
// sequence it must reflect before it is built from the stream instead.
const LiveWait = 2 * time.Second

// fromLive runs fn on the product's live projections once they reflect
// minSeq and this process's own writes; it reports false (fn not run) when
// there are none or they do not get there within LiveWait. A position
// that is a stream sequence is answered from them too while they stand
// exactly there (the next page of a list answered for now), without
// waiting.
func (s *Service) fromLive(ctx context.Context, product string, pos replay.Position, minSeq uint64, fn func(set *projections.Set, m Meta)) bool {
	if s.live != nil && pos.Seq != 0 && pos.At.IsZero() {
		return s.live.readAt(product, pos.Seq, func(set *projections.Set, m Meta) {
			m.AsOf = pos.String()
			fn(set, m)
		})
	}
	if s.live == nil || !pos.IsLatest() {
		return false
	}
	if s.seen != nil {
		minSeq = max(minSeq, s.seen(product))
	}
	return s.live.readAtLeast(ctx, product, minSeq, LiveWait, fn)
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
	m.addTrust(set.Gate())
	return set, m, err
}

// withViews runs fn on the backlog, roadmap and requests as of pos: the
// live ones for now, else built from the nearest snapshot, so that the
// cost stays flat as history grows.
func (s *Service) withViews(ctx context.Context, product string, pos replay.Position, minSeq uint64, fn func(v *replay.Views)) (Meta, error) {
	return s.withViewsOf(ctx, product, pos, minSeq, replay.AllMembers, fn)
}

// withViewsOf is withViews for fn that reads only the members m names:
// an answer built from the stream restores and folds only those (live
// projections hold every member anyway).
func (s *Service) withViewsOf(ctx context.Context, product string, pos replay.Position, minSeq uint64, m replay.Members, fn func(v *replay.Views)) (Meta, error) {
	var meta Meta
	if s.fromLive(ctx, product, pos, minSeq, func(set *projections.Set, m Meta) {
		meta = m
		fn(replay.ViewsOf(set))
	}) {
		return meta, nil
	}
	v, meta, err := s.views(ctx, product, pos, m)
	if err != nil {
		return Meta{}, err
	}
	fn(v)
	return meta, nil
}

// views builds the members m names of the backlog, roadmap and requests
// as of pos from the stream and the nearest snapshot.
func (s *Service) views(ctx context.Context, product string, pos replay.Position, members replay.Members) (*replay.Views, Meta, error) {
	v, res, err := replay.AsOfViewsOf(ctx, s.src, s.snaps, product, pos, members)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("read product %q: %w", product, err)
	}
	n, first := v.Skipped()
	m, err := s.meta(res, n, first, pos)
	m.addTrust(v.Gate)
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
	return m, nil
}

// meta lets PositionOf find the Meta of any view that has one.
func (m Meta) meta() Meta { return m }

// MetaOf returns the Meta of an answer of a view that has one.
func MetaOf(answer any) (Meta, bool) {
	if m, ok := answer.(interface{ meta() Meta }); ok {
		return m.meta(), true
	}
	return Meta{}, false
}

// PositionOf returns the stream sequence an answer of a view was built
// at, when the view says (every view with a Meta does).
func PositionOf(answer any) (uint64, bool) {
	m, ok := MetaOf(answer)
	return m.Position, ok
}
