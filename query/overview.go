package query

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// Overview is the overview view: what a dashboard shows first. Say/do per
// period, the request funnel, the median time to a decision, the items
// re-ranked most and the latest decisions; Meta counts the quarantined
// events.
type Overview struct {
	Meta
	// SayDo is the saydo view as of the same position; SayDoError says
	// why it could not be given (the rest of the overview stands).
	SayDo      *SayDo `json:"saydo,omitempty"`
	SayDoError string `json:"saydoError,omitempty"`
	// Requests is how many requests were submitted; Funnel how many stand
	// in each status (RequestStatuses' order); Reasons how many of the
	// rejected ones were turned down for each reason code, by code.
	Requests int           `json:"requests"`
	Funnel   []StatusCount `json:"funnel"`
	Reasons  []ReasonCount `json:"reasons"`
	// Decided is how many requests had a first decision (accept, reject
	// or defer), and MedianWait the median time they waited for it (nil
	// while none had), in seconds and in words.
	Decided           int      `json:"decided"`
	MedianWaitSeconds *float64 `json:"medianWaitSeconds,omitempty"`
	MedianWait        string   `json:"medianWait,omitempty"`
	// Churn are the ChurnTop items (backlog or roadmap) with the most rank
	// decisions, most first, ties by id.
	Churn []Churn `json:"churn"`
	// Latest are the LatestDecisions latest decisions (events with a why),
	// the latest first.
	Latest []LogEntry `json:"latest"`
}

// StatusCount is how many requests stand in a status.
type StatusCount struct {
	Status string `json:"status"`
	Count  int    `json:"count"`
}

// ReasonCount is how many rejected requests were turned down for a reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// Churn is how many rank decisions were taken about an item.
type Churn struct {
	ID    string `json:"id"`
	Count int    `json:"count"`
}

// Metrics is the metrics view: the product's events by type (every event
// stored, quarantined ones too, once its decision's events are all in),
// and how long requests waited for their first decision.
type Metrics struct {
	Meta
	Types map[string]int   `json:"types"`
	Waits WaitDistribution `json:"waits"`
}

// WaitDistribution is how long requests waited for their first decision:
// per bound of WaitBuckets, how many waited at most that long
// (cumulative, as a Prometheus histogram counts), and the count and sum
// of all of them.
type WaitDistribution struct {
	Buckets    []WaitBucket `json:"buckets"`
	Count      int          `json:"count"`
	SumSeconds float64      `json:"sumSeconds"`
}

// WaitBucket is one bound of a WaitDistribution.
type WaitBucket struct {
	LeSeconds float64 `json:"le"`
	Count     uint64  `json:"count"`
}

// QuarantinedEvent is an event the validating fold refused, with why.
type QuarantinedEvent = projections.Quarantine

// Quarantine is the quarantine view: the events of the product the
// validating fold refused (no rule allowed them: a forgery, an event
// published around the ledger, bytes that are no event), and the messages
// stored where no event of the product is. They are in the stream, and
// no view applies them. Meta.Quarantined counts all of them; Entries
// lists the first projections.MaxListedQuarantine by sequence (the Meta
// leaves its own list out: it is this one).
type Quarantine struct {
	Meta
	Entries []QuarantinedEvent `json:"entries"`
}

// withTally runs fn on the product's running figures as of pos: the live
// ones for now (once the transparency log they are built with is
// attached), else folded from the stream, as the transparency log is.
func (s *Service) withTally(ctx context.Context, product string, pos replay.Position, minSeq uint64, fn func(t *tally)) (Meta, error) {
	var meta Meta
	done := false
	if s.live != nil && s.fromLive(ctx, product, pos, minSeq, func(set *projections.Set, m Meta) {
		if t := s.live.tallyOf(product, set); t != nil {
			meta, done = m, true
			fn(t)
		}
	}) && done {
		return meta, nil
	}
	f := newTallyFold()
	res, err := replay.AsOfInto(ctx, s.src, nil, product, pos, f)
	if err != nil {
		return Meta{}, fmt.Errorf("read product %q: %w", product, err)
	}
	if meta, err = s.meta(res, 0, 0, pos); err != nil {
		return Meta{}, err
	}
	meta.addTrust(f.gate)
	fn(f.t)
	return meta, nil
}

// Overview answers the overview view as of pos. From live projections
// its cost does not grow with the history but for say/do, which is
// answered from snapshots per period.
func (s *Service) Overview(ctx context.Context, product string, pos replay.Position, minSeq uint64) (*Overview, error) {
	out := &Overview{}
	var promised uint64
	meta, err := s.withTally(ctx, product, pos, minSeq, func(t *tally) {
		promised = t.promised
		for _, st := range RequestStatuses {
			n := t.status[domain.RequestStatus(st)]
			out.Funnel = append(out.Funnel, StatusCount{st, n})
		}
		out.Requests = len(t.requests)
		for r, n := range t.reasons {
			out.Reasons = append(out.Reasons, ReasonCount{string(r), n})
		}
		sort.Slice(out.Reasons, func(i, j int) bool { return out.Reasons[i].Reason < out.Reasons[j].Reason })
		if m, n, ok := t.median(); ok {
			out.Decided, out.MedianWaitSeconds = n, &m
			out.MedianWait = Span(time.Duration(m * float64(time.Second)))
		}
		out.Churn = append([]Churn{}, t.top...)
		out.Latest = t.latestDecisions()
	})
	if err != nil {
		return nil, err
	}
	// The messages stored where no event of the product is count as the
	// log counts them (their subject alone is read).
	strays, err := s.strays(ctx, product, pos)
	if err != nil {
		return nil, err
	}
	meta.addStrays(strayQuarantine(strays))
	out.Meta = meta
	if out.Reasons == nil {
		out.Reasons = []ReasonCount{}
	}
	if sd, err := s.overviewSayDo(ctx, product, pos, meta, promised); err != nil {
		out.SayDoError = err.Error()
	} else {
		out.SayDo = sd
	}
	return out, nil
}

// overviewSayDo is the saydo view for the overview. With live
// projections it is kept per product while the day holds and no event
// that can change it (domain.Promises) has been folded since,
// promised being the last one that could: say/do compares each period's
// plan with what was delivered, reading the history around each
// period's start, which costs more the longer the history, and most
// decisions (ranks, estimates, starts, the fate of requests) change
// neither. Between two that can, a dashboard's answers are the kept one
// with its delivered side moved to the view's position; one that can
// (or a new day, when a period may begin) computes it again, once.
func (s *Service) overviewSayDo(ctx context.Context, product string, pos replay.Position, meta Meta, promised uint64) (*SayDo, error) {
	if !pos.IsLatest() || s.live == nil {
		return s.SayDo(ctx, product, pos)
	}
	day := s.now().UTC().Truncate(24 * time.Hour)
	if sd, ok := s.sayDo.get(product, promised, day); ok {
		if sd.Delivered.Seq == meta.Position {
			return sd, nil
		}
		moved := *sd
		moved.Delivered.Seq, moved.Delivered.At, moved.Delivered.Events = meta.Position, meta.At, meta.Events
		moved.Delivered.Replayed, moved.Delivered.Snapshot, moved.Delivered.Warnings = 0, nil, nil
		return &moved, nil
	}
	// For now, as the saydo view answers it (periods begun by today),
	// from the spans kept since the last answer: only the events stored
	// since are read. An event that can change it stored meanwhile comes
	// with a later promised, which asks again.
	sd, err := s.sayDo.live(product).Answer(ctx, s.src, s.snaps, s.now())
	if err != nil {
		return nil, err
	}
	s.sayDo.put(product, promised, day, sd)
	return sd, nil
}

// sayDoCache holds one say/do answer per product: the latest asked for,
// with the last event that could change it when it was worked out.
// Answers are shared and must not be changed. Safe for concurrent use.
type sayDoCache struct {
	mu sync.Mutex
	m  map[string]sayDoEntry
	// worked is how many answers were worked out (and kept).
	worked int
	// spans holds each product's say/do spans between two answers.
	spans map[string]*replay.SayDoLive
}

// live returns product's live say/do.
func (c *sayDoCache) live(product string) *replay.SayDoLive {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spans == nil {
		c.spans = map[string]*replay.SayDoLive{}
	}
	l := c.spans[product]
	if l == nil {
		l = replay.NewSayDoLive(product)
		c.spans[product] = l
	}
	return l
}

type sayDoEntry struct {
	promised uint64
	day      time.Time
	v        *SayDo
}

func (c *sayDoCache) get(product string, promised uint64, day time.Time) (*SayDo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[product]
	if !ok || e.promised != promised || !e.day.Equal(day) {
		return nil, false
	}
	return e.v, true
}

func (c *sayDoCache) put(product string, promised uint64, day time.Time, v *SayDo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]sayDoEntry{}
	}
	c.m[product] = sayDoEntry{promised, day, v}
	c.worked++
}

// ProductMetrics answers the metrics view as of pos.
func (s *Service) ProductMetrics(ctx context.Context, product string, pos replay.Position, minSeq uint64) (Metrics, error) {
	out := Metrics{Types: map[string]int{}}
	meta, err := s.withTally(ctx, product, pos, minSeq, func(t *tally) {
		for ty, n := range t.types {
			out.Types[ty] = n
		}
		var cum uint64
		for i, le := range WaitBuckets {
			cum += t.buckets[i]
			out.Waits.Buckets = append(out.Waits.Buckets, WaitBucket{le, cum})
		}
		out.Waits.Count, out.Waits.SumSeconds = t.low.Len()+t.high.Len(), t.waitSum
	})
	if err != nil {
		return Metrics{}, err
	}
	out.Meta = meta
	return out, nil
}

// Quarantined answers the quarantine view as of pos: the validating
// fold's list, kept by the views (and their snapshots), and the strays.
func (s *Service) Quarantined(ctx context.Context, product string, pos replay.Position, minSeq uint64) (Quarantine, error) {
	meta, err := s.withViewsOf(ctx, product, pos, minSeq, replay.MemberRequests, func(*replay.Views) {})
	if err != nil {
		return Quarantine{}, err
	}
	strays, err := s.strays(ctx, product, pos)
	if err != nil {
		return Quarantine{}, err
	}
	meta.addStrays(strayQuarantine(strays))
	out := Quarantine{Entries: append([]QuarantinedEvent{}, meta.QuarantinedEvents...)}
	meta.QuarantinedEvents = nil
	out.Meta = meta
	return out, nil
}
