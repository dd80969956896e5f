package projections

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/decisionledger/ledger/domain"
)

// LogVersion is the version of the transparency Log fold. It embeds the
// versions of the folds the Log reuses, so a change to any of them
// invalidates Log snapshots too.
const LogVersion = "log/1+" + BacklogVersion + "+" + RoadmapVersion + "+" + RequestsVersion

// Decision is one link in an item's chain of decisions: who decided, in
// which role, when, what changed and why.
type Decision struct {
	Citation
	EventID string            `json:"eventId,omitempty"`
	Reason  domain.ReasonCode `json:"reason,omitempty"`
	// Changes says what changed, in words: "rank 5 -> 2", "period
	// 2026-Q2 -> 2026-Q3", "status new -> in-progress".
	Changes []string `json:"changes"`
	Links   *Links   `json:"links,omitempty"`
	// OverridesScore lists, on a rank decision, the items it jumped over
	// although their score in the same framework was higher.
	OverridesScore []Override `json:"overridesScore,omitempty"`
	// Score is, on a rank decision that carried a score, that score with
	// its computed value.
	Score *Score `json:"score,omitempty"`
	// Via is set on a roadmap item's chain when the decision was about a
	// backlog item serving it: the id of that backlog item.
	Via string `json:"via,omitempty"`
}

// Links are the other aggregates a decision's subject is tied to.
type Links struct {
	// Request is the request a backlog item came from.
	Request string `json:"request,omitempty"`
	// Item is the backlog item a request became.
	Item    string `json:"item,omitempty"`
	Epic    string `json:"epic,omitempty"`
	Roadmap string `json:"roadmap,omitempty"`
	// Repeats is the earlier request a request submits again.
	Repeats string `json:"repeats,omitempty"`
}

// Log is the transparency log: for every backlog item, roadmap item,
// request and product, the complete ordered chain of decisions. It keeps
// its own Backlog, Roadmap and Requests to tell what each decision
// changed. The zero value is empty and ready to use.
//
// Inside a Set the Log shares the Set's Backlog, Roadmap and Requests
// instead (the Set folds each event once, through the Log), so every rank
// is computed once.
type Log struct {
	st       logState
	backlog  *Backlog
	roadmap  *Roadmap
	requests *Requests
}

type logState struct {
	Cursor   cursor
	Chains   map[chainRef]*chain
	Products map[string]*product
	// book holds what the chains' encoded decisions refer to.
	book book
}

// chainRef names a chain: a snapshot keys it by kind/id (chainKey).
type chainRef struct {
	kind domain.AggregateKind
	id   string
}

// chain is the decisions about one aggregate, encoded (logbook.go).
type chain struct {
	Kind  domain.AggregateKind
	ID    string
	n     int    // decisions
	recs  []byte // their encoding
	Churn int
}

// logStateJSON is logState as a snapshot writes it, with every decision
// in full.
type logStateJSON struct {
	Cursor cursor `json:"cursor"`
	// Chains are keyed by kind/id.
	Chains   map[string]*chainJSON `json:"chains"`
	Products map[string]*product   `json:"products"`
}

type chainJSON struct {
	Kind      domain.AggregateKind `json:"kind"`
	ID        string               `json:"id"`
	Decisions []Decision           `json:"decisions"`
	Churn     int                  `json:"churn,omitempty"`
}

// product is what the Log needs of a product to say what changed.
type product struct {
	Name    string   `json:"name,omitempty"`
	Vision  string   `json:"vision,omitempty"`
	Metrics []string `json:"metrics,omitempty"`
	Goal    string   `json:"goal,omitempty"`
}

var _ Projection = (*Log)(nil)

// LogAt returns a transparency log that starts from the backlog, roadmap
// and requests as they stood at some position, with no chains yet: each
// decision applied from then on says what it changed against that state
// in the same words as a log folded from the first event (the product's
// vision and goal aside, which it does not know). It takes the three
// over; the caller must not use them afterwards. It lets one aggregate's
// decisions be told from snapshots without folding the whole history.
func LogAt(b *Backlog, r *Roadmap, q *Requests) *Log {
	l := &Log{backlog: b, roadmap: r, requests: q}
	l.st.book.order.state = orderOff // no history of the order before b
	return l
}

// NewLog returns an empty transparency log.
func NewLog() *Log { return &Log{} }

// sharedLog returns an empty log that folds into the given projections,
// which must stand where the log stands (all empty, here).
func sharedLog(b *Backlog, r *Roadmap, q *Requests) *Log {
	return &Log{backlog: b, roadmap: r, requests: q}
}

// shares reports whether the log folds into exactly these projections.
func (l *Log) shares(b *Backlog, r *Roadmap, q *Requests) bool {
	return l.backlog == b && l.roadmap == r && l.requests == q
}

// init gives a zero Log its own folds.
func (l *Log) init() {
	if l.backlog == nil {
		l.backlog = NewBacklog()
	}
	if l.roadmap == nil {
		l.roadmap = NewRoadmap()
	}
	if l.requests == nil {
		l.requests = NewRequests()
	}
}

// Version returns LogVersion.
func (l *Log) Version() string { return LogVersion }

// Reset empties the log.
func (l *Log) Reset() {
	l.st = logState{}
	l.init()
	l.backlog.Reset()
	l.roadmap.Reset()
	l.requests.Reset()
}

// Position is the Seq of the last event applied, 0 if none.
func (l *Log) Position() uint64 { return l.st.Cursor.Pos }

// Skipped returns how many events had a payload this version cannot read,
// and the Seq of the first of them.
func (l *Log) Skipped() (count int, firstSeq uint64) {
	return l.st.Cursor.Skipped, l.st.Cursor.FirstSkipped
}

// Apply folds one event into the log.
func (l *Log) Apply(e domain.Event) {
	l.init()
	if o := &l.st.book.order; o.state == orderUndecided {
		// Follow the open order from here: a log folded from the first
		// event starts from an empty one.
		o.start()
		if open := l.backlog.st.Open; len(open) > 0 {
			l.st.book.resetOrder(open)
		}
	}
	if !l.st.Cursor.admit(e) {
		// The folds skip and count what the log skips.
		l.fold(e)
		return
	}
	// Each decision goes on the chain of its type's kind of aggregate.
	id := e.Aggregate.ID
	switch domain.KindOfType(e.Data.EventType()) {
	case domain.KindProduct:
		l.fold(e)
		l.productDecision(e)
	case domain.KindRoadmap:
		before, had := l.roadmap.Item(id)
		l.fold(e)
		after, ok := l.roadmap.Item(id)
		if !ok {
			return
		}
		_, ranked := domain.RankPosition(e.Data)
		d := decisionOf(e)
		d.Changes = roadmapChanges(before, had, after, ranked || before.Period != after.Period)
		l.record(domain.KindRoadmap, id, d, ranked)
	case domain.KindRequest:
		before, had := l.requests.Request(id)
		l.fold(e)
		after, ok := l.requests.Request(id)
		if !ok {
			return
		}
		d := decisionOf(e)
		d.Changes = requestChanges(before, had, after)
		d.Links = links(Links{Item: after.Item, Repeats: after.Repeats})
		l.record(domain.KindRequest, id, d, false)
	default:
		l.itemDecision(e)
	}
}

// itemDecision records a backlog or delivery decision on the item's chain
// and, where it moved a roadmap item's status or progress, on that roadmap
// item's chain too.
func (l *Log) itemDecision(e domain.Event) {
	id := e.Aggregate.ID
	before, had := l.backlog.peek(id)
	touched := []string{}
	if had {
		touched = append(touched, before.Roadmap)
	}
	spec, _ := domain.SpecOf(e.Data.EventType())
	switch roadmap, relinks := domain.Relinks(e.Data); {
	case roadmapFold.Skips(spec.Type), spec.Links && !relinks:
		// The roadmap does not fold it, or it leaves the item's link as
		// it is (a refinement of the title): no roadmap item can change,
		// so none is copied before and after to find out (most events
		// are ranks, and a roadmap item's copy holds its serving list).
		touched = nil
	case relinks:
		touched = append(touched, roadmap)
	}
	sort.Strings(touched)
	roadmapBefore := map[string]RoadmapItem{}
	for _, rid := range touched {
		if it, ok := l.roadmap.Item(rid); ok {
			roadmapBefore[rid] = it
		}
	}
	l.fold(e)
	after, ok := l.backlog.peek(id)
	from, to := -1, -1
	if had && before.Rank > 0 {
		from = before.Rank - 1
	}
	if ok && after.Rank > 0 {
		to = after.Rank - 1
	}
	l.st.book.follow(id, from, to, l.backlog.st.Open)
	if !ok {
		return
	}
	_, ranked := domain.RankPosition(e.Data)
	d := decisionOf(e)
	d.Changes = itemChanges(before, had, after, ranked)
	d.Links = links(Links{Request: after.Request, Epic: after.Epic, Roadmap: after.Roadmap})
	var jumped *span
	if ranked {
		// Read, not kept: record encodes the decision.
		d.OverridesScore = after.LastDecision.Overrides
		if p, ok := e.Data.(domain.BacklogItemRanked); ok && p.Score != nil {
			d.Score = after.Score
		}
		if len(d.OverridesScore) > 0 && to >= 0 && from > to {
			// A move up lists the items it jumped over, now just below it.
			jumped = &span{lo: to + 1, hi: from + 1, open: l.backlog.st.Open, hint: l.backlog.jumped}
		}
	}
	l.recordAt(domain.KindItem, id, d, ranked, jumped)
	for i, rid := range touched {
		rb, had := roadmapBefore[rid]
		ra, ok := l.roadmap.Item(rid)
		if !had || !ok || (i > 0 && touched[i-1] == rid) {
			continue
		}
		if changes := roadmapChanges(rb, true, ra, false); len(changes) > 0 {
			rd := decisionOf(e)
			rd.Changes, rd.Via = changes, id
			l.record(domain.KindRoadmap, rid, rd, false)
		}
	}
}

func (l *Log) productDecision(e domain.Event) {
	id := e.Aggregate.ID
	if id == "" {
		id = e.Product
	}
	if l.st.Products == nil {
		l.st.Products = map[string]*product{}
	}
	pr := l.st.Products[id]
	if pr == nil {
		pr = &product{}
		l.st.Products[id] = pr
	}
	d := decisionOf(e)
	d.Changes = productChanges(pr, e)
	l.record(domain.KindProduct, id, d, false)
}

func (l *Log) fold(e domain.Event) {
	l.backlog.Apply(e)
	l.roadmap.Apply(e)
	l.requests.Apply(e)
}

func (l *Log) record(kind domain.AggregateKind, id string, d Decision, rerank bool) {
	l.recordAt(kind, id, d, rerank, nil)
}

// recordAt is record of a rank whose overrides are at jumped in the open
// order (nil for any other decision).
func (l *Log) recordAt(kind domain.AggregateKind, id string, d Decision, rerank bool, jumped *span) {
	if l.st.Chains == nil {
		l.st.Chains = map[chainRef]*chain{}
	}
	key := chainRef{kind, id}
	c := l.st.Chains[key]
	if c == nil {
		c = &chain{Kind: kind, ID: id}
		l.st.Chains[key] = c
	}
	c.recs = l.st.book.appendDecision(c.recs, &d, jumped)
	c.n++
	if rerank {
		c.Churn++
	}
}

func decisionOf(e domain.Event) Decision {
	return Decision{Citation: CitationOf(e), EventID: e.ID, Reason: e.Reason, Changes: []string{}}
}

func links(l Links) *Links {
	if l == (Links{}) {
		return nil
	}
	return &l
}

func chainKey(kind domain.AggregateKind, id string) string { return string(kind) + "/" + id }

// lookupKinds is the order Chain and Churn try when only an id is given.
var lookupKinds = []domain.AggregateKind{domain.KindItem, domain.KindRequest,
	domain.KindRoadmap, domain.KindProduct}

func (l *Log) find(id string) *chain {
	for _, k := range lookupKinds {
		if c := l.st.Chains[chainRef{k, id}]; c != nil {
			return c
		}
	}
	return nil
}

// Chain returns the decisions about id in order, the kind of aggregate id
// names, and whether the log knows it. Ids are looked up as a backlog
// item, then a request, a roadmap item and a product; use ChainOf when an
// id may name more than one.
func (l *Log) Chain(id string) ([]Decision, domain.AggregateKind, bool) {
	c := l.find(id)
	if c == nil {
		return nil, "", false
	}
	return l.st.book.decisions(c.recs, c.n, nil), c.Kind, true
}

// ChainOf returns the decisions about the aggregate of the given kind and
// id, and whether the log knows it.
func (l *Log) ChainOf(kind domain.AggregateKind, id string) ([]Decision, bool) {
	c := l.st.Chains[chainRef{kind, id}]
	if c == nil {
		return nil, false
	}
	return l.st.book.decisions(c.recs, c.n, nil), true
}

// ChainsOf is ChainOf for each of ids, all of one kind: a nil chain for
// an id the log does not know. Reading many chains at once costs less
// than one at a time: the overrides of their rank decisions are read
// back against the open order of their moment (logorder.go), which is
// replayed once for all of them, in order, rather than from the nearest
// copy of it for each.
func (l *Log) ChainsOf(kind domain.AggregateKind, ids []string) [][]Decision {
	out := make([][]Decision, len(ids))
	var pending []placedList
	for i, id := range ids {
		if c := l.st.Chains[chainRef{kind, id}]; c != nil {
			out[i] = l.st.book.decisions(c.recs, c.n, &pending)
		}
	}
	l.st.book.readPending(pending)
	return out
}

// Churn returns how often id was re-ranked (0 if unknown).
func (l *Log) Churn(id string) int {
	if c := l.find(id); c != nil {
		return c.Churn
	}
	return 0
}

// IDs returns the ids of every aggregate of a kind that has a chain, sorted.
func (l *Log) IDs(kind domain.AggregateKind) []string {
	out := []string{}
	for _, c := range l.st.Chains {
		if c.Kind == kind {
			out = append(out, c.ID)
		}
	}
	sort.Strings(out)
	return out
}

type logSnapshot struct {
	State    logStateJSON    `json:"state"`
	Backlog  json.RawMessage `json:"backlog"`
	Roadmap  json.RawMessage `json:"roadmap"`
	Requests json.RawMessage `json:"requests"`
}

// MarshalSnapshot writes the whole log state, with the folds it embeds,
// deterministically.
func (l *Log) MarshalSnapshot() ([]byte, error) {
	l.init()
	s := logSnapshot{State: logStateJSON{Cursor: l.st.Cursor, Products: l.st.Products}}
	if l.st.Chains != nil {
		s.State.Chains = make(map[string]*chainJSON, len(l.st.Chains))
		var pending []placedList
		for key, c := range l.st.Chains {
			s.State.Chains[chainKey(key.kind, key.id)] = &chainJSON{Kind: c.Kind, ID: c.ID, Decisions: l.st.book.decisions(c.recs, c.n, &pending), Churn: c.Churn}
		}
		l.st.book.readPending(pending)
	}
	var err error
	if s.Backlog, err = l.backlog.MarshalSnapshot(); err != nil {
		return nil, err
	}
	if s.Roadmap, err = l.roadmap.MarshalSnapshot(); err != nil {
		return nil, err
	}
	if s.Requests, err = l.requests.MarshalSnapshot(); err != nil {
		return nil, err
	}
	return marshalSnapshot(LogVersion, &s)
}

// UnmarshalSnapshot replaces the state with a snapshot's. A snapshot of
// another fold version fails with ErrSnapshotVersion and leaves the log
// unchanged.
func (l *Log) UnmarshalSnapshot(data []byte) error {
	var s logSnapshot
	if err := unmarshalSnapshot(LogVersion, data, &s); err != nil {
		return err
	}
	var b Backlog
	var r Roadmap
	var q Requests
	if err := b.UnmarshalSnapshot(s.Backlog); err != nil {
		return err
	}
	if err := r.UnmarshalSnapshot(s.Roadmap); err != nil {
		return err
	}
	if err := q.UnmarshalSnapshot(s.Requests); err != nil {
		return err
	}
	// A shared log restores the folds it shares: they stand where it does.
	l.init()
	l.st = logState{Cursor: s.State.Cursor, Products: s.State.Products}
	l.st.book.order.state = orderOff // no history of the order restored
	if s.State.Chains != nil {
		l.st.Chains = make(map[chainRef]*chain, len(s.State.Chains))
		for _, key := range sortedKeys(s.State.Chains) {
			cj := s.State.Chains[key]
			if cj == nil {
				continue
			}
			c := &chain{Kind: cj.Kind, ID: cj.ID, n: len(cj.Decisions), Churn: cj.Churn}
			for i := range cj.Decisions {
				c.recs = l.st.book.appendDecision(c.recs, &cj.Decisions[i], nil)
			}
			kind, id, _ := strings.Cut(key, "/")
			l.st.Chains[chainRef{domain.AggregateKind(kind), id}] = c
		}
	}
	*l.backlog, *l.roadmap, *l.requests = b, r, q
	return nil
}
