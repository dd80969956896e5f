package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// caughtUpPoll is how often CaughtUp looks at a copy that is behind.
const caughtUpPoll = 20 * time.Millisecond

// CaughtUp waits until what this store reads of stream (StreamName or
// CheckpointStreamName) holds sequence seq. The store itself holds what
// was acknowledged, so it returns at once; a store that reads the
// clients' copy waits for the copy to receive it (a checkpoint serve
// signed for this client, say), until ctx ends, and then says how far
// the copy got. A copy that does not exist yet (serve makes the copy of
// LEDGER_CHECKPOINTS once the first checkpoint is signed) is waited for
// too.
func (s *Store) CaughtUp(ctx context.Context, stream string, seq uint64) error {
	if s.readOnly == nil || seq == 0 {
		return nil
	}
	var last uint64
	for {
		ictx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := s.js.Stream(ictx, stream)
		cancel()
		switch {
		case err == nil:
			if last = st.CachedInfo().State.LastSeq; last >= seq {
				return nil
			}
		case !errors.Is(err, jetstream.ErrStreamNotFound) && ctx.Err() == nil:
			return fmt.Errorf("the clients' copy of %s: %w", stream, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the clients' copy of %s holds sequence %d, not yet %d: %w", stream, last, seq, ctx.Err())
		case <-time.After(caughtUpPoll):
		}
	}
}
