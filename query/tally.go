package query

import (
	"container/heap"
	"errors"
	"sort"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// The running figures of the overview and metrics views. A tally folds
// the events a Set folds (through the same validating fold) and keeps
// only what those views need, in state whose size follows the product's
// items and requests, and answers in time that does not grow with the
// history: every count kept as it changes, the churned items ranked as
// ranks are decided, a ring of the latest decisions, the waits in two
// heaps whose tops are the median.

// ChurnTop is how many of the most re-ranked items the overview lists,
// and LatestDecisions how many of the latest decisions.
const (
	ChurnTop        = 6
	LatestDecisions = 8
)

// WaitBuckets are the upper bounds, in seconds, of the first-decision
// wait distribution the metrics view gives (an hour to ninety days).
var WaitBuckets = []float64{3600, 4 * 3600, 24 * 3600, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 90 * 86400}

type tally struct {
	types map[string]int // every event folded, quarantined ones too, by type
	// requests' status and reason now, and the time each was submitted
	// (until its first decision: the wait is taken then).
	requests map[string]*tallyRequest
	status   map[domain.RequestStatus]int
	reasons  map[domain.ReasonCode]int // of the requests rejected now
	// waits: how long each decided request waited for its first decision.
	low, high waitHeap // low is a max-heap (negated), high a min-heap
	buckets   []uint64 // per WaitBuckets, not cumulative
	waitSum   float64
	// ranks: rank decisions per item, and the ChurnTop most re-ranked.
	ranks map[string]int
	top   []Churn
	// latest: a ring of the last LatestDecisions decisions, next the slot
	// the next one goes in.
	latest []domain.Event
	next   int
	seq    uint64 // the last sequence folded
	// promised is the sequence of the last event folded that can change
	// say/do (domain.Promises): the overview keeps its say/do while it
	// holds.
	promised uint64
}

type tallyRequest struct {
	status    domain.RequestStatus
	reason    domain.ReasonCode
	submitted time.Time
	waited    bool
}

func newTally() *tally {
	return &tally{types: map[string]int{}, requests: map[string]*tallyRequest{}, status: map[domain.RequestStatus]int{},
		reasons: map[domain.ReasonCode]int{}, ranks: map[string]int{}, buckets: make([]uint64, len(WaitBuckets))}
}

// apply folds one event the validating fold passed (or quarantined).
func (t *tally) apply(e domain.Event) {
	t.seq = max(t.seq, e.Seq)
	t.types[e.Type]++
	if _, q := domain.QuarantineReason(e); q {
		return // refused: no decision at all
	}
	if _, unknown := e.Data.(domain.Unknown); unknown {
		t.promised = e.Seq // what it changes is not known
		return
	}
	if domain.Promises(e) {
		t.promised = e.Seq
	}
	id := e.Aggregate.ID
	switch e.Data.(type) {
	case domain.RequestSubmitted:
		if id != "" && t.requests[id] == nil {
			t.requests[id] = &tallyRequest{status: domain.StatusPending, submitted: e.OccurredAt}
			t.status[domain.StatusPending]++
		}
	case domain.RequestAccepted:
		t.decide(id, domain.StatusAccepted, e)
	case domain.RequestRejected:
		t.decide(id, domain.StatusRejected, e)
	case domain.RequestDeferred:
		t.decide(id, domain.StatusDeferred, e)
	case domain.RequestWithdrawn:
		t.decide(id, domain.StatusWithdrawn, e)
	}
	if spec, _ := domain.SpecOf(e.Type); spec.Ranks {
		t.rank(id) // churn: every rank decision the catalogue names
	}
	if e.Why != "" {
		if len(t.latest) < LatestDecisions {
			t.latest = append(t.latest, e)
		} else {
			t.latest[t.next] = e
		}
		t.next = (t.next + 1) % LatestDecisions
	}
}

// decide moves a request to its new status, as the Requests fold does,
// taking its wait at its first accept, reject or defer.
func (t *tally) decide(id string, status domain.RequestStatus, e domain.Event) {
	r := t.requests[id]
	if r == nil {
		return
	}
	t.status[r.status]--
	if r.status == domain.StatusRejected {
		t.reasons[r.reason]--
		if t.reasons[r.reason] == 0 {
			delete(t.reasons, r.reason)
		}
	}
	r.status, r.reason = status, e.Reason
	t.status[status]++
	if status == domain.StatusRejected {
		t.reasons[e.Reason]++
	}
	if !r.waited && status != domain.StatusWithdrawn {
		r.waited = true
		t.wait(e.OccurredAt.Sub(r.submitted).Seconds())
	}
}

func (t *tally) wait(secs float64) {
	if t.low.Len() == 0 || secs <= -t.low[0] {
		heap.Push(&t.low, -secs)
	} else {
		heap.Push(&t.high, secs)
	}
	switch {
	case t.low.Len() > t.high.Len()+1:
		heap.Push(&t.high, -heap.Pop(&t.low).(float64))
	case t.high.Len() > t.low.Len():
		heap.Push(&t.low, -heap.Pop(&t.high).(float64))
	}
	t.waitSum += secs
	if i := sort.SearchFloat64s(WaitBuckets, secs); i < len(t.buckets) {
		t.buckets[i]++
	}
}

// median is the median wait and how many requests waited; ok is false
// when none did.
func (t *tally) median() (secs float64, n int, ok bool) {
	n = t.low.Len() + t.high.Len()
	switch {
	case n == 0:
		return 0, 0, false
	case n%2 == 1:
		return -t.low[0], n, true
	}
	return (-t.low[0] + t.high[0]) / 2, n, true
}

// rank counts a rank decision about id and keeps the ChurnTop items
// ranked most (ties by id): counts only grow, so an item enters the top
// only when its own count grows, in the place of the last.
func (t *tally) rank(id string) {
	t.ranks[id]++
	c := Churn{ID: id, Count: t.ranks[id]}
	i := -1
	for j := range t.top {
		if t.top[j].ID == id {
			i = j
		}
	}
	switch {
	case i >= 0:
		t.top[i] = c
	case len(t.top) < ChurnTop:
		t.top = append(t.top, c)
	case churnBefore(c, t.top[len(t.top)-1]):
		t.top[len(t.top)-1] = c
	default:
		return
	}
	sort.Slice(t.top, func(a, b int) bool { return churnBefore(t.top[a], t.top[b]) })
}

func churnBefore(a, b Churn) bool {
	if a.Count != b.Count {
		return a.Count > b.Count
	}
	return a.ID < b.ID
}

// latestDecisions returns the ring's decisions, the latest first.
func (t *tally) latestDecisions() []LogEntry {
	out := []LogEntry{}
	for i := 1; i <= len(t.latest); i++ {
		out = append(out, NewLogEntry(t.latest[(t.next-i+2*LatestDecisions)%len(t.latest)], ""))
	}
	return out
}

// waitHeap is a heap of seconds.
type waitHeap []float64

func (h waitHeap) Len() int           { return len(h) }
func (h waitHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h waitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *waitHeap) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *waitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// tallyFold is a tally behind a validating fold of its own, as a
// projection: what answers the overview and metrics from the stream when
// there are no live projections (or as of a position). It has no
// snapshot: it folds from the first event.
type tallyFold struct {
	t    *tally
	gate *projections.Gate
	pos  uint64
}

func newTallyFold() *tallyFold { return &tallyFold{t: newTally(), gate: projections.NewGate()} }

func (f *tallyFold) Apply(e domain.Event) {
	if e.Seq <= f.pos {
		return
	}
	f.pos = e.Seq
	for _, a := range f.gate.Admit(e) {
		f.t.apply(a)
	}
}

func (f *tallyFold) Reset()           { *f = *newTallyFold() }
func (f *tallyFold) Position() uint64 { return f.pos }
func (f *tallyFold) Version() string  { return "tally/1" }

func (f *tallyFold) MarshalSnapshot() ([]byte, error) {
	return nil, errors.New("the overview's tally keeps no snapshot")
}

func (f *tallyFold) UnmarshalSnapshot([]byte) error {
	return errors.New("the overview's tally keeps no snapshot")
}
