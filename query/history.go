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
	// SayDo is the saydo view: every period begun, against its own plan.
	SayDo = replay.SayDo
	// SayDoPeriod is one period of SayDo.
	SayDoPeriod = replay.SayDoPeriod
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

// LogEntry is one stored message of the log: its sequence and envelope
// and, when the validating fold refused it, why (the log shows every
// message, the views apply only the admitted events). A quarantined entry
// also names the subject it was stored on; one this version cannot read
// at all (bytes that are no envelope, a type it does not know) carries
// its bytes, in base64, and of its envelope only what could be read: an
// entry of bytes that are no envelope has only seq, subject, quarantined
// and raw.
type LogEntry struct {
	domain.Recorded
	Quarantined string `json:"quarantined,omitempty"`
	// StoredOn is the subject a quarantined entry was stored on.
	StoredOn string `json:"subject,omitempty"`
	// Raw is the stored bytes of an entry this version cannot read.
	Raw []byte `json:"raw,omitempty"`
}

// NewLogEntry is the entry of a stored event: quarantined for reason when
// it is not "", with its bytes when this version cannot read it.
func NewLogEntry(e domain.Event, reason string) LogEntry {
	l := LogEntry{Recorded: domain.Recorded{Seq: e.Seq, Event: e}}
	l.quarantine(reason)
	if u, ok := e.Data.(domain.Unknown); ok {
		l.Raw = u.Raw
		if e.Stored != nil && e.Stored.Data != nil {
			l.Raw = e.Stored.Data
		}
		if l.Raw == nil {
			l.Raw = []byte{}
		}
	}
	return l
}

// quarantine marks the entry refused for reason ("" leaves it as it is).
func (l *LogEntry) quarantine(reason string) {
	if reason == "" {
		return
	}
	l.Quarantined, l.StoredOn = reason, l.Subject()
	if l.Stored != nil && l.Stored.Subject != "" {
		l.StoredOn = l.Stored.Subject
	}
}

// logExtra is what an entry adds to the recorded event; Raw is nil when
// the entry has no bytes of its own, empty for a message of none.
type logExtra struct {
	Quarantined string  `json:"quarantined,omitempty"`
	StoredOn    string  `json:"subject,omitempty"`
	Raw         *[]byte `json:"raw,omitempty"`
}

// MarshalJSON writes the recorded event (only its sequence for bytes that
// are no envelope), then the quarantine reason, subject and bytes.
func (l LogEntry) MarshalJSON() ([]byte, error) {
	var b []byte
	if _, unreadable := l.Data.(domain.Unknown); unreadable && l.Type == "" {
		b = fmt.Appendf(nil, `{"seq":%d}`, l.Seq)
	} else {
		var err error
		if b, err = json.Marshal(l.Recorded); err != nil {
			return nil, err
		}
	}
	x := logExtra{Quarantined: l.Quarantined, StoredOn: l.StoredOn}
	if l.Raw != nil {
		x.Raw = &l.Raw
	}
	if x == (logExtra{}) {
		return b, nil
	}
	e, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	return append(append(append(b[:len(b)-1:len(b)-1], ','), e[1:len(e)-1]...), '}'), nil
}

// UnmarshalJSON reads what MarshalJSON wrote. An entry with its bytes is
// decoded from them, as it was read from the stream.
func (l *LogEntry) UnmarshalJSON(b []byte) error {
	var x struct {
		logExtra
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*l = LogEntry{Quarantined: x.Quarantined, StoredOn: x.StoredOn}
	if x.Raw != nil {
		raw := *x.Raw
		e, _ := domain.Decode(raw) // this version cannot read it: an Unknown payload
		e.Seq = x.Seq
		e.Stored = &domain.Stored{Subject: x.StoredOn, Data: raw}
		l.Recorded, l.Raw = domain.Recorded{Seq: x.Seq, Event: e}, raw
		if l.Raw == nil {
			l.Raw = []byte{}
		}
		return nil
	}
	if err := l.Recorded.UnmarshalJSON(b); err != nil {
		return err
	}
	if x.StoredOn != "" {
		l.Stored = &domain.Stored{Subject: x.StoredOn}
	}
	return nil
}

// errStop ends a read early.
var errStop = errors.New("stop")

// strayReader is what Log reads, when the source offers it, beside the
// product's events; *eventstore.Store has it.
type strayReader interface {
	// ReadStrays calls fn, in order, for every message stored on the
	// subject ledger.<product> itself, where no event of the product is
	// ever stored; it stops at fn's first error and returns it.
	ReadStrays(ctx context.Context, product string, fn func(domain.Event) error) error
}

// Log returns the product's events up to pos, and every other message of
// its subjects: each one the validating fold refuses (events this version
// cannot read among them) is marked with the reason, and so is any message
// stored on ledger.<product> itself, which no reader of the product folds.
func (s *Service) Log(ctx context.Context, product string, pos Position) (Log, error) {
	out := Log{Entries: []LogEntry{}}
	var last domain.Event
	var stop uint64 // the first sequence past pos, 0 when none was read
	// The log shows every event, and marks those the validating fold
	// refuses, with the same verdicts as every view.
	gate := projections.NewGate()
	at := map[uint64]int{}
	mark := func(evs []domain.Event) {
		for _, a := range evs {
			if r, q := domain.QuarantineReason(a); q {
				out.Entries[at[a.Seq]].quarantine(r)
			}
		}
	}
	_, err := s.src.Read(ctx, product, 0, func(e domain.Event) error {
		if pos.Past(e) && !gate.Pending() {
			stop = e.Seq
			return errStop
		}
		last = e
		at[e.Seq] = len(out.Entries)
		out.Entries = append(out.Entries, NewLogEntry(e, ""))
		mark(gate.Admit(e))
		if _, ok := e.Data.(domain.Unknown); ok {
			out.count(e.Seq)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return Log{}, fmt.Errorf("read product %q: %w", product, err)
	}
	if pos.IsLatest() {
		mark(gate.Flush())
	}
	strays, err := s.strays(ctx, product, pos, stop)
	if err != nil {
		return Log{}, err
	}
	for _, e := range strays {
		out.Entries = append(out.Entries, e)
		if _, ok := e.Data.(domain.Unknown); ok {
			out.count(e.Seq)
		}
	}
	if len(strays) > 0 {
		sort.SliceStable(out.Entries, func(i, j int) bool { return out.Entries[i].Seq < out.Entries[j].Seq })
		out.FirstSkipped = 0
		for _, e := range out.Entries {
			if _, ok := e.Data.(domain.Unknown); ok {
				out.FirstSkipped = e.Seq
				break
			}
		}
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
	out.addTrustWith(gate, strayQuarantine(strays))
	return out, nil
}

// count counts an entry this version cannot read.
func (l *Log) count(seq uint64) {
	l.Skipped++
	if l.FirstSkipped == 0 {
		l.FirstSkipped = seq
	}
}

// strays reads the messages stored on ledger.<product> up to pos (before
// stop, the first sequence of the product past pos, when not 0), each
// marked quarantined with the reason domain.Screen gives.
func (s *Service) strays(ctx context.Context, product string, pos Position, stop uint64) ([]LogEntry, error) {
	r, ok := s.src.(strayReader)
	if !ok {
		return nil, nil
	}
	var out []LogEntry
	err := r.ReadStrays(ctx, product, func(e domain.Event) error {
		if (stop != 0 && e.Seq >= stop) || pos.Past(e) {
			return errStop
		}
		reason := domain.Screen(e, product)
		if reason == "" {
			reason = fmt.Sprintf("stored on ledger.%s, where no event of the product is", product)
		}
		out = append(out, NewLogEntry(e, reason))
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("read the messages on ledger.%s: %w", product, err)
	}
	return out, nil
}

// strayQuarantine lists stray entries as views list quarantined events.
func strayQuarantine(strays []LogEntry) []projections.Quarantine {
	var out []projections.Quarantine
	for _, e := range strays {
		out = append(out, projections.Quarantine{Seq: e.Seq, Type: e.Type, Subject: e.StoredOn, Actor: e.Actor.ID, Reason: e.Quarantined})
	}
	return out
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
		// The one period model: calendar periods, and releases.
		if _, err := domain.ParsePeriod(o.Period); err != nil {
			return nil, err
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

// SayDo returns the say/do ratio of every period on the roadmap at pos
// that has begun by then, each against its own plan (see replay.SayDoOf).
func (s *Service) SayDo(ctx context.Context, product string, pos Position) (*SayDo, error) {
	return replay.SayDoOf(ctx, s.src, s.snaps, product, pos, s.now())
}

// Diff returns what changed in [from, to) (to default now): the ledger
// just before from against the ledger just before to, a bare date being
// midnight UTC at its start on either end (see RangeRule), or seq:N.
func (s *Service) Diff(ctx context.Context, product, from, to string) (*Changes, error) {
	if from == "" {
		return nil, domain.Invalid("from", "from is required: the earlier date (for example 2026-05-01)")
	}
	t0, err := rangePosition("from", from)
	if err != nil {
		return nil, err
	}
	t1, err := rangePosition("to", to)
	if err != nil {
		return nil, err
	}
	return replay.Diff(ctx, s.src, s.snaps, product, t0, t1)
}
