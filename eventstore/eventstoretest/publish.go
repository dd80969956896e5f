package eventstoretest

import (
	"context"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/eventstore"
)

// PublishOnce publishes data on subject with a single JetStream publish
// that expects the last sequence of the subjects matching filter to be
// expect, the way eventstore.Append stores one event, and returns its
// sequence. It is the least a writer can do, for benchmarks that compare
// the ledger's write path with it; it bypasses every check of Append, so
// nothing but a benchmark or test should call it.
func PublishOnce(ctx context.Context, s *eventstore.Store, subject, msgID string, data []byte, filter string, expect uint64) (uint64, error) {
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, msgID)
	m.Header.Set("Nats-Expected-Last-Subject-Sequence", strconv.FormatUint(expect, 10))
	m.Header.Set("Nats-Expected-Last-Subject-Sequence-Subject", filter)
	ack, err := s.JetStream().PublishMsg(ctx, m)
	if err != nil {
		return 0, fmt.Errorf("publishing on %s: %w", subject, err)
	}
	return ack.Sequence, nil
}
