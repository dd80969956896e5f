package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/nats-io/nuid"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/service"
)

// DefaultOpenItems is the backlog the decision-cost row measures a
// decision on, against SmallOpenItems: an imported Bugzilla product's.
const (
	DefaultOpenItems = 20_000
	SmallOpenItems   = 100
)

// Writers is how many writers the concurrent-writers row runs at once.
const Writers = 16

// The products of the write rows' own store.
const (
	wideProduct   = "wide"
	narrowProduct = "narrow"
)

// writes measures the write rows of issue 20 on a data directory of
// their own (beside Options.Dir), served as serve serves it: a product
// with OpenItems open items and one with SmallOpenItems, nothing else.
// Their own store keeps the other rows' history as it is, and theirs
// from the bench's million events.
//
//   - backlog-scaling: one decision at a time on the big backlog against
//     the same on the small one, alternating blocks of 50;
//   - writers: Writers writers adding items at once through the service
//     against Writers raw writers each publishing synchronously with an
//     expected sequence (its own subject's), alternating blocks.
func (r *runner) writes() error {
	dir := r.opt.Dir + "-writes"
	defer os.RemoveAll(dir)
	s, err := eventstore.Open(r.ctx, eventstore.Options{DataDir: dir, Name: "ledger-bench-writes"})
	if err != nil {
		return err
	}
	defer s.Close()
	open := r.opt.OpenItems
	for p, n := range map[string]int{wideProduct: open, narrowProduct: SmallOpenItems} {
		if err := AppendAll(r.ctx, s, OpenBacklog(p, n), func() int { return eventstore.MaxBatch }, nil); err != nil {
			return err
		}
	}
	if err := createRawStream(r.ctx, s.JetStream()); err != nil {
		return err
	}
	sv, err := startServing(r.ctx, s)
	if err != nil {
		return err
	}
	defer sv.stop()
	last := map[string]uint64{}
	for _, p := range []string{wideProduct, narrowProduct} {
		if last[p], err = s.LastSeq(r.ctx, p); err != nil {
			return err
		}
	}
	if err := sv.ready(r.ctx, last); err != nil {
		return err
	}
	if err := r.backlogScaling(sv, open); err != nil {
		return err
	}
	return r.concurrentWriters(sv, s.JetStream())
}

// backlogScaling is the decision-cost row: a rank of a random open item
// to the top, one at a time through the service, on the product of open
// items against the product of SmallOpenItems, in alternating blocks.
func (r *runner) backlogScaling(sv *serving, open int) error {
	rng := rand.New(rand.NewPCG(r.opt.Seed, 20))
	rank := func(product string, items int) func() error {
		return func() error {
			args, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("I-%d", 1+rng.IntN(items)), "top": true, "why": "bench: top of the backlog"})
			_, err := sv.client.Do(r.ctx, command.Request{Action: "item.rank", Product: product, Actor: "olga", Args: args})
			return err
		}
	}
	wide, narrow := rank(wideProduct, open), rank(narrowProduct, SmallOpenItems)
	l, w, n, err := alternate(r.opt.Decisions, 50, wide, narrow)
	if err != nil {
		return err
	}
	r.progressf("scale   %d decisions each  %d open items %.0f/s  %d open items %.0f/s", n, open, l, SmallOpenItems, w)
	r.rep.set("backlog-scaling", "decision cost vs backlog size", Figure{Ledger: l, Raw: w, Ratio: l / w, Unit: "ev/s",
		Target: "≥ 0.8", Met: metPtr(l/w >= 0.8),
		Note: fmt.Sprintf("item.rank of a random open item to the top through service.Client, one at a time, on a product of %d open items (ledger) vs one of %d (raw column), alternating blocks of 50, on a store of their own",
			open, SmallOpenItems)})
	return nil
}

// concurrentWriters is the concurrent-writers row: Writers goroutines
// each adding new items through the service, against Writers goroutines
// each publishing the same event synchronously to a subject of its own,
// expecting that subject's last sequence (what a raw writer of distinct
// items checks), in alternating blocks of Writers times 10.
func (r *runner) concurrentWriters(sv *serving, js jetstream.JetStream) error {
	// The ledger's writers send the service's requests as any NATS
	// client would (the nats CLI's req), reading the answer's error
	// header and no more: what the raw writers read of their
	// acknowledgements.
	var added atomic.Int64
	nc := sv.svcConn
	ledgerOne := func(int) error {
		body := fmt.Sprintf(`{"action":"item.add","product":%q,"actor":"olga","args":{"id":"W-%d","title":"Concurrent item"}}`, narrowProduct, added.Add(1))
		msg, err := nc.RequestWithContext(r.ctx, service.CommandSubject, []byte(body))
		if err != nil {
			return fmt.Errorf("item.add through the service: %w", err)
		}
		if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
			return fmt.Errorf("item.add through the service: %s %s", code, msg.Header.Get(micro.ErrorHeader))
		}
		return nil
	}
	sample := OpenBacklog(narrowProduct, 1)[3]
	data, err := domain.Encode(sample)
	if err != nil {
		return err
	}
	rawLast := make([]uint64, Writers)
	rawOne := func(w int) error {
		m := nats.NewMsg(fmt.Sprintf("%s.%s.item.raw-writer-%d", rawSubject, narrowProduct, w))
		m.Data = data
		m.Header.Set(jetstream.MsgIDHeader, nuid.Next())
		m.Header.Set(eventstore.HeaderType, sample.Type)
		m.Header.Set(eventstore.HeaderSchema, strconv.Itoa(sample.Schema))
		m.Header.Set("Nats-Expected-Last-Subject-Sequence", strconv.FormatUint(rawLast[w], 10))
		ack, err := js.PublishMsg(r.ctx, m)
		if err != nil {
			return fmt.Errorf("raw publish on %s: %w", m.Subject, err)
		}
		rawLast[w] = ack.Sequence
		return nil
	}
	block := Writers * 10
	l, w, n, err := alternate(max(r.opt.Decisions, block), block, concurrently(ledgerOne), concurrently(rawOne))
	if err != nil {
		return err
	}
	r.progressf("writers %d decisions each, %d writers  ledger %.0f/s  raw %.0f/s", n, Writers, l, w)
	r.rep.set("writers", fmt.Sprintf("%d concurrent writers, distinct items", Writers), Figure{Ledger: l, Raw: w, Ratio: l / w, Unit: "ev/s",
		Target: "≥ 0.8", Met: metPtr(l/w >= 0.8),
		Note: fmt.Sprintf("%d goroutines each requesting item.add of new items of one product from the service, as the nats CLI's req (group commit), vs %d goroutines each publishing synchronously "+
			"to a subject of its own expecting that subject's last sequence, alternating blocks of %d", Writers, Writers, block)})
	return nil
}

// concurrently turns one writer's decision (given the writer's number)
// into a block of n decisions made by Writers writers at once.
func concurrently(one func(writer int) error) func(n int) error {
	return func(n int) error {
		var wg sync.WaitGroup
		errs := make([]error, Writers)
		for w := range Writers {
			wg.Go(func() {
				for i := w; i < n && errs[w] == nil; i += Writers {
					errs[w] = one(w)
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}
}

// alternate runs total operations on each side in alternating blocks
// (the ledger's first), after a warm-up block each, and returns each
// side's operations per second and how many each made. A side is either
// one operation (func() error) or a block of n (func(n int) error).
func alternate(total, block int, ledger, raw any) (l, w float64, n int, err error) {
	run := func(side any, k int) error {
		switch f := side.(type) {
		case func() error:
			for range k {
				if err := f(); err != nil {
					return err
				}
			}
			return nil
		case func(int) error:
			return f(k)
		}
		return fmt.Errorf("bench: a side is func() error or func(int) error, not %T", side)
	}
	warm := min(block, 20)
	if err := errors.Join(run(ledger, warm), run(raw, warm)); err != nil {
		return 0, 0, 0, err
	}
	var lt, wt time.Duration
	for n < total {
		k := min(block, total-n)
		for i, side := range []any{ledger, raw} {
			t := time.Now()
			if err := run(side, k); err != nil {
				return 0, 0, 0, err
			}
			if i == 0 {
				lt += time.Since(t)
			} else {
				wt += time.Since(t)
			}
		}
		n += k
	}
	return float64(n) / lt.Seconds(), float64(n) / wt.Seconds(), n, nil
}

// ready waits until the live projections follow every product of last
// at its last sequence with their transparency logs, and the write state
// of every product is caught up: a serve that has been running.
func (sv *serving) ready(ctx context.Context, last map[string]uint64) error {
	if err := sv.waitLive(ctx, last); err != nil {
		return err
	}
	products := make([]string, 0, len(last))
	for p := range last {
		products = append(products, p)
	}
	sort.Strings(products)
	for _, p := range products {
		for !sv.live.LogReady(p) {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	select {
	case <-sv.warmed:
		return sv.warmErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}
