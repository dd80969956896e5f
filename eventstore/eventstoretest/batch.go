package eventstoretest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/decisionledger/ledger/eventstore"
)

// PublishBatch publishes msgs as one JetStream atomic batch, the first
// expecting the last sequence of the subjects matching filter to be
// expect, and returns the sequence of the last: the least an import can
// do per batch, for benchmarks that compare the ledger's write path with
// it. Like PublishOnce it bypasses every check of Append (no validation,
// no acknowledgement read back), so nothing but a benchmark or test should
// call it. msgs carry their subjects, data and Nats-Msg-Id; their headers
// are changed.
func PublishBatch(ctx context.Context, s *eventstore.Store, msgs []*nats.Msg, filter string, expect uint64) (uint64, error) {
	id := nuid.Next()
	nc := s.Conn()
	msgs[0].Header.Set("Nats-Expected-Last-Subject-Sequence", strconv.FormatUint(expect, 10))
	msgs[0].Header.Set("Nats-Expected-Last-Subject-Sequence-Subject", filter)
	for i, m := range msgs {
		m.Header.Set("Nats-Batch-Id", id)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		if i < len(msgs)-1 {
			if err := nc.PublishMsg(m); err != nil {
				return 0, fmt.Errorf("batch message %d: %w", i+1, err)
			}
		}
	}
	last := msgs[len(msgs)-1]
	last.Header.Set("Nats-Batch-Commit", "1")
	resp, err := nc.RequestMsgWithContext(ctx, last)
	if err != nil {
		return 0, fmt.Errorf("committing a batch of %d: %w", len(msgs), err)
	}
	var ack struct {
		Error *struct {
			Description string `json:"description"`
		} `json:"error"`
		Seq uint64 `json:"seq"`
	}
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return 0, fmt.Errorf("committing a batch of %d: %w", len(msgs), err)
	}
	if ack.Error != nil {
		return 0, fmt.Errorf("batch of %d refused: %s", len(msgs), ack.Error.Description)
	}
	return ack.Seq, nil
}
