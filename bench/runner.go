package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/replay"
)

// Options configure a bench run.
type Options struct {
	// Dir is the data directory, which must be empty or missing; the
	// caller removes it afterwards.
	Dir string
	// Events is the length of the generated history (DefaultEvents when 0).
	Events int
	// Products shares the history among that many products (4 when 0).
	Products int
	// Seed makes the history (1 when 0).
	Seed uint64
	// Reps is how many interleaved repetitions the slower paths take;
	// each figure is the best of them (2 when 0).
	Reps int
	// Decisions is how many durable decisions each side makes (500 when 0).
	Decisions int
	// Progress, when set, hears one line per path as it runs.
	Progress io.Writer
	// ReplayCommand, when set, is the command line of ledger replay --all
	// (the ledger binary, "replay", "--all"; the bench adds --data and
	// --json): the replay row runs it on the bench's data directory in a
	// process of its own and reports that process's peak RSS, which is
	// what a user's replay takes. Unset, the replay runs in this process,
	// whose peak also counts the bench's own memory.
	ReplayCommand []string
	// WriteCommand, when set, is the ledger binary (and any arguments
	// before the command's): the one-shot row runs it to write without
	// serve (the bench adds --data DIR --as olga item rank ...), as a
	// user's shell does. Unset, that write runs in this process.
	WriteCommand []string
	// OpenItems is the big backlog of the decision-cost row
	// (DefaultOpenItems when 0), measured against SmallOpenItems.
	OpenItems int
	// OneShotEvents is the long history of the one-shot row
	// (DefaultOneShotEvents when 0), measured against SmallOneShotEvents.
	OneShotEvents int
	// FreshOneShot times the one-shot row without waiting for its
	// histories to be older than JetStream's duplicate window (tests):
	// the figure then includes the server reading every message id of
	// them again when it starts.
	FreshOneShot bool
	// ServeCommand, when set, is the ledger binary (and any arguments
	// before the command's) that the instances rows run as serve --nats
	// URL, one and three processes on a NATS server of their own. Unset,
	// those rows are not measured.
	ServeCommand []string
	// SkipInstances leaves the instances rows out.
	SkipInstances bool
	// InstanceDecisions is how many decisions each side of an instances
	// row makes (DefaultInstanceDecisions when 0).
	InstanceDecisions int
}

// maxReply is the largest answer the bench asks through the service: what
// one message of the embedded server holds, with room left for headers.
const maxReply = eventstore.MaxMessage - 16<<10

// DefaultEvents is sized for a run of about a minute on 2 cores.
const DefaultEvents = 100_000

// FullEvents is the size the targets are stated for.
const FullEvents = 1_000_000

type runner struct {
	opt   Options
	rep   Report
	ctx   context.Context
	store *eventstore.Store
	js    jetstream.JetStream
	gen   *Generator
	// per product: the last ledger and raw sequences, and business times
	// sampled along the history for as-of questions.
	last, rawLast map[string]uint64
	times         map[string][]time.Time
	counts        map[string]int
	rng           *rand.Rand
	start         time.Time
	// the one-shot row's item to rank in each of its histories, and when
	// both are older than the duplicate window.
	oneShotItems [2]string
	oneShotAged  time.Time
}

// Run generates the history into opt.Dir and measures every path.
func Run(ctx context.Context, opt Options) (Report, error) {
	if opt.Events <= 0 {
		opt.Events = DefaultEvents
	}
	if opt.Products <= 0 {
		opt.Products = 4
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Reps <= 0 {
		opt.Reps = 2
	}
	if opt.Decisions <= 0 {
		opt.Decisions = 500
	}
	if opt.OpenItems <= 0 {
		opt.OpenItems = DefaultOpenItems
	}
	if opt.InstanceDecisions <= 0 {
		opt.InstanceDecisions = DefaultInstanceDecisions
	}
	if opt.OneShotEvents <= 0 {
		opt.OneShotEvents = DefaultOneShotEvents
	}
	r := &runner{opt: opt, ctx: ctx, gen: NewGenerator(opt.Seed, opt.Products, opt.Events),
		last: map[string]uint64{}, rawLast: map[string]uint64{}, times: map[string][]time.Time{},
		counts: map[string]int{}, rng: rand.New(rand.NewPCG(opt.Seed, 99)), start: time.Now()}
	r.rep = Report{Events: opt.Events, Products: opt.Products, Machine: thisMachine()}
	err := r.run()
	r.rep.Seconds = time.Since(r.start).Seconds()
	return r.rep, err
}

func (r *runner) progressf(format string, args ...any) {
	if r.opt.Progress != nil {
		fmt.Fprintf(r.opt.Progress, "bench %5.0fs  "+format+"\n", append([]any{time.Since(r.start).Seconds()}, args...)...)
	}
}

func (r *runner) open() error {
	s, err := eventstore.Open(r.ctx, eventstore.Options{DataDir: r.opt.Dir, Name: "ledger-bench"})
	if err != nil {
		return err
	}
	r.store, r.js = s, s.JetStream()
	return nil
}

func (r *runner) run() error {
	if err := r.open(); err != nil {
		return err
	}
	defer func() {
		if r.store != nil {
			_ = r.store.Close()
		}
	}()
	for _, dir := range r.oneShotDirs() {
		defer os.RemoveAll(dir)
	}
	if err := createRawStream(r.ctx, r.js); err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"one-shot histories", r.prepareOneShot},
		{"import", r.importHistory},
		// The served paths come next: they are the only ones besides the
		// import that write to the raw stream. The rebuild and the replay
		// then run on a directory holding what a user's holds, without
		// the raw stream: its million messages of the bench's own come
		// with the server's index of their subjects and of their message
		// ids (the two-minute duplicate window), heap the collector
		// scanned on every cycle of the ledger's side, which allocates
		// far more than the raw read it is measured against.
		{"serve", r.served},
		// The write rows run on data directories of their own.
		{"writes", r.writes},
		// So do the instances rows, on a NATS server of their own.
		{"instances", r.instances},
		{"raw stream", func() error { return deleteRawStream(r.ctx, r.js) }},
		{"rebuild", r.rebuild},
		{"replay", r.replayWithSnapshots},
		{"asof", r.asOf},
		{"sizes", r.sizes},
		{"cold start", r.coldStart},
		{"one-shot write", r.oneShot},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return fmt.Errorf("bench %s: %w", s.name, err)
		}
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// importHistory stores the generated history run by run, each run once
// through Append (one atomic batch) and once as a raw atomic batch of the
// same messages, alternating which goes first.
func (r *runner) importHistory() error {
	var ledger, raw time.Duration
	next := r.opt.Events / 10
	for n, i := 0, 0; n < r.opt.Events; i++ {
		evs := r.gen.NextRun(min(RunLength, r.opt.Events-n))
		if len(evs) == 0 {
			continue
		}
		p := evs[0].Product
		msgs, err := rawMsgs(evs)
		if err != nil {
			return err
		}
		sides := []func() error{
			func() error {
				t := time.Now()
				seqs, err := r.store.Append(r.ctx, evs, r.last[p])
				ledger += time.Since(t)
				if err == nil {
					r.last[p] = seqs[len(seqs)-1]
				}
				return err
			},
			func() error {
				t := time.Now()
				seq, err := rawPublishBatch(r.ctx, r.store.Conn(), msgs, rawFilter(p), r.rawLast[p])
				raw += time.Since(t)
				r.rawLast[p] = seq
				return err
			},
		}
		if i%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			if err := side(); err != nil {
				return err
			}
		}
		for j, e := range evs {
			if (r.counts[p]+j)%100 == 0 {
				r.times[p] = append(r.times[p], e.OccurredAt)
			}
		}
		r.counts[p] += len(evs)
		n += len(evs)
		if n >= next {
			r.progressf("import  %d/%d events  ledger %.0f ev/s  raw %.0f ev/s", n, r.opt.Events,
				float64(n)/ledger.Seconds(), float64(n)/raw.Seconds())
			next += r.opt.Events / 10
		}
	}
	l, w := float64(r.opt.Events)/ledger.Seconds(), float64(r.opt.Events)/raw.Seconds()
	r.rep.set("import", "bulk import, atomic batches of 1000", Figure{Ledger: l, Raw: w, Ratio: l / w, Unit: "ev/s",
		Target: "≥ 0.8", Met: metPtr(l/w >= 0.8), Note: "eventstore.Append vs a raw atomic batch publish of the same messages"})
	return nil
}

func (r *runner) products() []string {
	ps := make([]string, 0, len(r.last))
	for p := range r.last {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// rebuild rebuilds every projection of every product, the transparency
// log included, from one read of the stream (replay.RebuildAll), against
// an ordered consumer reading and decoding the whole stream, interleaved,
// best of Reps each, with the peak RSS of the last ledger side.
func (r *runner) rebuild() error {
	best := func(d *time.Duration, t time.Duration) {
		if *d == 0 || t < *d {
			*d = t
		}
	}
	info, err := r.ledgerInfo()
	if err != nil {
		return err
	}
	events := int(info.State.Msgs) // the history and the served rows' decisions
	var ledger, raw time.Duration
	var mib float64
	var how string
	for i := range r.opt.Reps {
		sides := []func() error{
			func() error {
				debug.FreeOSMemory()
				peak := newPeakRSS()
				t := time.Now()
				_, err := query.RebuildAll(r.ctx, r.store, r.products(), replay.Latest, query.RebuildOptions{})
				best(&ledger, time.Since(t))
				mib, how = peak.stop()
				return err
			},
			func() error {
				t := time.Now()
				n, err := rawRead(r.ctx, r.js, eventstore.StreamName, "", nil)
				best(&raw, time.Since(t))
				if err == nil && n != events {
					err = fmt.Errorf("raw read %d events, not the stream's %d", n, events)
				}
				return err
			},
		}
		if i%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			if err := side(); err != nil {
				return err
			}
		}
		r.progressf("rebuild %d/%d  ledger %.0f ev/s  raw %.0f ev/s  peak RSS %.0f MiB", i+1, r.opt.Reps,
			float64(events)/ledger.Seconds(), float64(events)/raw.Seconds(), mib)
	}
	l, w := float64(events)/ledger.Seconds(), float64(events)/raw.Seconds()
	r.rep.set("rebuild", "full rebuild of every projection", Figure{Ledger: l, Raw: w, Ratio: l / w, Unit: "ev/s",
		Target: "≥ 0.6", Met: metPtr(l/w >= 0.6), Note: "replay.RebuildAll of every product, transparency log included, from one read of the stream, " +
			"vs an ordered consumer reading and JSON-decoding the stream"})
	r.rep.set("rebuild-log-rss", "peak RSS of a full rebuild, log included", Figure{Ledger: mib, Unit: "MiB",
		Note: how + "; the transparency log keeps every decision of the history, so it grows with history, not with the product"})
	return nil
}

// replayWithSnapshots is `ledger replay --all`: every product rebuilt
// from one read, writing Views snapshots every DefaultEvery events, with
// the peak RSS it reaches. Like the command it leaves out the
// transparency log, which snapshots do not hold.
func (r *runner) replayWithSnapshots() error {
	if len(r.opt.ReplayCommand) > 0 {
		return r.replayChild()
	}
	debug.FreeOSMemory()
	peak := newPeakRSS()
	t := time.Now()
	if _, err := query.RebuildAll(r.ctx, r.store, r.products(), replay.Latest,
		query.RebuildOptions{Snapshots: r.store.Snapshots(), Every: replay.DefaultEvery, ViewsOnly: true}); err != nil {
		return err
	}
	secs := time.Since(t).Seconds()
	mib, how := peak.stop()
	r.progressf("replay  with snapshots %.1f s, peak RSS %.0f MiB (%s)", secs, mib, how)
	r.rep.set("replay", "ledger replay --all, with snapshots", Figure{Ledger: secs, Unit: "s",
		Note: "every product rebuilt from one read, writing Views snapshots every 1000 events"})
	f := Figure{Ledger: mib, Unit: "MiB", Target: "< 512 MiB at 1M", Note: how + "; ledger replay --all, which does not build the transparency log"}
	if r.opt.Events >= FullEvents {
		f.Met = metPtr(mib < 512)
	}
	r.rep.set("rebuild-rss", "peak RSS of ledger replay", f)
	return nil
}

// served measures what needs the running service: durable decisions,
// why, and the backlog over HTTP.
func (r *runner) served() error {
	sv, err := startServing(r.ctx, r.store)
	if err != nil {
		return err
	}
	defer sv.stop()
	if err := sv.waitLive(r.ctx, r.last); err != nil {
		return err
	}
	for _, p := range r.products() {
		for !sv.live.LogReady(p) {
			select {
			case <-r.ctx.Done():
				return r.ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	select {
	case <-sv.warmed:
		if err := sv.warmErr(); err != nil {
			return err
		}
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
	if err := r.decisions(sv); err != nil {
		return err
	}
	if err := r.why(sv); err != nil {
		return err
	}
	return r.http(sv)
}

// decisions makes durable decisions one at a time through the service (a
// rank of an open item of the first product) against synchronous raw
// publishes of an event of the same kind with an expected last subject
// sequence, in alternating blocks.
func (r *runner) decisions(sv *serving) error {
	p := r.products()[0]
	// In process: the open items are only what the bench ranks.
	b, err := sv.q.Backlog(r.ctx, p, replay.Latest, query.BacklogFilter{}, 0)
	if err != nil {
		return err
	}
	var open []string
	for _, it := range b.Items {
		open = append(open, it.ID)
	}
	if len(open) == 0 {
		return errors.New("no open item to rank")
	}
	sample := domain.Event{ID: domain.EventID(p, "raw", time.Now(), 0), Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1,
		Product: p, Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: open[0]}, Actor: domain.Actor{ID: "olga", Role: domain.RolePO},
		OccurredAt: time.Now().UTC(), Why: "bench: top of the backlog", CommandID: command.NewID(),
		Data: domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}}}
	data, err := domain.Encode(sample)
	if err != nil {
		return err
	}
	k := 0
	ledgerOne := func() error {
		args, _ := json.Marshal(map[string]any{"id": open[k%len(open)], "top": true, "why": "bench: top of the backlog"})
		k++
		_, err := sv.client.Do(r.ctx, command.Request{Action: "item.rank", Product: p, Actor: "olga", Args: args})
		return err
	}
	// The raw stream's last sequence: what the ledger's append expects on
	// a single server (eventstore's chain), a check JetStream answers in
	// constant time, where the product's check walks its subjects.
	st, err := r.js.Stream(r.ctx, rawStream)
	if err != nil {
		return err
	}
	info, err := st.Info(r.ctx)
	if err != nil {
		return err
	}
	rawTail := info.State.LastSeq
	rawOne := func() error {
		m := nats.NewMsg(rawSubjectOf(sample))
		m.Data = data
		m.Header.Set(jetstream.MsgIDHeader, nuid.Next())
		m.Header.Set(eventstore.HeaderType, sample.Type)
		m.Header.Set(eventstore.HeaderSchema, "1")
		seq, err := rawPublishExpectingTail(r.ctx, r.js, m, rawTail)
		rawTail = seq
		return err
	}
	for range 20 { // warm both: the handler restores the product's write model
		if err := errors.Join(ledgerOne(), rawOne()); err != nil {
			return err
		}
	}
	const block = 50
	var ledger, raw time.Duration
	for done := 0; done < r.opt.Decisions; done += block {
		for i, side := range []func() error{ledgerOne, rawOne} {
			t := time.Now()
			for range block {
				if err := side(); err != nil {
					return err
				}
			}
			if i == 0 {
				ledger += time.Since(t)
			} else {
				raw += time.Since(t)
			}
		}
	}
	n := float64(r.opt.Decisions/block*block + block*min(1, r.opt.Decisions%block))
	l, w := n/ledger.Seconds(), n/raw.Seconds()
	r.progressf("decide  %0.f decisions each  ledger %.0f ev/s  raw %.0f ev/s", n, l, w)
	r.rep.set("decision", "durable decision, one at a time, via the service", Figure{Ledger: l, Raw: w, Ratio: l / w, Unit: "ev/s",
		Target: "≥ 0.8", Met: metPtr(l/w >= 0.8),
		Note: fmt.Sprintf("item.rank through service.Client on %d events vs a synchronous publish expecting the stream's last sequence (Nats-Expected-Last-Sequence), as the ledger's append on a single server", r.opt.Events)})
	return nil
}

// why asks the service why of random items against reading each item's
// subject alone, alternating.
func (r *runner) why(sv *serving) error {
	p := r.products()[0]
	b, err := sv.q.Backlog(r.ctx, p, replay.Latest, query.BacklogFilter{Status: "all"}, 0)
	if err != nil {
		return err
	}
	var ledger, raw time.Duration
	const n = 100
	tooBig := 0
	for i := 0; i < n; {
		id := b.Items[r.rng.IntN(len(b.Items))].ID
		// A chain whose answer outgrows a NATS message cannot be asked
		// through the service at all: count it and ask another.
		if w, err := sv.q.Why(r.ctx, p, replay.Latest, id, 0); err != nil {
			return err
		} else if data, _ := json.Marshal(w); len(data) > maxReply {
			tooBig++
			if tooBig > 10*n {
				return fmt.Errorf("why: every chain asked for outgrows a NATS message")
			}
			continue
		}
		i++
		t := time.Now()
		var w query.Why
		if err := sv.client.View(r.ctx, query.ViewWhy, query.Options{Product: p, ID: id}, &w); err != nil {
			return err
		}
		ledger += time.Since(t)
		t = time.Now()
		got, err := rawRead(r.ctx, r.js, eventstore.StreamName, "ledger."+p+".item."+id, nil)
		raw += time.Since(t)
		if err != nil {
			return err
		}
		if got == 0 || len(w.Decisions) < got {
			return fmt.Errorf("why %s: %d decisions, %d events on its subject", id, len(w.Decisions), got)
		}
	}
	l, w := ledger.Seconds()*1000/n, raw.Seconds()*1000/n
	r.progressf("why     ledger %.2f ms  raw %.2f ms", l, w)
	r.rep.set("why", "why of one item, via the service", Figure{Ledger: l, Raw: w, Ratio: w / l, Unit: "ms",
		Target: "≥ 0.5", Met: metPtr(w/l >= 0.5), Note: fmt.Sprintf("view why through service.Client vs an ordered consumer on the item's subject, decoded; "+
			"%d item(s) drawn were skipped because their answer outgrows a NATS message (%d KiB)", tooBig, maxReply>>10)})
	return nil
}

// openItems counts the product's open items, for the HTTP row's note.
func (r *runner) openItems(sv *serving, p string) int {
	b, err := sv.q.Backlog(r.ctx, p, replay.Latest, query.BacklogFilter{}, 0)
	if err != nil {
		return 0
	}
	return len(b.Items)
}
