package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// rogue connects to s's listener and answers every request published to
// ledger.> at once with reply, before the stream can; it returns how many
// it answered.
func rogue(t *testing.T, url string, reply string) *atomic.Int64 {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	var n atomic.Int64
	_, err = nc.Subscribe("ledger.>", func(m *nats.Msg) {
		if m.Reply != "" {
			n.Add(1)
			_ = m.Respond([]byte(reply))
		}
	})
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	return &n
}

func TestAppend_ForgedAckNeverReportsWhatIsNotStored(t *testing.T) {
	// A NATS server without the ledger's accounts (an operator's, with
	// one account for everyone): any client may subscribe to ledger.> and
	// answer. The embedded server and the operator's configuration keep
	// clients out of the store's account; the read-back is for the rest.
	url := startPlainServer(t)
	s, err := Open(testCtx(t), Options{URL: url})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx := testCtx(t)
	forged := rogue(t, url, `{"stream":"LEDGER","seq":999999,"count":3}`)

	t.Run("SingleStoredOnce", func(t *testing.T) {
		seqs, err := s.Append(ctx, []domain.Event{productCreated("forge", "f1")}, 0)
		require.NoError(t, err, "the true write is found in the stream")
		got := readAll(t, s, "forge")
		require.Len(t, got, 1, "stored once")
		assert.Equal(t, []uint64{got[0].Seq}, seqs, "the true sequence, not the forged one")
	})
	t.Run("BatchStoredOnce", func(t *testing.T) {
		last, err := s.LastSeq(ctx, "forge")
		require.NoError(t, err)
		seqs, err := s.Append(ctx, itemsAdded("forge", "f2", 3), last)
		require.NoError(t, err)
		got := readAll(t, s, "forge")
		require.Len(t, got, 4)
		assert.Equal(t, []uint64{got[1].Seq, got[2].Seq, got[3].Seq}, seqs)
	})
	t.Run("RefusedWriteIsNotReportedStored", func(t *testing.T) {
		// Expecting an empty product that has events: the stream refuses
		// the write, the rogue says it was stored.
		// A refusal is quick (no fsync), so the true answer may win the
		// race: then it is the conflict it is. TestConfirm pins the other
		// outcome without a race.
		_, err := s.Append(ctx, []domain.Event{itemAdded("forge", "f3", 9)}, 0)
		require.Error(t, err)
		if errors.Is(err, errForgedAck) {
			assert.NotErrorIs(t, err, domain.ErrConflict, "the true answer was lost: it cannot be called a conflict")
			assert.Contains(t, err.Error(), "not stored")
		} else {
			assert.ErrorIs(t, err, domain.ErrConflict)
		}
		assert.Len(t, readAll(t, s, "forge"), 4, "nothing stored")
	})
	assert.Positive(t, forged.Load(), "the rogue answered")
}

// TestConfirm checks what Append does after a false acknowledgement,
// whichever way the true write went.
func TestConfirm(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	forged := fmt.Errorf("%w: test", errForgedAck)
	stored := itemsAdded("conf", "c1", 2)
	seqs, err := s.Append(ctx, stored, 0)
	require.NoError(t, err)

	t.Run("OKStored", func(t *testing.T) {
		got, err := s.confirm(ctx, stored, 0, forged)
		require.NoError(t, err)
		assert.Equal(t, seqs, got)
	})
	t.Run("ErrPlaceTaken", func(t *testing.T) {
		_, err := s.confirm(ctx, []domain.Event{itemAdded("conf", "c2", 5)}, 0, forged)
		require.ErrorIs(t, err, errForgedAck)
		assert.NotErrorIs(t, err, domain.ErrConflict)
		assert.Contains(t, err.Error(), "they are not stored (another event followed sequence 0)")
	})
	t.Run("ErrNeverShowsUp", func(t *testing.T) {
		// Nothing follows: the write may still come, so it is not called
		// refused either; the caller's deadline ends the wait.
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, err := s.confirm(short, []domain.Event{itemAdded("conf", "c3", 5)}, seqs[1], forged)
		require.ErrorIs(t, err, errForgedAck)
		assert.Contains(t, err.Error(), "whether they are stored is unknown")
	})
	assert.Len(t, readAll(t, s, "conf"), 2)
}

func TestCheckAck(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	e := productCreated("ack", "a1")
	seqs, err := s.Append(ctx, []domain.Event{e}, 0)
	require.NoError(t, err)
	seq := seqs[0]
	tests := map[string]struct {
		stream    string
		seq       uint64
		expect    uint64
		duplicate bool
		id        string
		want      string
	}{
		"OK":            {stream: StreamName, seq: seq, id: e.ID},
		"OKDuplicate":   {stream: StreamName, seq: seq, expect: seq, duplicate: true, id: e.ID},
		"ErrStream":     {stream: "OTHER", seq: seq, id: e.ID, want: `names stream "OTHER"`},
		"ErrNotPast":    {stream: StreamName, seq: seq, expect: seq, id: e.ID, want: "is not past the expected"},
		"ErrNoMessage":  {stream: StreamName, seq: 999999, id: e.ID, want: "holds no message at sequence 999999"},
		"ErrOtherEvent": {stream: StreamName, seq: seq, id: "01OTHER", want: "is event \"" + e.ID + "\", not 01OTHER"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := s.checkAck(ctx, tc.stream, tc.seq, tc.expect, tc.duplicate, tc.id)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, errForgedAck)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
