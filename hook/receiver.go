package hook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/trackers"
)

// Delivery is one webhook request as the HTTP edge read it.
type Delivery struct {
	// Tracker is the URL's tracker: github, jira, bugzilla.
	Tracker string
	// Hook is the URL's hook id, "" for the tracker's plain URL (then
	// the one hook of the tracker whose secret the delivery bears).
	Hook   string
	Header http.Header
	Query  url.Values
	Body   []byte
}

// Result is what a delivery did.
type Result struct {
	Hook     string `json:"hook"`
	Delivery string `json:"delivery"`
	// Duplicate says the delivery was taken before: nothing was done.
	Duplicate bool `json:"duplicate,omitempty"`
	// Ignored says why a delivery has nothing for the ledger (a ping, a
	// pull request, an event the ledger does not read).
	Ignored string `json:"ignored,omitempty"`
	// Issue is the tracker's key of the issue the delivery is about.
	Issue string `json:"issue,omitempty"`
	// Written counts the events the delivery recorded; Already, the
	// decisions of the issue's history recorded before.
	Written int `json:"written"`
	Already int `json:"already"`
}

// ErrUnsigned is the kind of every refusal of a delivery's signature or
// secret: missing, wrong, or too old. The edge answers 401.
var ErrUnsigned = errors.New("the delivery is not signed by a hook's secret")

type unsignedError struct{ msg string }

func (e *unsignedError) Error() string { return e.msg }
func (e *unsignedError) Unwrap() error { return ErrUnsigned }

// Unsigned says the delivery was refused for its signature, for an edge
// that does not import this package.
func (e *unsignedError) Unsigned() bool { return true }

func unsigned(format string, args ...any) error {
	return &unsignedError{msg: fmt.Sprintf(format, args...)}
}

// parsed is a delivery read by its tracker.
type parsed struct {
	delivery string // the delivery's id (or a hash of its body)
	issue    string // the issue's key; "" with ignored
	ignored  string
	// signedAt is the delivery's time, when the signature covers it
	// (zero otherwise): a delivery older than MaxAge is refused.
	signedAt time.Time
	// merge folds the delivery into the issue's record (nil: none yet).
	merge func(old []byte) ([]byte, error)
}

// tracker is how one tracker's deliveries are checked and read.
type tracker struct {
	// verify says whether d bears h's secret; an error when it bears no
	// signature or secret at all.
	verify func(h Hook, d Delivery) (bool, error)
	parse  func(h Hook, d Delivery) (parsed, error)
	// export writes the records as one export file of the format.
	export func(records [][]byte) ([]byte, error)
}

var kinds = map[string]tracker{
	"github":   {verify: verifyGitHub, parse: func(_ Hook, d Delivery) (parsed, error) { return parseGitHub(d) }, export: jsonLines},
	"jira":     {verify: verifyJira, parse: parseJira, export: jiraExport},
	"bugzilla": {verify: verifyBugzilla, parse: parseBugzilla, export: jsonLines},
}

func jsonLines(records [][]byte) ([]byte, error) {
	var b bytes.Buffer
	for _, r := range records {
		b.Write(r)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// Importer records an export; *command.Handler is one.
type Importer interface {
	// Import reads an export and records what the product does not hold
	// yet, returning once it is durable. Safe for concurrent use.
	Import(ctx context.Context, r command.ImportRequest) (command.ImportSummary, error)
}

// Store keeps the hooks' records and the deliveries taken, durably;
// *eventstore.Deliveries is one.
type Store interface {
	// Seen reports whether hook's delivery was recorded.
	Seen(ctx context.Context, hook, delivery string) (bool, error)
	// Issues returns hook's issue records by key (none: an empty map).
	Issues(ctx context.Context, hook string) (map[string][]byte, error)
	// Record stores the issue's record, then marks the delivery taken.
	Record(ctx context.Context, hook, delivery, issue string, record []byte) error
}

// Options tune a Receiver.
type Options struct {
	// MaxAge refuses a delivery whose signed time is older (0: no
	// check). Only Jira signs a time (its body's timestamp, under an
	// X-Hub-Signature); DefaultMaxAge is serve's.
	MaxAge time.Duration
	// Now is the clock of the check (time.Now when nil).
	Now func() time.Time
}

// DefaultMaxAge is how old a signed delivery serve takes: a tracker
// delivers within seconds, and retries within minutes.
const DefaultMaxAge = 5 * time.Minute

// Receiver takes deliveries in. Safe for concurrent use: one hook's
// deliveries are taken one at a time, in the order they come.
type Receiver struct {
	reg   *Registry
	store Store
	imp   Importer
	opt   Options

	mu    sync.Mutex
	hooks map[string]*hookState
}

// hookState is one hook's records, loaded once from the store and kept
// in step with it (serve is the hooks' only writer).
type hookState struct {
	mu      sync.Mutex
	loaded  bool
	records map[string]*record
}

type record struct {
	seq  int // the order of first delivery: the export's order
	data []byte
}

// stored is a record as the store keeps it.
type stored struct {
	Seq   int             `json:"seq"`
	Issue json.RawMessage `json:"issue"`
}

// NewReceiver returns a receiver of the hooks reg holds, keeping their
// records in store and recording through imp.
func NewReceiver(reg *Registry, store Store, imp Importer, opt Options) *Receiver {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Receiver{reg: reg, store: store, imp: imp, opt: opt, hooks: map[string]*hookState{}}
}

// Deliver checks d's signature, and, for a delivery not taken before,
// folds it into its issue's record and imports the hook's records as
// one export. Nothing is stored unless the import succeeds, so that a
// refused delivery (a history older than the product's) can be sent
// again. Errors: ErrUnsigned (401), *domain.Error values (a delivery
// that cannot be read, an unknown hook, the import's refusals).
func (r *Receiver) Deliver(ctx context.Context, d Delivery) (Result, error) {
	k, ok := kinds[d.Tracker]
	if !ok {
		return Result{}, &domain.Error{Kind: domain.KindNotFound, Field: "tracker", Msg: fmt.Sprintf("no tracker %q: the hooks are /hooks/github, /hooks/jira and /hooks/bugzilla", d.Tracker)}
	}
	h, err := r.find(k, d)
	if err != nil {
		return Result{}, err
	}
	p, err := k.parse(h, d)
	if err != nil {
		return Result{}, err
	}
	if p.delivery == "" {
		sum := sha256.Sum256(d.Body)
		p.delivery = "sha256-" + hex.EncodeToString(sum[:16])
	}
	res := Result{Hook: h.ID, Delivery: p.delivery, Issue: p.issue, Ignored: p.ignored}
	if !p.signedAt.IsZero() && r.opt.MaxAge > 0 {
		if age := r.opt.Now().Sub(p.signedAt); age > r.opt.MaxAge {
			return Result{}, unsigned("the delivery was signed at %s, %s ago, more than the %s a delivery may take: an old delivery sent again is refused",
				p.signedAt.UTC().Format(time.RFC3339), age.Round(time.Second), r.opt.MaxAge)
		}
	}
	if p.ignored != "" || p.merge == nil {
		return res, nil
	}
	st := r.state(h.ID)
	st.mu.Lock()
	defer st.mu.Unlock()
	seen, err := r.store.Seen(ctx, h.ID, p.delivery)
	if err != nil {
		return Result{}, err
	}
	if seen {
		res.Duplicate = true
		return res, nil
	}
	if !st.loaded {
		if err := r.load(ctx, h.ID, st); err != nil {
			return Result{}, err
		}
	}
	rec := st.records[p.issue]
	var old []byte
	seq := len(st.records)
	if rec != nil {
		old, seq = rec.data, rec.seq
	}
	data, err := p.merge(old)
	if err != nil {
		return Result{}, fmt.Errorf("hook %s: the record of issue %s cannot be read: %w", h.ID, p.issue, err)
	}
	export, err := r.export(k, st, p.issue, &record{seq: seq, data: data})
	if err != nil {
		return Result{}, err
	}
	sum, err := r.imp.Import(ctx, command.ImportRequest{Format: h.Tracker, Product: h.Product, Map: h.Map,
		Files: [][]byte{export}, RelayedBy: h.RelayedBy()})
	if err != nil {
		return Result{}, err
	}
	res.Written, res.Already = sum.Written, sum.Already
	val, err := json.Marshal(stored{Seq: seq, Issue: data})
	if err != nil {
		return Result{}, err
	}
	// The import is idempotent: when storing fails, the tracker's retry
	// records nothing twice.
	if err := r.store.Record(ctx, h.ID, p.delivery, p.issue, val); err != nil {
		return Result{}, err
	}
	st.records[p.issue] = &record{seq: seq, data: data}
	return res, nil
}

// find returns the hook d is for and checks that d bears its secret.
func (r *Receiver) find(k tracker, d Delivery) (Hook, error) {
	hooks, err := r.reg.Hooks()
	if hooks == nil && err != nil {
		return Hook{}, err
	}
	var mine []Hook
	for _, h := range hooks {
		if h.Tracker == d.Tracker && (d.Hook == "" || h.ID == d.Hook) {
			mine = append(mine, h)
		}
	}
	if len(mine) == 0 {
		what := fmt.Sprintf("no %s hook", d.Tracker)
		if d.Hook != "" {
			what = fmt.Sprintf("no %s hook %q", d.Tracker, d.Hook)
		}
		return Hook{}, &domain.Error{Kind: domain.KindNotFound, Field: "hook", Msg: what + ": make one with \"ledger hook add " + d.Tracker + " -p PRODUCT\" and paste the URL it prints into the tracker"}
	}
	var match []Hook
	for _, h := range mine {
		ok, err := k.verify(h, d)
		if err != nil {
			return Hook{}, err
		}
		if ok {
			match = append(match, h)
		}
	}
	switch len(match) {
	case 0:
		return Hook{}, unsigned("the delivery's signature or secret is not the hook's: paste the secret \"ledger hook add\" printed into the tracker's webhook settings")
	case 1:
		return match[0], nil
	}
	return Hook{}, domain.Conflict("the delivery bears the secret of %d %s hooks: use the URL with the hook's id, /hooks/%s/ID", len(match), d.Tracker, d.Tracker)
}

func (r *Receiver) state(id string) *hookState {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.hooks[id]
	if st == nil {
		st = &hookState{records: map[string]*record{}}
		r.hooks[id] = st
	}
	return st
}

func (r *Receiver) load(ctx context.Context, id string, st *hookState) error {
	all, err := r.store.Issues(ctx, id)
	if err != nil {
		return err
	}
	for key, v := range all {
		var s stored
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("hook %s: the stored record of issue %s cannot be read: %w", id, key, err)
		}
		st.records[key] = &record{seq: s.Seq, data: s.Issue}
	}
	st.loaded = true
	return nil
}

// export writes the hook's records, with issue's replaced by rec, in the
// order their issues were first delivered.
func (r *Receiver) export(k tracker, st *hookState, issue string, rec *record) ([]byte, error) {
	list := make([]*record, 0, len(st.records)+1)
	for key, x := range st.records {
		if key != issue {
			list = append(list, x)
		}
	}
	list = append(list, rec)
	sort.SliceStable(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	data := make([][]byte, len(list))
	for i, x := range list {
		data[i] = x.data
	}
	return k.export(data)
}

// parseMap reads a hook's map file under its tracker's defaults.
func parseMap(b []byte, f trackers.Format) (*importer.Map, error) {
	return importer.ParseMap(b, f.Defaults())
}
