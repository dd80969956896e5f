package query

import (
	"context"
	"fmt"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/replay"
)

// tail is what Head needs of the source; *eventstore.Store has it.
type tail interface {
	// LastSeq returns the stream sequence of the product's last event, 0
	// when it has none.
	LastSeq(ctx context.Context, product string) (uint64, error)
}

// Follow calls fn for every message of product after the stream sequence
// after, in stream order, as the log shows it, and goes on with each new
// one as it is stored, until ctx ends (then it returns nil) or fn fails
// (then it returns fn's error). It is how an edge streams decisions as
// they happen (server-sent events). A message that cannot be decided at
// all (domain.Screen: bytes that are no event this version reads, a
// subject that is not the envelope's, an event over the size limit) is
// marked quarantined with the validating fold's reason and followed by the
// next: one bad message never stops the stream. The rules' own verdicts
// need the history before the event, which a stream that starts anywhere
// does not fold: the views and the log carry them. The source must be
// able to follow (*eventstore.Store can); otherwise Follow fails at once.
func (s *Service) Follow(ctx context.Context, product string, after uint64, fn func(LogEntry) error) error {
	if err := domain.CheckID("product", product); err != nil {
		return err
	}
	f, ok := s.src.(replay.Follower)
	if !ok {
		return fmt.Errorf("the event source %T cannot follow new events", s.src)
	}
	err := f.Follow(ctx, product, after, func(e domain.Event) error {
		return fn(NewLogEntry(e, domain.Screen(e, product)))
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// LiveAt returns, without asking the stream, the position an answer for
// now about the product would have: where its live projections stand,
// once they include every write this process made to it. ok is false
// without live projections, for a product they do not follow, or while
// they lag behind such a write. Answers for now are a function of that
// position, so an edge may keep an encoded answer for as long as LiveAt
// returns its position.
func (s *Service) LiveAt(product string) (pos uint64, ok bool) {
	if s.live == nil {
		return 0, false
	}
	pos = s.live.Position(product)
	if pos == 0 || (s.seen != nil && s.seen(product) > pos) {
		return 0, false
	}
	return pos, true
}

// Head returns the stream sequence of the product's last stored event (0
// when it has none), and the last sequence the live projections applied
// (equal to the head when the service has no live projections: its views
// are then built from the stream). head minus applied is the projection
// lag.
func (s *Service) Head(ctx context.Context, product string) (head, applied uint64, err error) {
	t, ok := s.src.(tail)
	if !ok {
		return 0, 0, fmt.Errorf("the event source %T cannot tell its last sequence", s.src)
	}
	head, err = t.LastSeq(ctx, product)
	if err != nil {
		return 0, 0, fmt.Errorf("last sequence of product %q: %w", product, err)
	}
	if s.live == nil {
		return head, head, nil
	}
	return head, s.live.Position(product), nil
}
