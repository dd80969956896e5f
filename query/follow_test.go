package query

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
)

func TestFollow(t *testing.T) {
	q, s := demoService(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	head, applied, err := q.Head(ctx, "checkout")
	require.NoError(t, err)
	require.NotZero(t, head)
	assert.Equal(t, head, applied, "without live projections the views read the stream: no lag")

	got := make(chan LogEntry, 16)
	done := make(chan error, 1)
	go func() {
		done <- q.Follow(ctx, "checkout", head-2, func(r LogEntry) error {
			got <- r
			return nil
		})
	}()
	for _, want := range []uint64{head - 1, head} {
		select {
		case r := <-got:
			assert.Equal(t, want, r.Seq, "resumes right after the sequence given")
		case <-time.After(5 * time.Second):
			t.Fatal("no event from Follow")
		}
	}
	h := command.New(s, func() time.Time { return eventstoretest.SeedNow })
	_, err = h.Do(ctx, command.Request{Action: "request.submit", Product: "checkout", Actor: "sally",
		Args: []byte(`{"id":"REQ-F","title":"Follow me","why":"Live"}`)})
	require.NoError(t, err)
	select {
	case r := <-got:
		assert.Equal(t, head+1, r.Seq)
		assert.Equal(t, "RequestSubmitted", string(r.Type))
	case <-time.After(5 * time.Second):
		t.Fatal("a new event did not arrive")
	}
	cancel()
	require.NoError(t, <-done, "Follow ends quietly when its context ends")
}

func TestFollowStopsOnError(t *testing.T) {
	q, _ := demoService(t)
	stop := errors.New("enough")
	err := q.Follow(context.Background(), "checkout", 0, func(LogEntry) error { return stop })
	assert.ErrorIs(t, err, stop)
	err = q.Follow(context.Background(), "no such", 0, func(LogEntry) error { return nil })
	assert.Equal(t, domain.KindInvalid, domain.KindOf(err), "a bad product id is refused: %v", err)
}
