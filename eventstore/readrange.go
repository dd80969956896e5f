package eventstore

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
)

// maxUnfilteredRange is the longest range of stream sequences ReadRange
// reads without a subject filter: past it, the messages of other
// products it would receive and skip cost more than the filter.
const maxUnfilteredRange = 16384

// ReadRange is Read that stops at the stream sequence upTo: it calls fn,
// in order, for every event of the product whose sequence is greater than
// after and at most upTo (and at most the stream's last sequence when
// ReadRange was called). It is for the short reads of an as-of answer,
// the events between a snapshot and the next one: a range of up to
// maxUnfilteredRange stream sequences is read without a subject filter,
// and the other products' messages are dropped before they are decoded.
// A consumer filtered on the product's subjects would have the server
// count the product's pending messages over the rest of the stream as it
// is created, walking the subject index of every block after the start
// and loading the blocks whose index has expired: 10-20 ms at 1M events
// and several hundred the first time after a while, against about a
// microsecond for each message skipped here. A longer range is read as
// Read reads, filtered. ReadRange returns fn's first error and the last
// sequence of the product delivered without error, or after.
func (s *Store) ReadRange(ctx context.Context, product string, after, upTo uint64, fn func(domain.Event) error) (uint64, error) {
	if !validToken(product) {
		return after, invalidProduct(product)
	}
	last, err := s.streamLastSeq(ctx)
	if err != nil {
		return after, err
	}
	end := min(upTo, last)
	if end <= after {
		return after, nil
	}
	filter := domain.ProductSubjects(product)
	if end-after > maxUnfilteredRange {
		return s.scanEvents(ctx, filter, position{after: after}, end, decodeWorkers(), fn)
	}
	prefix, _ := strings.CutSuffix(filter, ">")
	decode := s.decodeTo(fn)
	delivered := after
	_, err = s.scan(ctx, "", position{after: after}, end, func(m jetstream.Msg, seq uint64) error {
		if !strings.HasPrefix(m.Subject(), prefix) {
			return nil
		}
		if err := decode(m, seq); err != nil {
			return err
		}
		delivered = seq
		return nil
	})
	return delivered, err
}
