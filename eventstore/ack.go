package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// An acknowledgement is a reply on core NATS, and the first answer to a
// publish wins. Who can answer? Only a client of the account that holds
// the stream: serve alone (accounts.go, "Who can reach the store"), whose
// inbox no client of the clients' account can reach. So Append takes an
// acknowledgement as JetStream's without reading the stream back; it only
// checks what the acknowledgement itself says (the stream, a sequence past
// the expected one), which costs nothing and catches a server configured
// with another stream on the ledger's subjects. On a NATS server whose
// users share one account with serve, anyone can answer publishes, and
// also delete the stream or publish events around the ledger: the ledger
// needs its accounts there (README, "Using an existing NATS server").

// errForgedAck is wrapped by the error of an acknowledgement that does not
// belong to the write it answers.
var errForgedAck = errors.New("acknowledgement does not match the write")

// confirmWait bounds how long Append looks in the stream for its events
// after an acknowledgement that does not fit: the true write may still be
// on its way.
const confirmWait = 3 * time.Second

// checkAck checks an acknowledgement of a write that expected the stream
// (or the product) to end at expect: it must name the LEDGER stream and a
// sequence past expect (unless it reports a duplicate, whose first copy
// may predate expect). It returns an error wrapping errForgedAck when it
// does not.
func checkAck(stream string, seq, expect uint64, duplicate bool) error {
	switch {
	case stream != StreamName:
		return fmt.Errorf("%w: it names stream %q, not %s", errForgedAck, stream, StreamName)
	case seq == 0 || (!duplicate && seq <= expect):
		return fmt.Errorf("%w: sequence %d is not past the expected %d", errForgedAck, seq, expect)
	}
	return nil
}

// confirm finds out, after an acknowledgement that does not fit, what became of the
// write: it looks for the events in the stream, right after expect, where
// the expected-sequence check would have put them. Found, they are stored
// (once: JetStream took them in one write) and their true sequences are
// returned. It gives up, with an error wrapping forged, when another
// event holds the place (the write was refused) or when they do not show
// up within confirmWait; it never reports success for events it has not
// read back.
func (s *Store) confirm(ctx context.Context, events []domain.Event, expect uint64, forged error) ([]uint64, error) {
	product := events[0].Product
	deadline := time.Now().Add(confirmWait)
	for {
		// The product's last sequence is read first: if it is past
		// expect, the place after expect was taken before the scan, and
		// the scan shows whether by these events.
		last, lerr := s.LastSeq(ctx, product)
		seqs, all, err := s.stored(ctx, events, position{after: expect}, len(events))
		if err != nil {
			return nil, fmt.Errorf("appending %d events to product %q: %w; and checking the stream failed: %w", len(events), product, forged, err)
		}
		if all {
			return seqs, nil
		}
		if lerr == nil && last > expect {
			return nil, fmt.Errorf("appending %d events to product %q: %w; they are not stored (another event followed sequence %d): someone on the NATS server answers publishes to ledger.>, restrict its permissions", len(events), product, forged, expect)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("appending %d events to product %q: %w; they were not found in the stream within %s: someone on the NATS server answers publishes to ledger.>, restrict its permissions; retrying the command is safe, its event ids are deduplicated", len(events), product, forged, confirmWait)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("appending %d events to product %q: %w; whether they are stored is unknown: %w", len(events), product, forged, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
