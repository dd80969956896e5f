package eventstore

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/stored"
)

// Headers every stored event carries besides Nats-Msg-Id; they let the
// audit code and tools read an event's type without decoding it.
const (
	HeaderType   = "Ledger-Type"
	HeaderSchema = "Ledger-Schema"
)

// JetStream publish headers (server/stream.go).
const (
	hdrExpectedLastSubjSeq     = "Nats-Expected-Last-Subject-Sequence"
	hdrExpectedLastSubjSeqSubj = "Nats-Expected-Last-Subject-Sequence-Subject"
	hdrExpectedLastSeq         = "Nats-Expected-Last-Sequence"
	hdrExpectedLastMsgID       = "Nats-Expected-Last-Msg-Id"
	hdrBatchID                 = "Nats-Batch-Id"
	hdrBatchSeq                = "Nats-Batch-Sequence"
	hdrBatchCommit             = "Nats-Batch-Commit"
)

// MaxBatch is the most events one Append stores: the server's default
// limit on an atomic batch.
const MaxBatch = 1000

// JetStream error codes Append maps.
const (
	errCodeWrongLastSeq           = jetstream.JSErrCodeStreamWrongLastSequence         // 10071, single replica
	errCodeWrongLastSeqReplicated = jetstream.JSErrCodeStreamWrongLastSequenceConstant // 10164, replicated
	errCodeWrongLastMsgID         = 10070                                              // the stream's last message is another
	errCodeDuplicateInProcess     = 10158                                              // a message with this id is being stored
	errCodeBatchDuplicate         = 10201                                              // an atomic batch holds an id already stored
	errCodeStorageExceeded        = 10047                                              // insufficient storage resources available
	errCodeInsufficientResources  = 10023                                              // insufficient resources
)

// Append stores events (all of one product, each with its id) in order and
// returns their stream sequences.
//
// expect is the product's last stream sequence the caller decided on, 0
// when the product has no events yet: if any event of the product was
// stored since, nothing is stored and the error is a domain conflict
// (errors.Is(err, domain.ErrConflict)). One event is one publish; several
// are one atomic batch, stored all or nothing. An append whose event ids are
// already stored (a retried command) stores nothing again and returns the
// original sequences with no error. Appends from several goroutines are
// sent in the order they are called (see Send).
func (s *Store) Append(ctx context.Context, events []domain.Event, expect uint64) ([]uint64, error) {
	return s.append(ctx, events, expect, "")
}

// AppendAttested is Append, with attest recorded on the first event as
// stored.HeaderState: what the writer attests about the product's state
// at expect, the state it decided the events on (the command handler
// names the write-state snapshot of that state, so that a later reader
// can tell it from an edited one; see Attestation). An empty attest is
// Append.
func (s *Store) AppendAttested(ctx context.Context, events []domain.Event, expect uint64, attest string) ([]uint64, error) {
	return s.append(ctx, events, expect, attest)
}

func (s *Store) append(ctx context.Context, events []domain.Event, expect uint64, attest string) ([]uint64, error) {
	seqs, err := s.send(ctx, events, expect, attest, false).wait(ctx)
	if errors.Is(err, errChainBroken) {
		// The caller's expect is a position it read or was answered,
		// never one this store predicted: the product's own check says
		// whether it still holds.
		seqs, err = s.send(ctx, events, expect, attest, true).wait(ctx)
	}
	return seqs, err
}

// Send sends events to be stored as Append stores them, after every
// append sent before it, and returns without waiting for JetStream:
// wait returns what Append would. When this store knows where the
// stream ends (it alone wrote to it since its last appends), seqs are
// the sequences the events get if they are stored, so that a writer can
// decide its next command on them and send it at once, expecting them
// (expect the last of seqs): several decisions of a product are then on
// their way together, each stored only if every one sent before it is,
// and answered by its own acknowledgement. seqs is nil otherwise: wait
// before sending the product's next append.
//
// An append expecting a sequence predicted for one still on its way is
// refused with a domain conflict, by JetStream or at once, when that one
// is not stored or the chain cannot vouch for it; the caller then waits
// for every append it sent, reads what the stream holds and decides
// again. wait must be called, once.
func (s *Store) Send(ctx context.Context, events []domain.Event, expect uint64, attest string) (seqs []uint64, wait func() ([]uint64, error)) {
	snd := s.send(ctx, events, expect, attest, false)
	return snd.predicted, func() ([]uint64, error) {
		seqs, err := snd.wait(ctx)
		if errors.Is(err, errChainBroken) {
			return nil, &domain.Error{Kind: domain.KindConflict, Err: err,
				Msg: fmt.Sprintf("product %q: an earlier write of this process did not reach the stream, or another writer did, before this one (expected last sequence %d): decide again", events[0].Product, expect)}
		}
		return seqs, err
	}
}

// checkDuplicate makes sure that the message JetStream took e for, by its
// id, is e's own earlier copy and not another event that happens to share
// the id: a duplicate is only success when it is the same event.
func (s *Store) checkDuplicate(ctx context.Context, e domain.Event, seq uint64) error {
	st, err := s.js.Stream(ctx, StreamName)
	if err != nil {
		return fmt.Errorf("checking duplicate of event %s: %w", e.ID, err)
	}
	m, err := st.GetMsg(ctx, seq)
	if err != nil {
		return fmt.Errorf("checking duplicate of event %s at sequence %d: %w", e.ID, seq, err)
	}
	if m.Subject != e.Subject() {
		return fmt.Errorf("event id %s is already used at sequence %d by another event (%s, not %s)", e.ID, seq, m.Subject, e.Subject())
	}
	return nil
}

// prevInBatch is HeaderPrev of every event of a batch but the first: the
// message just before it in the stream (an atomic batch is stored in one
// piece).
const prevInBatch = "batch"

// buildMsgs validates the events and turns them into messages, the first
// naming the product's previous event (expect); send sets what the
// first expects of the stream.
func buildMsgs(events []domain.Event, expect uint64, sign func([]byte) ([]byte, error), attest string) ([]*nats.Msg, error) {
	product := events[0].Product
	if !validToken(product) {
		return nil, invalidProduct(product)
	}
	if len(events) > MaxBatch {
		return nil, &domain.Error{Kind: domain.KindInvalid, Msg: fmt.Sprintf("%d events in one append: at most %d can be stored atomically", len(events), MaxBatch)}
	}
	ids := make(map[string]bool, len(events))
	msgs := make([]*nats.Msg, len(events))
	for i, e := range events {
		switch {
		case e.Product != product:
			return nil, &domain.Error{Kind: domain.KindInvalid, Field: "product", Msg: fmt.Sprintf("event %s is for product %q, not %q: one append holds one product", e.ID, e.Product, product)}
		case e.ID == "":
			return nil, &domain.Error{Kind: domain.KindInvalid, Field: "id", Msg: fmt.Sprintf("event %d (%s) has no id", i, e.Type)}
		case ids[e.ID]:
			return nil, &domain.Error{Kind: domain.KindInvalid, Field: "id", Msg: fmt.Sprintf("event id %s appears twice in one append", e.ID)}
		case e.Aggregate.Kind == "" || !validToken(e.Aggregate.ID):
			return nil, &domain.Error{Kind: domain.KindInvalid, Field: "aggregate", Msg: fmt.Sprintf("event %s has aggregate %s %q, which is not a subject token", e.ID, e.Aggregate.Kind, e.Aggregate.ID)}
		}
		ids[e.ID] = true
		data, err := domain.Encode(e)
		if err != nil {
			return nil, fmt.Errorf("encoding event %s: %w", e.ID, err)
		}
		m := nats.NewMsg(e.Subject())
		m.Data = data
		m.Header.Set(jetstream.MsgIDHeader, e.ID)
		m.Header.Set(HeaderType, e.Type)
		m.Header.Set(HeaderSchema, strconv.Itoa(e.Schema))
		if i == 0 {
			m.Header.Set(stored.HeaderPrev, strconv.FormatUint(expect, 10))
		} else {
			m.Header.Set(stored.HeaderPrev, prevInBatch)
		}
		if sign != nil {
			sig, err := sign(domain.SignedMessage(m.Subject, data))
			if err != nil {
				return nil, fmt.Errorf("signing event %s: %w", e.ID, err)
			}
			m.Header.Set(stored.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
		}
		msgs[i] = m
	}
	if attest != "" {
		msgs[0].Header.Set(stored.HeaderState, attest)
	}
	return msgs, nil
}

// appendFailed turns a refused append into the ledger's answer. A retried
// append whose events are already stored succeeds with their sequences: on
// a replicated stream the server reports the duplicate ids, on a single
// replica the sequence check fails first (a retry with the same expect
// finds its events after expect), so both answers are checked against the
// stream. Any other sequence failure is a domain conflict.
func (s *Store) appendFailed(ctx context.Context, events []domain.Event, expect uint64, cause error) ([]uint64, error) {
	var apiErr *jetstream.APIError
	if !errors.As(cause, &apiErr) {
		return nil, fmt.Errorf("appending %d events to product %q: %w", len(events), events[0].Product, cause)
	}
	product := events[0].Product
	switch apiErr.ErrorCode {
	case errCodeStorageExceeded, errCodeInsufficientResources:
		if s.lock != nil {
			s.recoverMu.Lock()
			s.limitHit = true
			s.recoverMu.Unlock()
			free, _ := freeBytes(s.lock.dir)
			return nil, &DiskFullError{Dir: s.lock.dir, Free: free, Stored: apiErr.Description}
		}
		return nil, fmt.Errorf("JetStream has no storage left for stream %s (%s): nothing was recorded for product %q: free space on the NATS servers or raise their JetStream limits, then retry: %w", StreamName, apiErr.Description, product, ErrDiskFull)
	case errCodeWrongLastSeq, errCodeWrongLastSeqReplicated:
		// Had this append been stored already with the same expectation,
		// its events would be the product's next ones after expect.
		seqs, all, err := s.stored(ctx, events, position{after: expect}, len(events))
		if err != nil {
			return nil, err
		}
		if all {
			return seqs, nil
		}
		now, err := s.LastSeq(ctx, product)
		if err != nil {
			return nil, domain.Conflict("product %q changed since it was read (expected last sequence %d): retry", product, expect)
		}
		return nil, domain.Conflict("product %q changed since it was read (expected last sequence %d, it is now %d): retry", product, expect, now)
	case errCodeBatchDuplicate, errCodeDuplicateInProcess:
		// JetStream forgets ids after the duplicate window, so the first
		// write is recent. On a replicated stream it may still be on its
		// way (in process): look for it a little.
		since := position{since: time.Now().Add(-3 * duplicateWindow)}
		deadline := time.Now().Add(2 * time.Second)
		for {
			seqs, all, err := s.stored(ctx, events, since, 0)
			if err != nil {
				return nil, err
			}
			if all {
				return seqs, nil
			}
			if apiErr.ErrorCode != errCodeDuplicateInProcess || time.Now().After(deadline) {
				return nil, fmt.Errorf("appending %d events to product %q: some of their ids are already stored, not all: %w", len(events), product, cause)
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("appending %d events to product %q: %w", len(events), product, cause)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil, fmt.Errorf("appending %d events to product %q: %w", len(events), product, cause)
}

// stored looks for the events by id among the product's messages stored
// from start on, reading at most limit of them (0: all); all reports
// whether every one was found.
func (s *Store) stored(ctx context.Context, events []domain.Event, start position, limit int) (seqs []uint64, all bool, err error) {
	want := make(map[string]int, len(events))
	for i, e := range events {
		want[e.ID] = i
	}
	filter := domain.ProductSubjects(events[0].Product)
	end, err := s.lastSeq(ctx, filter)
	if err != nil {
		return nil, false, err
	}
	seqs = make([]uint64, len(events))
	found, read := 0, 0
	_, err = s.scan(ctx, filter, start, end, func(m jetstream.Msg, seq uint64) error {
		if i, ok := want[m.Headers().Get(jetstream.MsgIDHeader)]; ok && seqs[i] == 0 {
			seqs[i] = seq
			found++
		}
		if read++; found == len(events) || read == limit {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, false, fmt.Errorf("looking for events already stored: %w", err)
	}
	return seqs, found == len(events), nil
}

// errStop ends a scan early.
var errStop = errors.New("stop")
