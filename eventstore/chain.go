package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/decisionledger/ledger/domain"
)

// An append's optimistic concurrency is on the whole product: nothing of
// the product may have been stored since the sequence the writer decided
// on. JetStream checks that with Nats-Expected-Last-Subject-Sequence on
// ledger.<product>.>, and finding the last message among those subjects
// walks every subject of the product, one per item, request and roadmap
// item it ever had: at 20,000 items that walk was half the CPU of a
// decision, and the decision half as fast as at 100 items.
//
// Expecting the stream's last message instead (Nats-Expected-Last-Sequence
// and Nats-Expected-Last-Msg-Id) is a comparison, and the stronger check:
// it holds only when nothing at all was stored since. It stands for the
// product's check when the store knows that every message after the
// product's last one is its own and of other products. The chain is that
// knowledge: every message in (since, seq] is one this store sent, in the
// order it sent them (one connection, one stream), last[p] the latest of
// product p among them. It is learnt from acknowledgements: two appends
// of this store stored one right after the other, with nothing else on
// its way, start it; any answer it did not predict (a failure, a
// duplicate, a sequence other than the one predicted) forgets it, and the
// appends go back to the product's check until it starts again. Several
// writers on one stream (serve instances on a cluster) thus keep to the
// product's check, which is what tells their writes apart.
//
// On a cluster the chain is never known. There JetStream checks a
// product's expected sequence before it replicates the write, against the
// stored messages and the writes in flight that expect the same product
// (or publish on the same subject); a write in flight that expects the
// stream's last message is not among them, so a writer expecting the
// product's sequence meanwhile (another instance, a one-shot command)
// would be stored beside it. A single server checks every expectation
// as it stores, in order, so the two mix safely there.
//
// The chain also lets appends follow each other without waiting: an
// append sent while others are on their way expects the one sent just
// before it to be the stream's last message (its sequence and its
// id), so it is stored only if that one was, and its sequences are known
// when it is sent (Send).

// errChainBroken is wrapped by the error of an append refused because the
// stream did not end where the chain said: another writer, or an append
// sent before it that was not stored. The product itself may not have
// changed.
var errChainBroken = errors.New("the stream does not end where this store's previous appends left it")

type chain struct {
	mu sync.Mutex
	// clustered is set when the store's server is part of a cluster, or
	// when other serve instances write the stream beside this store
	// (Owners): the chain is never known then.
	clustered bool
	known     bool
	seq       uint64            // the stream's last sequence once every append sent is stored
	id        string            // the Nats-Msg-Id of the message at seq
	since     uint64            // every message in (since, seq] is this store's
	last      map[string]uint64 // per product, its last message in (since, seq]
	// sent counts the appends sent and not yet answered; flying holds
	// the last sequence predicted for each of them that was predicted.
	sent   int
	flying map[uint64]bool
	// mark is, while the chain is not known, the latest append answered
	// stored; contiguous says it was stored right after the one before.
	mark *chainMark
}

type chainMark struct {
	first, seq uint64
	id         string
	product    string
	contiguous bool
}

// forgetLocked drops what the chain knows: appends use the product's
// check until two of them are stored in a row again.
func (c *chain) forgetLocked() {
	c.known, c.last, c.mark = false, nil, nil
}

// forget is forgetLocked for a caller that does not hold mu: after
// JetStream restarted, the stream may have lost its last messages.
func (c *chain) forget() {
	c.mu.Lock()
	c.forgetLocked()
	c.mu.Unlock()
}

// answered records the answer to snd: stored at seq (ok) or not.
func (c *chain) answered(snd *sending, seq uint64, ok, duplicate bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent--
	if snd.predicted != nil {
		delete(c.flying, snd.predicted[len(snd.predicted)-1])
	}
	n := uint64(len(snd.events))
	switch {
	case !ok || duplicate || seq < n:
		c.forgetLocked()
		return
	case snd.predicted != nil && seq != snd.predicted[len(snd.predicted)-1]:
		// Stored, but not where the chain said: someone else wrote.
		c.forgetLocked()
	}
	if c.known || c.clustered {
		return
	}
	first := seq - n + 1
	if c.mark == nil || seq > c.mark.seq {
		c.mark = &chainMark{first: first, seq: seq, id: snd.events[len(snd.events)-1].ID, product: snd.product,
			contiguous: c.mark != nil && first == c.mark.seq+1}
	}
	if c.sent == 0 && c.mark.contiguous {
		c.known, c.seq, c.id, c.since = true, c.mark.seq, c.mark.id, c.mark.first-1
		c.last = map[string]uint64{c.mark.product: c.mark.seq}
		c.mark = nil
	}
}

// sending is one append on its way.
type sending struct {
	s         *Store
	events    []domain.Event
	product   string
	expect    uint64
	started   time.Time
	err       error                  // failed before it was sent
	fut       jetstream.PubAckFuture // a single event's acknowledgement
	batch     *nats.Subscription     // or the inbox of a batch's commit
	predicted []uint64
	chained   bool // expects the stream's last message, not the product's
}

// send validates events, builds their messages and sends them, expecting
// the stream's last message when the chain vouches for the product's
// (never when productCheck), the product's last sequence otherwise.
func (s *Store) send(ctx context.Context, events []domain.Event, expect uint64, attest string, productCheck bool) *sending {
	snd := &sending{s: s, events: events, expect: expect, started: time.Now()}
	if len(events) == 0 {
		return snd
	}
	snd.product = events[0].Product
	if snd.err = s.writable(); snd.err != nil {
		return snd
	}
	msgs, err := buildMsgs(events, expect, s.sign, attest)
	if err != nil {
		snd.err = err
		return snd
	}
	size := 0
	for _, m := range msgs {
		size += len(m.Data) + 512 // headers and the file store's framing
	}
	if snd.err = s.checkSpace(size); snd.err != nil {
		return snd
	}
	if snd.err = s.recoverSpace(ctx); snd.err != nil {
		return snd
	}
	n := uint64(len(msgs))
	c := &s.chain
	c.mu.Lock()
	defer c.mu.Unlock()
	first := msgs[0]
	// A batch cannot expect a message id (JetStream refuses the header in
	// an atomic batch), only the stream's sequence, which vouches for
	// nothing on its way: a batch is chained only when nothing is.
	chainable := !productCheck && c.known && (n == 1 || c.sent == 0)
	switch {
	case chainable:
		snd.chained = true
		first.Header.Set(hdrExpectedLastSeq, strconv.FormatUint(c.seq, 10))
		if n == 1 {
			first.Header.Set(hdrExpectedLastMsgID, c.id)
		}
		if expect == 0 || c.last[snd.product] != expect {
			// The chain vouches for the stream since it started, not for
			// a product it has not written since: the product's check
			// too, once; it then is the product's last message.
			first.Header.Set(hdrExpectedLastSubjSeq, strconv.FormatUint(expect, 10))
			first.Header.Set(hdrExpectedLastSubjSeqSubj, domain.ProductSubjects(snd.product))
		}
	case !productCheck && c.flying[expect]:
		// expect was predicted for an append still on its way, and this
		// one cannot be chained to it: the product's check cannot tell
		// that append from another event stored at its sequence.
		snd.err = fmt.Errorf("appending %d events to product %q: %w", n, snd.product, errChainBroken)
		return snd
	default:
		first.Header.Set(hdrExpectedLastSubjSeq, strconv.FormatUint(expect, 10))
		first.Header.Set(hdrExpectedLastSubjSeqSubj, domain.ProductSubjects(snd.product))
		// An append that expects only its product's sequence says nothing
		// of the one sent before it: nothing sent after it can be
		// chained until the chain starts again.
		if c.known {
			c.forgetLocked()
		}
	}
	if n == 1 {
		snd.fut, err = s.js.PublishMsgAsync(first)
	} else {
		snd.batch, err = s.sendBatch(msgs)
	}
	if err != nil {
		c.forgetLocked()
		snd.err = fmt.Errorf("sending %d events of product %q: %w", n, snd.product, err)
		return snd
	}
	c.sent++
	if c.known {
		snd.predicted = make([]uint64, n)
		for i := range snd.predicted {
			snd.predicted[i] = c.seq + 1 + uint64(i)
		}
		c.seq += n
		c.id = events[len(events)-1].ID
		c.last[snd.product] = c.seq
		if c.flying == nil {
			c.flying = map[uint64]bool{}
		}
		c.flying[c.seq] = true
	}
	return snd
}

// sendBatch sends msgs as one atomic batch (server/jetstream_batching.go):
// every message carries the batch id and its position 1..n; the last also
// carries the commit, with a reply subject whose answer is the
// acknowledgement of the whole batch. The server stages the earlier ones
// and checks every message's headers only at the commit, so a failure
// stores nothing.
func (s *Store) sendBatch(msgs []*nats.Msg) (*nats.Subscription, error) {
	id := nuid.Next()
	n := len(msgs)
	inbox := s.nc.NewRespInbox()
	sub, err := s.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	for i, m := range msgs {
		m.Header.Set(hdrBatchID, id)
		m.Header.Set(hdrBatchSeq, strconv.Itoa(i+1))
		if i == n-1 {
			m.Header.Set(hdrBatchCommit, "1")
			m.Reply = inbox
		}
		// A staged message needs no answer; a lost one makes the batch
		// incomplete, which the commit reports.
		if err := s.nc.PublishMsg(m); err != nil {
			_ = sub.Unsubscribe()
			return nil, fmt.Errorf("sending batch message %d of %d: %w", i+1, n, err)
		}
	}
	return sub, nil
}

// failedGrace is how long an append still waits for its acknowledgement
// once the server logged a failed write.
const failedGrace = 100 * time.Millisecond

// closedSignal is a signal that has already come.
var closedSignal = func() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// wait waits for the answer to snd and returns what Append returns.
func (snd *sending) wait(ctx context.Context) ([]uint64, error) {
	s := snd.s
	if snd.err != nil || (snd.fut == nil && snd.batch == nil) {
		return nil, snd.err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var failed <-chan struct{}
	if s.log != nil {
		// A publish JetStream fails to write gets no answer: stop
		// waiting as soon as the server logs why, or at once when it
		// did so between the send and now.
		failed = s.log.spaceSignal()
		if at, _ := s.log.spaceError(); !at.IsZero() && !at.Before(snd.started) {
			failed = closedSignal
		}
	}
	n := len(snd.events)
	seq, duplicate, err := snd.answer(ctx, failed)
	if err == nil {
		err = checkAck(StreamName, seq, snd.expect+uint64(n-1), duplicate)
	}
	s.chain.answered(snd, seq, err == nil, duplicate)
	if err == nil {
		seqs := make([]uint64, n)
		for i := range seqs {
			// A batch is stored in one piece, ending at seq.
			seqs[i] = seq - uint64(n-1-i)
		}
		if duplicate {
			if err := s.checkDuplicate(ctx, snd.events[0], seq); err != nil {
				return nil, err
			}
		}
		return seqs, nil
	}
	if errors.Is(err, errForgedAck) {
		return s.confirm(ctx, snd.events, snd.expect, err)
	}
	if serr := s.spaceError(snd.started); serr != nil {
		// JetStream does not answer a publish it failed to write.
		return nil, serr
	}
	var apiErr *jetstream.APIError
	if snd.chained && errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case errCodeWrongLastSeq, errCodeWrongLastSeqReplicated, errCodeWrongLastMsgID:
			return nil, fmt.Errorf("appending %d events to product %q: %w (%w)", n, snd.product, errChainBroken, err)
		}
	}
	return s.appendFailed(ctx, snd.events, snd.expect, err)
}

// answer waits for JetStream's acknowledgement of snd: the sequence of its
// last message, whether it was a duplicate (a single event whose id was
// stored before), or the error.
func (snd *sending) answer(ctx context.Context, failed <-chan struct{}) (seq uint64, duplicate bool, err error) {
	n := len(snd.events)
	if snd.fut != nil {
		select {
		case ack := <-snd.fut.Ok():
			if ack.Stream != StreamName {
				return 0, false, fmt.Errorf("%w: it names stream %q, not %s", errForgedAck, ack.Stream, StreamName)
			}
			return ack.Sequence, ack.Duplicate, nil
		case err := <-snd.fut.Err():
			if errors.Is(err, jetstream.ErrNoStreamResponse) {
				return 0, false, fmt.Errorf("no JetStream stream stores %s: %w", snd.events[0].Subject(), err)
			}
			return 0, false, err
		case <-ctx.Done():
			return 0, false, fmt.Errorf("waiting for JetStream to acknowledge %d events: %w", n, ctx.Err())
		case <-failed:
			// The failed write may be another's: an acknowledgement
			// already on its way still says this one was stored.
			select {
			case ack := <-snd.fut.Ok():
				if ack.Stream == StreamName {
					return ack.Sequence, ack.Duplicate, nil
				}
			case <-time.After(failedGrace):
			}
			return 0, false, errors.New("JetStream failed to write")
		}
	}
	defer func() { _ = snd.batch.Unsubscribe() }()
	if failed != nil {
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		go func() {
			select {
			case <-failed:
				stop()
			case <-ctx.Done():
			}
		}()
	}
	resp, err := snd.batch.NextMsgWithContext(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("committing a batch of %d events: %w", n, err)
	}
	if resp.Header.Get("Status") == "503" {
		return 0, false, fmt.Errorf("no JetStream stream stores %s: %w", snd.events[0].Subject(), nats.ErrNoResponders)
	}
	var ack struct {
		Error  *jetstream.APIError `json:"error"`
		Stream string              `json:"stream"`
		Seq    uint64              `json:"seq"`
		Count  int                 `json:"count"`
	}
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return 0, false, fmt.Errorf("committing a batch of %d events: bad answer from JetStream: %w", n, err)
	}
	if ack.Error != nil {
		return 0, false, fmt.Errorf("atomic batch of %d events refused, none stored: %w", n, ack.Error)
	}
	if ack.Stream != StreamName || ack.Count != n || ack.Seq < uint64(n) {
		return 0, false, fmt.Errorf("committing a batch of %d events: %w: unexpected answer %s", n, errForgedAck, resp.Data)
	}
	return ack.Seq, false, nil
}
