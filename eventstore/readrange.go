package eventstore

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decisionledger/ledger/domain"
)

// maxUnfilteredRange is the longest range of stream sequences ReadRange
// reads without a subject filter: past it, the messages of other
// products it would receive and skip cost more than the filter.
const maxUnfilteredRange = 16384

// unfilteredRest is how many times longer than the range the rest of the
// stream must be for ReadRange to read the range unfiltered: the count a
// filtered consumer costs follows the rest of the stream (a few
// milliseconds per hundred thousand messages when the server's subject
// index is loaded, ten to fifty times that when it has expired), the
// messages skipped follow the range (two or three microseconds each).
const unfilteredRest = 32

// errPastRange ends a filtered ReadRange at its bound.
var errPastRange = errors.New("past the range")

// ReadRange is Read that stops at the stream sequence upTo: it calls fn,
// in order, for every event of the product whose sequence is greater than
// after and at most upTo (and at most the stream's last sequence when
// ReadRange was called). It is for the short reads of an as-of answer,
// the events between a snapshot and the next one. A consumer filtered on
// the product's subjects has the server count the product's pending
// messages over the rest of the stream as it is created, walking the
// subject index of every block after the start and loading the blocks
// whose index has expired: 10-20 ms in the middle of 1M events, and
// several hundred the first time after a while. So a range of up to
// maxUnfilteredRange sequences that is short against the rest of the
// stream (unfilteredRest) is read without a subject filter, and the
// other products' messages are dropped before they are decoded; any
// other range is read as Read reads, filtered. ReadRange returns fn's
// first error and the last sequence of the product delivered without
// error, or after.
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
	delivered := after
	if end-after > maxUnfilteredRange || last-after < unfilteredRest*(end-after) {
		_, err := s.Read(ctx, product, after, func(e domain.Event) error {
			if e.Seq > end {
				return errPastRange
			}
			if err := fn(e); err != nil {
				return err
			}
			delivered = e.Seq
			return nil
		})
		if errors.Is(err, errPastRange) {
			err = nil
		}
		return delivered, err
	}
	prefix, _ := strings.CutSuffix(domain.ProductSubjects(product), ">")
	decode := s.decodeTo(fn)
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
