package eventstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/stored"
)

// readBatch is how many messages the server sends ahead of the reader.
const readBatch = 2000

// readHeartbeat is how often an idle server tells the reader it is alive;
// two missed heartbeats make the client recreate its consumer. The
// default (5s for a 30s pull) turns a lost pull request into a 10s stall:
// in a cluster a pull sent right after the consumer was created can reach
// a server that does not know the consumer yet, and the client ignores
// the "no responders" answer when iterating with Next.
const readHeartbeat = time.Second

// noEnd is the end of a scan that follows the stream.
const noEnd = math.MaxUint64

// position is where a scan starts: after a stream sequence, or, when since
// is set, at the first message stored at or after that time. batch, when
// not 0, is how many messages the server may send ahead of the reader
// (readBatch when 0).
type position struct {
	after uint64
	since time.Time
	batch int
}

// followBatch is the batch of a follower's reads (Follow): a follower is
// often a client of its own (an HTTP event stream) that takes events at
// its own pace, and what the messages the server sends ahead of it hold
// is what each such client costs, whatever the history it resumes from.
const followBatch = 64

// Read calls fn, in order, for every event of the product whose stream
// sequence is greater than after, up to the product's last sequence when
// Read was called, with Event.Seq set. A message that domain.Decode cannot
// read is delivered too, with its Unknown payload: it never stops Read. If
// fn returns an error Read stops and returns it. Read returns the last
// sequence delivered without error, or after when there was none.
func (s *Store) Read(ctx context.Context, product string, after uint64, fn func(domain.Event) error) (uint64, error) {
	if !validToken(product) {
		return after, invalidProduct(product)
	}
	filter := domain.ProductSubjects(product)
	end, err := s.lastSeq(ctx, filter)
	if err != nil {
		return after, fmt.Errorf("reading product %q: %w", product, err)
	}
	return s.scanEvents(ctx, filter, position{after: after}, end, decodeWorkers(), fn)
}

// ReadAggregate is Read over the events of one aggregate only (the
// subject ledger.<product>.<kind>.<id>): the server sends nothing else, so
// its cost follows the aggregate's events, not the product's history. An
// aggregate without events is not an error.
func (s *Store) ReadAggregate(ctx context.Context, product string, kind domain.AggregateKind, id string, after uint64, fn func(domain.Event) error) (uint64, error) {
	if !validToken(product) {
		return after, invalidProduct(product)
	}
	if !validToken(string(kind)) || !validToken(id) {
		return after, &domain.Error{Kind: domain.KindInvalid, Field: "id",
			Msg: fmt.Sprintf("%s %q is not a subject token: no dots, wildcards or spaces", kind, id)}
	}
	subject := domain.Subject(product, kind, id)
	end, err := s.lastSeq(ctx, subject)
	if err != nil {
		return after, fmt.Errorf("reading %s: %w", subject, err)
	}
	if end == 0 {
		return after, nil
	}
	return s.scanEvents(ctx, subject, position{after: after}, end, decodeWorkers(), fn)
}

// readFollowing is Read for a follower: a batch of followBatch, decoded
// on the caller's goroutine, so that a follower resuming far back holds
// a few dozen messages at a time, never the history.
func (s *Store) readFollowing(ctx context.Context, product string, after uint64, fn func(domain.Event) error) (uint64, error) {
	filter := domain.ProductSubjects(product)
	end, err := s.lastSeq(ctx, filter)
	if err != nil {
		return after, fmt.Errorf("reading product %q: %w", product, err)
	}
	return s.scan(ctx, filter, position{after: after, batch: followBatch}, end, s.decodeTo(fn))
}

// ReadAll is Read over every message of the stream, whatever its subject.
func (s *Store) ReadAll(ctx context.Context, after uint64, fn func(domain.Event) error) (uint64, error) {
	end, err := s.streamLastSeq(ctx)
	if err != nil {
		return after, err
	}
	return s.scanEvents(ctx, "", position{after: after}, end, decodeWorkers(), fn)
}

// Follow is Read that does not stop at the end: it goes on delivering the
// product's events as they are stored, until ctx is cancelled (it returns
// nil then) or fn returns an error (it returns that error). What a
// follower holds is bounded whatever it resumes from: followBatch messages
// sent ahead while it catches up, then at most followerQueue events (a
// follower that falls further behind is dropped and catches up again).
func (s *Store) Follow(ctx context.Context, product string, after uint64, fn func(domain.Event) error) error {
	if !validToken(product) {
		return invalidProduct(product)
	}
	return s.followHub().follow(ctx, product, after, fn)
}

// Raw is one stored message as JetStream holds it, for the audit code
// (declared in package stored, which audit shares).
type Raw = stored.Raw

// ReadRaw calls fn, in order, for every message of the stream with a
// sequence greater than after, up to the stream's last sequence when
// ReadRaw was called. It stops when fn returns an error and returns it; it
// returns the last sequence delivered without error, or after.
func (s *Store) ReadRaw(ctx context.Context, after uint64, fn func(Raw) error) (uint64, error) {
	end, err := s.streamLastSeq(ctx)
	if err != nil {
		return after, err
	}
	return s.scan(ctx, "", position{after: after}, end, func(m jetstream.Msg, seq uint64) error {
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("message %d: %w", seq, err)
		}
		return fn(Raw{Seq: seq, Subject: m.Subject(), Header: m.Headers(), Data: m.Data(), Time: meta.Timestamp})
	})
}

// StreamLastSeq returns the sequence of the stream's last message, of
// whatever subject (0 for an empty stream).
func (s *Store) StreamLastSeq(ctx context.Context) (uint64, error) { return s.streamLastSeq(ctx) }

func (s *Store) streamLastSeq(ctx context.Context) (uint64, error) {
	s.settle(ctx)
	info, err := s.info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

// decodeTo adapts an event callback to a message callback.
func (s *Store) decodeTo(fn func(domain.Event) error) func(jetstream.Msg, uint64) error {
	return func(m jetstream.Msg, seq uint64) error {
		e, _ := domain.DecodeAs(m.Data(), m.Headers().Get(HeaderType)) // an unreadable event arrives with an Unknown payload
		e.Seq = seq
		e.Stored = storedOf(m, seq, s.verify)
		return fn(e)
	}
}

// storedOf is what the stream says about a message beside its bytes: the
// validating fold checks the envelope against it.
func storedOf(m jetstream.Msg, seq uint64, verify func(msg, sig []byte) bool) *domain.Stored {
	st := &domain.Stored{Subject: m.Subject(), Data: m.Data()}
	if md, err := m.Metadata(); err == nil {
		st.Time = md.Timestamp
	}
	h := m.Headers()
	switch p := h.Get(stored.HeaderPrev); p {
	case "":
	case prevInBatch:
		st.Prev, st.HasPrev = seq-1, true
	default:
		if n, err := strconv.ParseUint(p, 10, 64); err == nil {
			st.Prev, st.HasPrev = n, true
		}
	}
	if sig := h.Get(stored.HeaderSignature); sig != "" {
		b, err := base64.StdEncoding.DecodeString(sig)
		switch {
		case err != nil:
			st.Sig, st.SigState = []byte{}, domain.SigInvalid
		case verify == nil:
			st.Sig, st.SigState = b, domain.SigUnchecked
		case verify(domain.SignedMessage(st.Subject, st.Data), b):
			st.Sig, st.SigState = b, domain.SigValid
		default:
			st.Sig, st.SigState = b, domain.SigInvalid
		}
	}
	return st
}

// scan delivers, in order, the messages matching filter ("" for all) from
// start up to the stream sequence end (noEnd: until ctx is cancelled). It
// uses an ordered consumer: an ephemeral, flow-controlled push of the
// stream's messages that the client recreates from the last sequence it saw
// if a message goes missing. It returns the last sequence fn accepted.
//
// A wildcard filter costs the server a walk over the block's matching
// subjects for every message it delivers (filestore firstMatching), which
// dominates when the filter matches most of a block with many distinct
// subjects. So when the filtered messages are at least half of the range,
// scan reads the range unfiltered and drops the others itself.
func (s *Store) scan(ctx context.Context, filter string, start position, end uint64, fn func(jetstream.Msg, uint64) error) (uint64, error) {
	s.settle(ctx)
	last := start.after
	if end != noEnd && end <= start.after {
		return last, nil
	}
	c, err := s.consume(ctx, filter, start, end)
	if err != nil {
		return last, err
	}
	defer func() {
		if c != nil {
			c.close(ctx)
		}
	}()
	var keep func(subject string) bool
	if filter != "" && end != noEnd && start.since.IsZero() {
		if info := c.cons.CachedInfo(); info != nil && info.NumPending*2 >= end-start.after {
			c.close(ctx)
			all, err := s.consume(ctx, "", start, end)
			if err != nil {
				c = nil
				return last, err
			}
			c = all
			if prefix, ok := strings.CutSuffix(filter, ">"); ok {
				keep = func(subject string) bool { return strings.HasPrefix(subject, prefix) }
			} else {
				keep = func(subject string) bool { return subject == filter } // one aggregate's subject
			}
		}
	}
	for {
		m, err := c.it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if end == noEnd && ctx.Err() != nil {
				return last, nil
			}
			return last, fmt.Errorf("reading stream %s after sequence %d: %w", StreamName, last, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return last, fmt.Errorf("message on %s has no stream metadata: %w", m.Subject(), err)
		}
		seq := meta.Sequence.Stream
		if seq > end {
			return last, nil
		}
		if keep == nil || keep(m.Subject()) {
			if err := fn(m, seq); err != nil {
				return last, err
			}
			last = seq
		}
		// Nothing pending also ends a bounded read, should the message at
		// end have gone (a stream rewritten behind the ledger's back).
		if seq == end || (end != noEnd && meta.NumPending == 0) {
			return last, nil
		}
	}
}

// consumer is an ordered consumer being read.
type consumer struct {
	s    *Store
	cons jetstream.Consumer
	it   jetstream.MessagesContext
}

// consume starts an ordered consumer of the messages matching filter from
// start on.
func (s *Store) consume(ctx context.Context, filter string, start position, end uint64) (*consumer, error) {
	cfg := jetstream.OrderedConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       start.after + 1,
		InactiveThreshold: 30 * time.Second,
	}
	if !start.since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, 0, &start.since
	}
	if filter != "" {
		cfg.FilterSubjects = []string{filter}
	}
	if end != noEnd {
		// A bounded read gives up rather than retrying for ever.
		cfg.MaxResetAttempts = 5
	}
	cons, err := s.js.OrderedConsumer(ctx, StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("reading stream %s: %w", StreamName, err)
	}
	batch := start.batch
	if batch <= 0 {
		batch = readBatch
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(batch), jetstream.PullHeartbeat(readHeartbeat))
	if err != nil {
		return nil, fmt.Errorf("reading stream %s: %w", StreamName, err)
	}
	return &consumer{s: s, cons: cons, it: it}, nil
}

// close stops the consumer and deletes it on the server, where it would
// otherwise linger until InactiveThreshold.
func (c *consumer) close(ctx context.Context) {
	c.it.Stop()
	if info := c.cons.CachedInfo(); info != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = c.s.js.DeleteConsumer(dctx, StreamName, info.Name)
		cancel()
	}
}

// ReadStrays calls fn, in order, for every message stored on the subject
// ledger.<product> itself. No event is ever stored there (an event's
// subject names its aggregate, ledger.<product>.<kind>.<id>, and a write
// expects the product's last sequence on ledger.<product>.>), so Read
// never delivers them; the product's log lists them, quarantined, so
// that what someone published around the ledger under the product's name
// is seen. It stops at fn's first error and returns it.
func (s *Store) ReadStrays(ctx context.Context, product string, fn func(domain.Event) error) error {
	if !validToken(product) {
		return invalidProduct(product)
	}
	subject := "ledger." + product
	end, err := s.lastSeq(ctx, subject)
	if err != nil || end == 0 {
		return err
	}
	_, err = s.scan(ctx, subject, position{}, end, s.decodeTo(fn))
	return err
}

// Lost returns how many sequences up to its last the stream is missing:
// messages deleted or lost (to corruption, to someone with the data
// files), of any subject. The stream denies deletes, so it only grows, and
// a snapshot that recorded it can tell whether anything went since.
func (s *Store) Lost(ctx context.Context) (uint64, error) {
	info, err := s.info(ctx)
	if err != nil {
		return 0, err
	}
	if info.State.Msgs > info.State.LastSeq {
		return 0, nil
	}
	return info.State.LastSeq - info.State.Msgs, nil
}

// CountUpTo returns how many messages of the product's subjects the
// stream holds at sequences up to seq. The server counts them as it
// creates a consumer (two here: from the start and after seq), walking
// its subject index: milliseconds on a long stream, so it is for the rare
// check of a snapshot against a stream that lost messages.
func (s *Store) CountUpTo(ctx context.Context, product string, seq uint64) (uint64, error) {
	if !validToken(product) {
		return 0, invalidProduct(product)
	}
	filter := domain.ProductSubjects(product)
	// After seq first: an event stored between the two counts adds to
	// the total, never makes the count look short.
	after, err := s.pending(ctx, filter, seq+1)
	if err != nil {
		return 0, err
	}
	total, err := s.pending(ctx, filter, 1)
	if err != nil {
		return 0, err
	}
	if after > total {
		return 0, nil
	}
	return total - after, nil
}

// pending is how many messages matching filter the stream holds from the
// sequence start on, as the server counts them for a new consumer.
func (s *Store) pending(ctx context.Context, filter string, start uint64) (uint64, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	c, err := s.js.CreateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: start, FilterSubject: filter,
		AckPolicy: jetstream.AckNonePolicy, InactiveThreshold: 5 * time.Second,
	})
	if err != nil {
		return 0, fmt.Errorf("counting the messages of %s: %w", filter, err)
	}
	info := c.CachedInfo()
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	_ = s.js.DeleteConsumer(dctx, StreamName, info.Name)
	dcancel()
	return info.NumPending, nil
}
