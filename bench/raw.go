package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// The raw baselines: what a plain JetStream client does for each path,
// with the same server, the same file storage and the same fsync on every
// write, and none of the ledger in between. They talk to JetStream
// directly on purpose: going through eventstore would measure the ledger
// against itself. Nothing but the bench may call them.

// rawStream is the stream the raw writes go to: LEDGER's settings, other
// subjects, so that the ledger never sees the raw copies.
const (
	rawStream  = "BENCHRAW"
	rawSubject = "benchraw"
)

// createRawStream creates rawStream with the settings of LEDGER.
func createRawStream(ctx context.Context, js jetstream.JetStream) error {
	st, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		return fmt.Errorf("raw stream: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("raw stream: %w", err)
	}
	cfg := info.Config
	cfg.Name, cfg.Subjects, cfg.Description = rawStream, []string{rawSubject + ".>"}, "ledger bench: raw baseline"
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		return fmt.Errorf("raw stream: %w", err)
	}
	return nil
}

func deleteRawStream(ctx context.Context, js jetstream.JetStream) error {
	err := js.DeleteStream(ctx, rawStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	return err
}

// rawSubjectOf is e's subject under the raw stream.
func rawSubjectOf(e domain.Event) string {
	return rawSubject + strings.TrimPrefix(e.Subject(), "ledger")
}

func rawFilter(product string) string { return rawSubject + "." + product + ".>" }

// rawMsgs encodes events into the messages Append would send for them
// (the same bytes and headers), on the raw stream's subjects.
func rawMsgs(events []domain.Event) ([]*nats.Msg, error) {
	out := make([]*nats.Msg, len(events))
	for i, e := range events {
		data, err := domain.Encode(e)
		if err != nil {
			return nil, err
		}
		m := nats.NewMsg(rawSubjectOf(e))
		m.Data = data
		m.Header.Set(jetstream.MsgIDHeader, e.ID)
		m.Header.Set(eventstore.HeaderType, e.Type)
		m.Header.Set(eventstore.HeaderSchema, strconv.Itoa(e.Schema))
		out[i] = m
	}
	return out, nil
}

// rawPublishExpectingTail publishes m synchronously, expecting the
// stream's last sequence to be tail, and returns its sequence.
func rawPublishExpectingTail(ctx context.Context, js jetstream.JetStream, m *nats.Msg, tail uint64) (uint64, error) {
	m.Header.Set("Nats-Expected-Last-Sequence", strconv.FormatUint(tail, 10))
	ack, err := js.PublishMsg(ctx, m)
	if err != nil {
		return 0, fmt.Errorf("raw publish on %s: %w", m.Subject, err)
	}
	return ack.Sequence, nil
}

// rawPublishBatch publishes msgs as one atomic batch, the first expecting
// the last sequence of filter to be expect, and returns the last
// sequence.
func rawPublishBatch(ctx context.Context, nc *nats.Conn, msgs []*nats.Msg, filter string, expect uint64) (uint64, error) {
	id := nuid.Next()
	msgs[0].Header.Set("Nats-Expected-Last-Subject-Sequence", strconv.FormatUint(expect, 10))
	msgs[0].Header.Set("Nats-Expected-Last-Subject-Sequence-Subject", filter)
	for i, m := range msgs {
		m.Header.Set("Nats-Batch-Id", id)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i < len(msgs)-1 {
			if err := nc.PublishMsg(m); err != nil {
				return 0, err
			}
		}
	}
	commit := msgs[len(msgs)-1]
	commit.Header.Set("Nats-Batch-Commit", "1")
	resp, err := nc.RequestMsgWithContext(ctx, commit)
	if err != nil {
		return 0, fmt.Errorf("raw batch commit: %w", err)
	}
	var ack struct {
		Error *jetstream.APIError `json:"error"`
		Seq   uint64              `json:"seq"`
	}
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return 0, err
	}
	if ack.Error != nil {
		return 0, fmt.Errorf("raw batch refused: %w", ack.Error)
	}
	return ack.Seq, nil
}

// rawRead reads every message of stream matching filter ("" for all)
// with an ordered consumer and JSON-decodes each into an event, the least
// a reader of the ledger's events does; it returns how many it read.
func rawRead(ctx context.Context, js jetstream.JetStream, stream, filter string, fn func(domain.Event)) (int, error) {
	cfg := jetstream.OrderedConsumerConfig{InactiveThreshold: 30 * time.Second}
	if filter != "" {
		cfg.FilterSubjects = []string{filter}
	}
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return 0, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, err
	}
	if info.NumPending == 0 {
		return 0, nil
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2000))
	if err != nil {
		return 0, err
	}
	defer it.Stop()
	n := 0
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return n, err
		}
		e, _ := domain.Decode(m.Data())
		if fn != nil {
			fn(e)
		}
		n++
		meta, err := m.Metadata()
		if err != nil {
			return n, err
		}
		if meta.NumPending == 0 {
			return n, nil
		}
	}
}
