package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// Durable is what the deliverer asks of a durable consumer: its name, the
// product whose request and backlog item events it hands out, from the
// events stored since Since, and how long the server waits for one
// before handing it out again.
type Durable struct {
	Name    string
	Product string
	Since   time.Time
	AckWait time.Duration
}

// Durables are the durable consumers of the ledger's stream.
type Durables interface {
	// Consume hands d's events to fn one at a time, in stream order, until
	// ctx ends (nil) or the stream fails (the error). An event comes
	// again, to this process or the next, until fn returned nil for it;
	// fn calls progress to say it is still working on it.
	Consume(ctx context.Context, d Durable, fn func(ctx context.Context, e domain.Event, progress func()) error) error
	// Names lists the durables whose names start with prefix.
	Names(ctx context.Context, prefix string) ([]string, error)
	// Delete deletes a durable; one already gone is not an error.
	Delete(ctx context.Context, name string) error
}

// Events reads a product's history.
type Events interface {
	// Read calls fn, in stream order, for each of the product's events
	// stored after the stream sequence after, up to the product's last
	// event now, and returns the sequence of the last one it read (after
	// when none).
	Read(ctx context.Context, product string, after uint64, fn func(domain.Event) error) (uint64, error)
}

// Options tune a Deliverer; the zero value is the defaults.
type Options struct {
	// Client sends the webhooks; its Timeout bounds one attempt (15 s
	// when the client is nil).
	Client *http.Client
	// Backoff is the wait before the first retry, doubled after each
	// failure up to MaxBackoff (1 s and 10 min when 0).
	Backoff, MaxBackoff time.Duration
	// AckWait is the durable consumers' ack wait (30 s when 0).
	AckWait time.Duration
	// Poll is how often the subscriptions file is looked at (500 ms when
	// 0).
	Poll time.Duration
	// Now is the clock of the webhook-timestamp; time.Now when nil.
	Now func() time.Time
	// Logf hears of failed attempts and of what stops nothing.
	Logf func(format string, args ...any)
}

func (o *Options) defaults() {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 15 * time.Second}
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Deliverer delivers every subscription's notifications: one worker and
// one durable consumer per subscription, started and stopped as the
// subscriptions file changes.
type Deliverer struct {
	reg      *Registry
	events   Events
	durables Durables
	o        Options

	mu      sync.Mutex
	indexes map[string]*index // by product
}

// NewDeliverer returns a deliverer of reg's subscriptions over the
// ledger's events; Run starts it.
func NewDeliverer(reg *Registry, events Events, durables Durables, o Options) *Deliverer {
	o.defaults()
	return &Deliverer{reg: reg, events: events, durables: durables, o: o, indexes: map[string]*index{}}
}

type worker struct {
	sub    Subscription
	cancel context.CancelFunc
	done   chan struct{}
}

// Run delivers until ctx ends, then stops every worker, each leaving the
// notification it was sending to the next run (it was not acknowledged),
// and returns.
func (d *Deliverer) Run(ctx context.Context) {
	workers := map[string]*worker{}
	defer func() {
		for _, w := range workers {
			w.cancel()
		}
		for _, w := range workers {
			<-w.done
		}
	}()
	t := time.NewTicker(d.o.Poll)
	defer t.Stop()
	var lastErr string
	known := ""
	for {
		subs, err := d.reg.Subscriptions()
		if msg := fmt.Sprint(err); err != nil && msg != lastErr {
			d.o.Logf("notify: %v (delivering to the subscriptions read before)", err)
			lastErr = msg
		} else if err == nil {
			lastErr = ""
		}
		want := map[string]Subscription{}
		for _, s := range subs {
			want[s.ID] = s
		}
		for id, w := range workers {
			if _, ok := want[id]; !ok {
				w.cancel()
				<-w.done
				delete(workers, id)
			}
		}
		for id, s := range want {
			if _, ok := workers[id]; !ok {
				wctx, cancel := context.WithCancel(ctx)
				w := &worker{sub: s, cancel: cancel, done: make(chan struct{})}
				workers[id] = w
				go func() {
					defer close(w.done)
					d.work(wctx, s)
				}()
			}
		}
		// Without a subscriptions file (another instance's data directory,
		// say) there is nothing to tell apart from an orphan: delete none.
		if set := setKey(want); set != known && err == nil && subs != nil {
			known = set
			d.dropOrphans(ctx, want)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// setKey names a set of subscriptions, to notice when it changes.
func setKey(subs map[string]Subscription) string {
	ids := make([]string, 0, len(subs))
	for id := range subs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return fmt.Sprint(ids)
}

// dropOrphans deletes the durable consumers of subscriptions no longer in
// the file (removed while serve was stopped, or just now).
func (d *Deliverer) dropOrphans(ctx context.Context, want map[string]Subscription) {
	names, err := d.durables.Names(ctx, DurablePrefix)
	if err != nil {
		if ctx.Err() == nil {
			d.o.Logf("notify: %v", err)
		}
		return
	}
	keep := map[string]bool{}
	for _, s := range want {
		keep[s.durable()] = true
	}
	for _, n := range names {
		if !keep[n] {
			if err := d.durables.Delete(ctx, n); err != nil && ctx.Err() == nil {
				d.o.Logf("notify: %v", err)
			}
		}
	}
}

// work consumes the subscription's durable until ctx ends, starting it
// again after a failure of the stream.
func (d *Deliverer) work(ctx context.Context, s Subscription) {
	dur := Durable{Name: s.durable(), Product: s.Product, Since: s.Created, AckWait: d.o.AckWait}
	defer d.index(s.Product).forget(s.ID)
	pause := d.o.Backoff
	for {
		err := d.durables.Consume(ctx, dur, func(ctx context.Context, e domain.Event, progress func()) error {
			return d.handle(ctx, s, e, progress)
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			d.o.Logf("notify %s: %v; again in %s", s.ID, err, pause)
		}
		if !sleep(ctx, pause, nil, 0) {
			return
		}
		pause = min(2*pause, d.o.MaxBackoff)
	}
}

// handle delivers what one event tells the subscription, in order; it
// returns only once every notification was answered 2xx, or ctx ended.
func (d *Deliverer) handle(ctx context.Context, s Subscription, e domain.Event, progress func()) error {
	notes, err := d.index(s.Product).at(ctx, d.events, s.ID, e.Seq)
	if err != nil {
		return err
	}
	for _, n := range notes {
		if !s.Wants(n) {
			continue
		}
		if err := d.deliver(ctx, s, n, progress); err != nil {
			return err
		}
	}
	return nil
}

// Payload is the body of a webhook, in the shape the Standard Webhooks
// specification recommends: the type, when it happened and the data.
type Payload struct {
	Type      string             `json:"type"`
	Timestamp time.Time          `json:"timestamp"`
	Data      query.Notification `json:"data"`
}

// MessageID is the webhook-id of notification n to subscription sub: the
// same on every retry and after every restart (it is derived from the
// subscription, the event and the request), different for every
// notification, so that a receiver can drop the duplicates that at least
// once delivery brings.
func MessageID(sub string, n query.Notification) string {
	h := sha256.Sum256([]byte(sub + "\x00" + n.Event + "\x00" + n.Request))
	return "msg_" + hex.EncodeToString(h[:16])
}

// deliver posts n to the subscription until it answers 2xx, waiting
// longer after each failure; it returns only then, or when ctx ends
// (ctx's error).
func (d *Deliverer) deliver(ctx context.Context, s Subscription, n query.Notification, progress func()) error {
	body, err := json.Marshal(Payload{Type: n.Type, Timestamp: n.At, Data: n})
	if err != nil {
		return err
	}
	id := MessageID(s.ID, n)
	wait := d.o.Backoff
	for attempt := 1; ; attempt++ {
		progress()
		err := d.post(ctx, s, id, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		jittered := wait + rand.N(wait/4+1)
		d.o.Logf("notify %s: %s of request %q (%s), attempt %d: %v; retrying in %s",
			s.ID, n.Type, n.Request, id, attempt, err, jittered.Round(time.Millisecond))
		if !sleep(ctx, jittered, progress, d.o.AckWait/3) {
			return ctx.Err()
		}
		wait = min(2*wait, d.o.MaxBackoff)
	}
}

// errStatus is a receiver's answer that is not 2xx.
var errStatus = errors.New("receiver answered")

// post sends one attempt.
func (d *Deliverer) post(ctx context.Context, s Subscription, id string, body []byte) error {
	now := d.o.Now()
	sig, err := Sign(s.Secret, id, now, body)
	if err != nil {
		return fmt.Errorf("subscription %s: %w", s.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "decision-ledger")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := d.o.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w %s", errStatus, resp.Status)
	}
	return nil
}

// sleep waits for d, calling progress every `every` (when given), and
// reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration, progress func(), every time.Duration) bool {
	end := time.NewTimer(d)
	defer end.Stop()
	var tick <-chan time.Time
	if progress != nil && every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-end.C:
			return true
		case <-tick:
			progress()
		}
	}
}

// index is the Stakeholders fold of one product, shared by the product's
// subscriptions: the notifications each event causes, by its sequence,
// kept from the earliest event a subscription still works on (floor) on.
type index struct {
	product string

	mu    sync.Mutex
	fold  *query.Stakeholders
	last  uint64
	notes map[uint64][]query.Notification
	floor uint64            // notes before it were dropped
	pos   map[string]uint64 // where each subscription is
}

func (d *Deliverer) index(product string) *index {
	d.mu.Lock()
	defer d.mu.Unlock()
	x, ok := d.indexes[product]
	if !ok {
		x = &index{product: product, pos: map[string]uint64{}}
		x.reset()
		d.indexes[product] = x
	}
	return x
}

// reset forgets the fold, to read the history again from its start.
func (x *index) reset() {
	x.fold, x.last, x.floor = query.NewStakeholders(), 0, 0
	x.notes = map[uint64][]query.Notification{}
}

// at returns the notifications the event at seq causes, reading the
// product's history up to it first when needed, and notes that sub is at
// seq: what every subscription of the product has passed is dropped.
func (x *index) at(ctx context.Context, events Events, sub string, seq uint64) ([]query.Notification, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if seq < x.floor {
		// A subscription behind what was dropped (a new one that starts
		// earlier): read the history again.
		x.reset()
	}
	if x.last < seq {
		last, err := events.Read(ctx, x.product, x.last, func(e domain.Event) error {
			for _, n := range x.fold.Apply(e) {
				if n.Seq >= x.floor {
					x.notes[n.Seq] = append(x.notes[n.Seq], n)
				}
			}
			return nil
		})
		if last > x.last {
			x.last = last
		}
		if err != nil {
			return nil, fmt.Errorf("reading product %q: %w", x.product, err)
		}
	}
	if x.last < seq {
		return nil, fmt.Errorf("product %q: event %d is not in its history yet", x.product, seq)
	}
	notes := x.notes[seq]
	x.pos[sub] = seq
	x.drop()
	return notes, nil
}

// forget says that sub no longer delivers.
func (x *index) forget(sub string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.pos, sub)
}

// drop forgets the notes of the events every subscription has passed.
// Lock held.
func (x *index) drop() {
	low := x.last
	for _, p := range x.pos {
		low = min(low, p)
	}
	if low <= x.floor {
		return
	}
	for seq := range x.notes {
		if seq < low {
			delete(x.notes, seq)
		}
	}
	x.floor = low
}
