package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// The history views: the log of events, roadmap versus delivered, and
// what changed between two dates. Their element types are replay's,
// named here so that edges need not import replay.
type (
	// Comparison is the compare view: the roadmap at T0 against what was
	// delivered by T1, per period, each deviation with its causes.
	Comparison = replay.Comparison
	// PeriodOutcome is one period of a Comparison.
	PeriodOutcome = replay.PeriodOutcome
	// ItemOutcome is what became of one planned (or unplanned) item.
	ItemOutcome = replay.ItemOutcome
	// Cause is a decision cited as the cause of a deviation or change.
	Cause = replay.Decision
	// Changes is the diff view: what changed between two positions.
	Changes = replay.Changes
	// ItemChange is one backlog item in a diff.
	ItemChange = replay.ItemChange
	// RequestChange is one request decided in a diff.
	RequestChange = replay.RequestChange
	// Outcome names what became of a planned item.
	Outcome = replay.Outcome
)

// The outcomes and levels of a comparison.
const (
	Unplanned    = replay.Unplanned
	LevelRoadmap = string(replay.LevelRoadmap)
	LevelItem    = string(replay.LevelItem)
)

// Products lists the products that have events.
type Products struct {
	Products []string `json:"products"`
}

// Products returns the ids of every product, sorted.
func (s *Service) Products(ctx context.Context) (Products, error) {
	ps, err := s.src.Products(ctx)
	if err != nil {
		return Products{}, err
	}
	sort.Strings(ps)
	if ps == nil {
		ps = []string{}
	}
	return Products{Products: ps}, nil
}

// Log is the log view: every event of a product in stream order, up to a
// position.
type Log struct {
	Meta
	// Entries are the events; Meta.Events counts them.
	Entries []LogEntry `json:"entries"`
}

// LogEntry is one stored event of the log: its sequence and envelope
// and, when the validating fold refused it, why (the log shows every
// event, the views apply only the admitted ones).
type LogEntry struct {
	domain.Recorded
	Quarantined string `json:"quarantined,omitempty"`
}

// MarshalJSON writes the recorded event with the quarantine reason.
func (l LogEntry) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(l.Recorded)
	if err != nil || l.Quarantined == "" {
		return b, err
	}
	q, err := json.Marshal(l.Quarantined)
	if err != nil {
		return nil, err
	}
	return append(append(append(b[:len(b)-1:len(b)-1], `,"quarantined":`...), q...), '}'), nil
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (l *LogEntry) UnmarshalJSON(b []byte) error {
	var q struct {
		Quarantined string `json:"quarantined"`
	}
	if err := json.Unmarshal(b, &q); err != nil {
		return err
	}
	if err := l.Recorded.UnmarshalJSON(b); err != nil {
		return err
	}
	l.Quarantined = q.Quarantined
	return nil
}

// errStop ends a read early.
var errStop = errors.New("stop")

// Log returns the product's events up to pos. An event this version
// cannot read is listed as it is and counted in Skipped.
func (s *Service) Log(ctx context.Context, product string, pos Position) (Log, error) {
	out := Log{Entries: []LogEntry{}}
	var last domain.Event
	// The log shows every event, and marks those the validating fold
	// refuses, with the same verdicts as every view.
	gate := projections.NewGate()
	at := map[uint64]int{}
	mark := func(evs []domain.Event) {
		for _, a := range evs {
			if r, q := domain.QuarantineReason(a); q {
				out.Entries[at[a.Seq]].Quarantined = r
			}
		}
	}
	_, err := s.src.Read(ctx, product, 0, func(e domain.Event) error {
		if pos.Past(e) && !gate.Pending() {
			return errStop
		}
		last = e
		at[e.Seq] = len(out.Entries)
		out.Entries = append(out.Entries, LogEntry{Recorded: domain.Recorded{Seq: e.Seq, Event: e}})
		mark(gate.Admit(e))
		if _, ok := e.Data.(domain.Unknown); ok {
			out.Skipped++
			if out.FirstSkipped == 0 {
				out.FirstSkipped = e.Seq
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return Log{}, fmt.Errorf("read product %q: %w", product, err)
	}
	if pos.IsLatest() {
		mark(gate.Flush())
	}
	out.Product, out.Position = product, last.Seq
	out.Meta.Events = uint64(len(out.Entries))
	if !last.OccurredAt.IsZero() {
		at := last.OccurredAt.UTC()
		out.At = &at
	}
	if !pos.IsLatest() {
		out.AsOf = pos.String()
	}
	if out.Skipped > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%d event(s) this version cannot read (first at sequence %d): shown as they are, skipped by the projections", out.Skipped, out.FirstSkipped))
	}
	out.addTrust(gate)
	return out, nil
}

// CompareOptions are compare's options as the user wrote them.
type CompareOptions struct {
	PlannedAsOf, DeliveredAsOf, Period, Level string
}

// Compare returns the roadmap as planned at PlannedAsOf against what was
// delivered by DeliveredAsOf (default now).
func (s *Service) Compare(ctx context.Context, product string, o CompareOptions) (*Comparison, error) {
	if o.PlannedAsOf == "" {
		return nil, domain.Invalid("plannedAsOf", "plannedAsOf is required: the date the plan is taken from (for example 2026-04-01)")
	}
	t0, err := Pos("plannedAsOf", o.PlannedAsOf)
	if err != nil {
		return nil, err
	}
	t1, err := Pos("deliveredAsOf", o.DeliveredAsOf)
	if err != nil {
		return nil, err
	}
	if o.Period != "" {
		// The one period model: quarters, and the releases an import plans.
		if _, err := domain.ParsePeriod(o.Period); err != nil {
			return nil, domain.Invalid("period", "period %q is not a period: write it like 2026-Q2, or release:NAME for a release", o.Period)
		}
	}
	lv := replay.Level(o.Level)
	if lv == "" {
		lv = replay.LevelRoadmap
	}
	if lv != replay.LevelRoadmap && lv != replay.LevelItem {
		return nil, domain.Invalid("level", "level %q is not known: use roadmap or item", o.Level)
	}
	return replay.Compare(ctx, s.src, s.snaps, product, replay.CompareOptions{
		Planned: t0, Delivered: t1, Now: s.now(), Level: lv, Period: o.Period})
}

// Diff returns what changed between from and to (default now).
func (s *Service) Diff(ctx context.Context, product, from, to string) (*Changes, error) {
	if from == "" {
		return nil, domain.Invalid("from", "from is required: the earlier date (for example 2026-05-01)")
	}
	t0, err := Pos("from", from)
	if err != nil {
		return nil, err
	}
	t1, err := Pos("to", to)
	if err != nil {
		return nil, err
	}
	return replay.Diff(ctx, s.src, s.snaps, product, t0, t1)
}
