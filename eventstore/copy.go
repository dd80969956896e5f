package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// copyCheck is how often serve checks the clients' copies: a copy a
// client deleted or changed is restored within it (sooner when the
// server announces the deletion).
const copyCheck = 2 * time.Second

// copyMaxAckPending bounds what a copy's consumer sends before the copy
// confirms it, by flow control.
const copyMaxAckPending = 10_000

// copyConfig is the clients' copy of stream: a mirror, fed by the store's
// durable consumer for it. A mirror has no subjects, so nothing published
// in the clients' account lands in it; deletes and purges are denied.
func copyConfig(stream string, replicas int) jetstream.StreamConfig {
	cfg := jetstream.StreamConfig{
		Name:        stream,
		Description: "Decision ledger: a read-only copy of " + stream + " for the ledger's clients, kept by ledger serve",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Retention:   jetstream.LimitsPolicy,
		MaxMsgs:     -1, MaxBytes: -1, MaxAge: 0, MaxMsgsPerSubject: -1, MaxConsumers: -1,
		DenyDelete:  true,
		DenyPurge:   true,
		AllowDirect: true,
		Mirror: &jetstream.StreamSource{
			Name:     stream,
			External: &jetstream.ExternalStream{APIPrefix: copyAPIPrefix},
			Consumer: &jetstream.StreamConsumerSource{Name: copyConsumer, DeliverSubject: copyDeliver(stream)},
		},
	}
	if replicas <= 1 {
		// A copy is not the record: on one server it is written without
		// an fsync per message (the ledger's own writes keep theirs), and
		// one that lost its tail in a power cut is found with holes and
		// made again. (A replicated stream syncs on its log already, and
		// takes no other mode.)
		cfg.PersistMode = jetstream.AsyncPersistMode
	}
	return cfg
}

// copyConsumerConfig is the store's durable consumer that feeds the copy
// of stream.
func copyConsumerConfig(stream string, replicas int) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        copyConsumer,
		DeliverSubject: copyDeliver(stream),
		Description:    "feeds the clients' read-only copy (ledger serve)",
		AckPolicy:      jetstream.AckFlowControlPolicy,
		FlowControl:    true,
		IdleHeartbeat:  time.Second,
		MaxAckPending:  copyMaxAckPending,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		Replicas:       replicas,
	}
}

// isCopy reports whether cfg is the copy the ledger keeps of stream, and
// if not, why.
func isCopy(cfg jetstream.StreamConfig, stream string) string {
	m := cfg.Mirror
	switch {
	case m == nil:
		return "it is not a mirror"
	case m.Name != stream || m.External == nil || m.External.APIPrefix != copyAPIPrefix || m.Consumer == nil ||
		m.Consumer.Name != copyConsumer || m.Consumer.DeliverSubject != copyDeliver(stream):
		return "it mirrors something else"
	case len(cfg.Subjects) > 0:
		return "it has subjects"
	case !cfg.DenyDelete || !cfg.DenyPurge:
		return "its messages can be deleted"
	case cfg.Replicas <= 1 && cfg.PersistMode != jetstream.AsyncPersistMode:
		return "it is written with an fsync per message"
	case cfg.MaxMsgs > 0 || cfg.MaxBytes > 0 || cfg.MaxAge > 0 || cfg.MaxMsgsPerSubject > 0:
		return "limits can remove its messages"
	}
	return ""
}

// copier keeps the clients' copies: it runs in serve, with a connection
// of its own in the clients' account that may manage the copies and
// nothing else.
type copier struct {
	s  *Store
	nc *nats.Conn
	js jetstream.JetStream
	// fed says for which streams the store's feeding consumer exists.
	fed map[string]bool
	// warnf hears of every copy restored.
	warnf func(format string, args ...any)
	// said is the last warning given about each stream, so that one that
	// holds for a while is given once.
	said map[string]string
	// poked asks keep to look at the copies now (poke).
	poked chan struct{}
}

// poke asks the copier to look at the copies now rather than at its next
// check: a stream was just created (the first checkpoint), and a client
// waiting for its copy should not wait copyCheck for it.
func (c *copier) poke() {
	select {
	case c.poked <- struct{}{}:
	default:
	}
}

// keepCopies makes the copies and restores them until ctx ends.
func (c *copier) keep(ctx context.Context) {
	// The server announces a deleted copy at once; the periodic check
	// catches the rest (a copy replaced, changed, or left behind).
	changed := make(chan struct{}, 1)
	sub, err := c.nc.Subscribe("$JS.EVENT.ADVISORY.STREAM.>", func(*nats.Msg) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	if err == nil {
		defer func() { _ = sub.Unsubscribe() }()
	}
	t := time.NewTicker(copyCheck)
	defer t.Stop()
	for {
		for _, stream := range copiedStreams {
			if ctx.Err() != nil {
				return
			}
			err := c.ensure(ctx, stream)
			msg := ""
			if err != nil && ctx.Err() == nil {
				msg = fmt.Sprintf("the clients' copy of %s: %v", stream, err)
			}
			if msg != "" && msg != c.said[stream] {
				c.warnf("%s", msg)
			}
			c.said[stream] = msg
		}
		c.limit(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
		case <-c.poked:
		}
	}
}

// ensure makes or restores the copy of stream, once the stream exists.
func (c *copier) ensure(ctx context.Context, stream string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	src, err := c.s.js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil // nothing to copy yet (no checkpoint signed)
	}
	if err != nil {
		return err
	}
	replicas := src.CachedInfo().Config.Replicas
	cp, err := c.js.Stream(ctx, stream)
	why := "it is missing"
	switch {
	case err == nil:
		info := cp.CachedInfo()
		if why = isCopy(info.Config, stream); why == "" {
			why = c.holes(src.CachedInfo(), info)
		}
	case !errors.Is(err, jetstream.ErrStreamNotFound):
		return err
	}
	if why == "" {
		if !c.fed[stream] {
			// The copy and its consumer are a pair: both kept from the
			// last run, the copy goes on where it stopped.
			if _, err := c.s.js.CreateOrUpdateConsumer(ctx, stream, copyConsumerConfig(stream, replicas)); err != nil {
				return fmt.Errorf("cannot create the consumer that feeds it: %w", err)
			}
			c.fed[stream] = true
		}
		return nil
	}
	if err != nil && c.fed[stream] {
		c.warnf("the clients' copy of %s is gone (a client deleted it): restoring it", stream)
	}
	if err == nil {
		c.warnf("the clients' copy of %s was changed (%s): restoring it", stream, why)
		if err := c.js.DeleteStream(ctx, stream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("cannot remove the changed copy: %w", err)
		}
	}
	if err := c.room(src.CachedInfo()); err != nil {
		return err
	}
	// A new copy starts from the stream's first message: its consumer,
	// which remembers how far the last copy got, starts again too.
	if err := c.s.js.DeleteConsumer(ctx, stream, copyConsumer); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("cannot reset the consumer that feeds it: %w", err)
	}
	if _, err := c.s.js.CreateConsumer(ctx, stream, copyConsumerConfig(stream, replicas)); err != nil {
		return fmt.Errorf("cannot create the consumer that feeds it: %w", err)
	}
	c.fed[stream] = true
	_, err = c.js.CreateStream(ctx, copyConfig(stream, replicas))
	return err
}

// copyRoom is the room a new copy leaves on the data directory's disk
// beyond the stream's size and the store's own reserve.
const copyRoom = 4 << 20

// room refuses to make a copy, on an embedded store, that the data
// directory's disk has no room for: a copy that ran out of space would
// make JetStream stop for the ledger too, and a client that deletes the
// copy must not be able to make serve fill the disk by restoring it.
func (c *copier) room(src *jetstream.StreamInfo) error {
	if c.s.lock == nil || minFree == 0 {
		return nil
	}
	free, ok := freeBytes(c.s.lock.dir)
	if f := copyFreeBytes.Load(); f != nil {
		free, ok = (*f)(c.s.lock.dir)
	}
	need := src.State.Bytes + minFree + copyRoom
	if !ok || free >= need {
		return nil
	}
	return fmt.Errorf("no room for it on the disk of data directory %q (%s free, it needs %s): clients read no copy until there is room", c.s.lock.dir, bytesText(free), bytesText(need))
}

// copyFreeBytes, when set, replaces freeBytes for the copies (tests).
var copyFreeBytes atomic.Pointer[func(dir string) (uint64, bool)]

// limit bounds, on the embedded server, what the clients' account may
// store: the copies and a margin, two streams, no memory. Whatever a
// client makes the clients' JetStream do, it cannot fill the disk the
// ledger writes to.
func (c *copier) limit(ctx context.Context) {
	ns := c.s.natsServer()
	if ns == nil {
		return
	}
	var total uint64
	for _, stream := range copiedStreams {
		st, err := c.s.js.Stream(ctx, stream)
		if err == nil {
			total += st.CachedInfo().State.Bytes
		}
	}
	acc, err := ns.LookupAccount(ClientsAccount)
	if err != nil {
		return
	}
	_ = acc.UpdateJetStreamLimits(map[string]server.JetStreamAccountLimits{"": {
		MaxStore:     int64(total + total/4 + 4*copyRoom),
		MaxMemory:    0,
		MaxStreams:   len(copiedStreams),
		MaxConsumers: -1,
	}})
}

// holes says why a copy that caught up with its stream does not hold
// what the stream holds: a client that resets the copy's consumer past
// messages makes the mirror take them for deleted upstream and skip them.
func (c *copier) holes(src, cp *jetstream.StreamInfo) string {
	if cp.State.LastSeq != src.State.LastSeq {
		return "" // still catching up: judged once it has
	}
	if cp.State.Msgs != src.State.Msgs || cp.State.FirstSeq != src.State.FirstSeq {
		return fmt.Sprintf("it holds %d messages from sequence %d, the stream %d from %d", cp.State.Msgs, cp.State.FirstSeq, src.State.Msgs, src.State.FirstSeq)
	}
	return ""
}

// startCopies starts keeping the clients' copies on nc, a connection in
// the clients' account allowed to manage them; Close stops it.
func (s *Store) startCopies(nc *nats.Conn) error {
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(defaultTimeout))
	if err != nil {
		return fmt.Errorf("cannot use JetStream in the clients' account: %w", err)
	}
	c := &copier{s: s, nc: nc, js: js, fed: map[string]bool{}, warnf: s.warnf, said: map[string]string{}, poked: make(chan struct{}, 1)}
	// The first copy is made now, so that clients find it once serve says
	// it runs; serve runs without it when it cannot be made (no room),
	// saying so, and makes it as soon as it can.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	c.limit(ctx)
	for _, stream := range copiedStreams {
		if err := c.ensure(ctx, stream); err != nil {
			c.said[stream] = fmt.Sprintf("the clients' copy of %s: %v", stream, err)
			c.warnf("%s", c.said[stream])
			continue
		}
		if err := c.caughtUp(ctx, stream); err != nil && c.said[stream] == "" {
			c.warnf("the clients' copy of %s: %v", stream, err)
		}
	}
	cancel()
	ctx, stop := context.WithCancel(context.Background())
	s.copies, s.copiesStop, s.copiesDone = c, stop, make(chan struct{})
	go func() {
		defer close(s.copiesDone)
		c.keep(ctx)
	}()
	return nil
}

// caughtUp waits until the copy of stream holds what the stream held when
// it was called, so that serve, once it says it runs, is read by its
// clients as it is: a copy made a moment ago must not answer "no
// checkpoint" for a ledger that has one. A stream not made yet has nothing
// to wait for.
func (c *copier) caughtUp(ctx context.Context, stream string) error {
	src, err := c.s.js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	want := src.CachedInfo().State.LastSeq
	for {
		cp, err := c.js.Stream(ctx, stream)
		if err == nil && cp.CachedInfo().State.LastSeq >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			got := uint64(0)
			if err == nil {
				got = cp.CachedInfo().State.LastSeq
			}
			return fmt.Errorf("still catching up (at sequence %d of %d); clients read it as it fills", got, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stopCopies stops keeping the copies and closes the copier's connection.
func (s *Store) stopCopies() {
	if s.copies == nil {
		return
	}
	s.copiesStop()
	<-s.copiesDone
	s.copies.nc.Close()
	s.copies = nil
}

// copyFresh is how recently a copy must have heard from its stream (a
// message or the feed's heartbeat, every second) to be taken as caught
// up; copySettle bounds the wait for it.
const (
	copyFresh  = 3 * time.Second
	copySettle = 5 * time.Second
)

// settle waits, for a store that reads the clients' copy, until the copy
// has caught up with the stream as far as it knows (nothing pending
// behind the last message it received, and that recently), so that a
// client reading right after serve restarted, or after the copy was
// restored, does not read a copy still filling up. It waits at most
// copySettle and then reads what there is: a copy lags the ledger by the
// time a message takes to cross, so answers that must reflect a write
// just made come from the service.
func (s *Store) settle(ctx context.Context) { s.settleCopy(ctx, StreamName) }

// settleCopy is settle for the copy of stream.
func (s *Store) settleCopy(ctx context.Context, stream string) {
	if s.readOnly == nil {
		return
	}
	deadline := time.Now().Add(copySettle)
	for {
		ictx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := s.js.Stream(ictx, stream)
		cancel()
		if err != nil {
			return
		}
		m := st.CachedInfo().Mirror
		if m == nil || (m.Lag == 0 && m.Active >= 0 && m.Active < copyFresh) {
			return
		}
		if time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}
