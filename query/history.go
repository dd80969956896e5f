package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

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
	Page
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
	Page
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
	return s.LogPage(ctx, product, pos, 0, 0)
}

// LogPage is one page of Log: the entries after the stream sequence
// after, at most limit of them (0: all), and a few more when the last
// one opens an atomic decision (a page never splits one). Its Next is the
// cursor of the page after it. The validating fold is restored where
// the page before ended (when this process answered it lately, see
// logGates), else from the nearest snapshot before after, so that each
// entry carries the same verdict as in the whole log, and a page after
// another costs its own entries, not the history before it.
func (s *Service) LogPage(ctx context.Context, product string, pos Position, after uint64, limit int) (Log, error) {
	var out Log
	err := s.logPages(ctx, product, pos, after, limit, true, func(l Log) error {
		out = l
		return errStop // one page
	})
	if err != nil && !errors.Is(err, errStop) {
		return Log{}, err
	}
	return out, nil
}

// logPages reads the log after the stream sequence after, up to pos, in
// one pass, and calls fn with each page of limit entries (0: one page of
// all of them) in turn; it stops at fn's first error and returns it.
//
// keep remembers the validating fold at the end of each page but the
// last, for the request of the next page: a caller that asks for one page
// at a time (LogPage) keeps it; one that reads on (Pages) needs not.
func (s *Service) logPages(ctx context.Context, product string, pos Position, after uint64, limit int, keep bool, fn func(Log) error) error {
	if limit < 0 {
		return domain.Malformed("limit", "limit must be 0 (the whole list) or more, not %d", limit)
	}
	// The log shows every event, and marks those the validating fold
	// refuses, with the same verdicts as every view: the fold starts where
	// it stood at the cursor.
	gate, from, unread, err := s.gateAt(ctx, product, after)
	if err != nil {
		return err
	}
	strays, err := s.strays(ctx, product, pos)
	if err != nil {
		return err
	}
	page := Log{Entries: []LogEntry{}}
	at := map[uint64]int{}
	var last domain.Event // the last event of the page
	var stop uint64       // the first sequence past pos, 0 when none was read
	begin := after        // the page holds what lies past begin
	mark := func(evs []domain.Event) {
		for _, a := range evs {
			if r, q := domain.QuarantineReason(a); q {
				if i, ok := at[a.Seq]; ok {
					page.Entries[i].quarantine(r)
				}
			}
		}
	}
	emit := func(next bool) error {
		end := last.Seq
		var mine, upTo []LogEntry // the page's strays; every one up to its end
		for _, e := range strays {
			if (next && e.Seq <= end) || (!next && (stop == 0 || e.Seq < stop)) {
				upTo = append(upTo, e)
				if e.Seq > begin {
					mine = append(mine, e)
				}
			}
		}
		page.finish(product, pos, last, gate, mine, upTo, unread)
		if next {
			page.Next = strconv.FormatUint(end, 10)
			if keep {
				// The next page goes on from here (see logGates).
				if err := s.gates.put(product, end, gate, unread); err != nil {
					return fmt.Errorf("read product %q: %w", product, err)
				}
			}
		}
		err := fn(page)
		begin = end
		page, at = Log{Entries: []LogEntry{}}, map[uint64]int{}
		return err
	}
	_, err = s.src.Read(ctx, product, from, func(e domain.Event) error {
		if pos.Past(e) && !gate.Pending() {
			stop = e.Seq
			return errStop
		}
		if e.Seq <= after {
			gate.Admit(e) // before the page: only the fold's state, and what cannot be read
			if _, ok := e.Data.(domain.Unknown); ok {
				unread.count(e.Seq)
			}
			return nil
		}
		if limit > 0 && len(page.Entries) >= limit && !gate.Pending() {
			if err := emit(true); err != nil {
				return pageError{err}
			}
		}
		last = e
		at[e.Seq] = len(page.Entries)
		page.Entries = append(page.Entries, NewLogEntry(e, ""))
		mark(gate.Admit(e))
		return nil
	})
	var pe pageError
	switch {
	case errors.As(err, &pe):
		return pe.err // fn's own
	case err != nil && !errors.Is(err, errStop):
		return fmt.Errorf("read product %q: %w", product, err)
	}
	if pos.IsLatest() {
		mark(gate.Flush())
	}
	return emit(false)
}

// pageError carries an error of logPages' fn through the read.
type pageError struct{ err error }

func (e pageError) Error() string { return e.err.Error() }

// finish sets the page's meta and merges in the strays of its range
// (mine), by sequence. Its meta is the log's up to its end, as the whole
// log up to there would say it: the entries it holds, where it stopped,
// and what the validating fold and the strays up to its end (upTo) found,
// the entries this version cannot read counted from the first (those
// before the page in unread, which counts on).
func (l *Log) finish(product string, pos Position, last domain.Event, gate *projections.Gate, mine, upTo []LogEntry, unread *Log) {
	l.Entries = append(l.Entries, mine...)
	if len(mine) > 0 {
		sort.SliceStable(l.Entries, func(i, j int) bool { return l.Entries[i].Seq < l.Entries[j].Seq })
	}
	for _, e := range l.Entries {
		if _, ok := e.Data.(domain.Unknown); ok {
			unread.count(e.Seq)
		}
	}
	l.Skipped, l.FirstSkipped = unread.Skipped, unread.FirstSkipped
	l.Product, l.Position = product, last.Seq
	l.Meta.Events = uint64(len(l.Entries))
	if !last.OccurredAt.IsZero() {
		at := last.OccurredAt.UTC()
		l.At = &at
	}
	if !pos.IsLatest() {
		l.AsOf = pos.String()
	}
	l.addTrustWith(gate, strayQuarantine(upTo))
}

// gateAt returns the validating fold as it stood after the product's
// events up to the stream sequence after, the sequence of the last of
// them, and a Log that counts the events among them this version cannot
// read: restored from the nearest views snapshot, and stepped back when
// after falls inside an atomic decision (an as-of answer holds a decision
// whole), so that the events after it are judged as the whole log judges
// them. After 0 is a fold of nothing.
func (s *Service) gateAt(ctx context.Context, product string, after uint64) (*projections.Gate, uint64, *Log, error) {
	if g, unread, ok := s.gates.get(product, after); ok {
		return g, after, unread, nil // where the page before ended
	}
	before := &Log{} // counts what this version cannot read up to there
	for at := after; at > 0; at-- {
		v, _, err := replay.AsOfViewsOf(ctx, s.src, s.snaps, product, replay.AtSeq(at), replay.MemberRoadmap)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("read product %q: %w", product, err)
		}
		if v.Position() <= after {
			before.Skipped, before.FirstSkipped = v.Skipped()
			return v.Gate, v.Position(), before, nil
		}
	}
	return projections.NewGate(), 0, before, nil
}

// count counts an entry this version cannot read.
func (l *Log) count(seq uint64) {
	l.Skipped++
	if l.FirstSkipped == 0 {
		l.FirstSkipped = seq
	}
}

// strays reads the messages stored on ledger.<product> up to pos, each
// marked quarantined with the reason domain.Screen gives.
func (s *Service) strays(ctx context.Context, product string, pos Position) ([]LogEntry, error) {
	r, ok := s.src.(strayReader)
	if !ok {
		return nil, nil
	}
	var out []LogEntry
	err := r.ReadStrays(ctx, product, func(e domain.Event) error {
		if pos.Past(e) {
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
