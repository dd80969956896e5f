package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
)

// Durable says what a durable consumer of the ledger's stream is: its
// name and which of a product's events it delivers. The server keeps
// where it is, so that a process that stops or dies goes on, the next
// time one consumes it, from the first event it did not finish.
type Durable struct {
	// Name is the consumer's name on the stream LEDGER (a NATS token).
	Name string
	// Product whose events it delivers; Kinds the aggregate kinds among
	// them (all when empty).
	Product string
	Kinds   []domain.AggregateKind
	// Since is the first event's time: the consumer delivers the events
	// stored from then on (all of them when zero). It is fixed when the
	// consumer is first made.
	Since time.Time
	// AckWait is how long the server waits for an event handed out before
	// it hands it out again (30 s when 0); Work's progress function
	// resets it.
	AckWait time.Duration
}

// ConsumeDurable delivers d's events to fn one at a time, in stream
// order, until ctx ends (it returns nil then) or the stream cannot be
// read. An event is acknowledged, and the next one handed out, only once
// fn returned nil for it: one that fn failed, or that a process was busy
// with when it died, is delivered again (at least once). fn may call
// progress while it works on an event for longer than AckWait. When fn
// returns an error the event is handed back at once (to this process or
// another one consuming d) and ConsumeDurable returns the error. Several
// processes may consume one durable: the server hands each event to one
// of them at a time.
func (s *Store) ConsumeDurable(ctx context.Context, d Durable, fn func(ctx context.Context, e domain.Event, progress func()) error) error {
	if !validToken(d.Name) {
		return fmt.Errorf("durable consumer %q: not a NATS token", d.Name)
	}
	if !validToken(d.Product) {
		return invalidProduct(d.Product)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       d.Name,
		Description:   "ledger durable: events of " + d.Product,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       d.AckWait,
		MaxAckPending: 1, // in order: the next event only once this one is acknowledged
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if !d.Since.IsZero() {
		since := d.Since.UTC()
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	if len(d.Kinds) == 0 {
		cfg.FilterSubjects = []string{domain.ProductSubjects(d.Product)}
	}
	for _, k := range d.Kinds {
		cfg.FilterSubjects = append(cfg.FilterSubjects, "ledger."+d.Product+"."+string(k)+".>")
	}
	cons, err := s.durable(ctx, cfg)
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1), jetstream.PullHeartbeat(readHeartbeat))
	if err != nil {
		return fmt.Errorf("durable consumer %s: %w", d.Name, err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("durable consumer %s: %w", d.Name, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			_ = m.Term() // not a stream message: nothing to deliver
			continue
		}
		var e domain.Event
		_ = s.decodeTo(func(ev domain.Event) error { e = ev; return nil })(m, meta.Sequence.Stream)
		if err := fn(ctx, e, func() { _ = m.InProgress() }); err != nil {
			_ = m.Nak()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("durable consumer %s at sequence %d: %w", d.Name, meta.Sequence.Stream, err)
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmWait)
		err = m.DoubleAck(actx)
		cancel()
		if err != nil && ctx.Err() == nil {
			// Not acknowledged: the event comes again, which at least
			// once allows.
			s.warnf("durable consumer %s: acknowledging sequence %d: %v", d.Name, meta.Sequence.Stream, err)
		}
	}
}

// durable makes the consumer cfg describes, or finds it as made before.
func (s *Store) durable(ctx context.Context, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	cctx, cancel := withTimeout(ctx)
	defer cancel()
	cons, err := s.js.CreateOrUpdateConsumer(cctx, StreamName, cfg)
	if err == nil {
		return cons, nil
	}
	// An existing consumer keeps the start it was made with.
	if old, lerr := s.js.Consumer(cctx, StreamName, cfg.Durable); lerr == nil {
		return old, nil
	}
	return nil, fmt.Errorf("durable consumer %s: %w", cfg.Durable, err)
}

// DurableNames lists the durable consumers of the stream whose names
// start with prefix.
func (s *Store) DurableNames(ctx context.Context, prefix string) ([]string, error) {
	cctx, cancel := withTimeout(ctx)
	defer cancel()
	st, err := s.js.Stream(cctx, StreamName)
	if err != nil {
		return nil, fmt.Errorf("listing the consumers of %s: %w", StreamName, err)
	}
	l := st.ConsumerNames(cctx)
	var out []string
	for n := range l.Name() {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	if err := l.Err(); err != nil {
		return nil, fmt.Errorf("listing the consumers of %s: %w", StreamName, err)
	}
	return out, nil
}

// DeleteDurable deletes the durable consumer name; one already gone is
// not an error.
func (s *Store) DeleteDurable(ctx context.Context, name string) error {
	cctx, cancel := withTimeout(ctx)
	defer cancel()
	err := s.js.DeleteConsumer(cctx, StreamName, name)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("deleting consumer %s: %w", name, err)
	}
	return nil
}
