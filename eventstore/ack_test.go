package eventstore

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// rogue connects to url and answers every message it receives on every
// inbox with reply, as a client that wanted to forge acknowledgements
// would; it returns how many it received. (A listener client may not
// even subscribe to ledger.>: its permissions refuse it.)
func rogue(t *testing.T, url string, reply string) *atomic.Int64 {
	t.Helper()
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	var n atomic.Int64
	_, err = nc.Subscribe("_INBOX.>", func(m *nats.Msg) {
		if bytes.HasPrefix(m.Data, []byte(`{"type":"io.nats.jetstream.api.v1.`)) {
			// The answer to serve's copier, which keeps the copies from
			// the clients' account and asks its JetStream API about them:
			// what any client may ask for itself, not a write's
			// acknowledgement (which has no type).
			return
		}
		n.Add(1)
		if m.Reply != "" {
			_ = m.Respond([]byte(reply))
		}
	})
	require.NoError(t, err)
	// The server answers a refused subscription before the flush's PONG.
	require.NoError(t, nc.Flush())
	require.NoError(t, nc.LastError(), "the rogue's subscriptions were refused, so it would prove nothing")
	return &n
}

func TestAppend_ListenerClientsNeverSeeAWrite(t *testing.T) {
	// Append takes JetStream's acknowledgement without reading the
	// stream back: what makes that safe is that no client of serve's
	// listener can answer in JetStream's place. Listener clients belong
	// to the clients' account, where serve's inboxes do not exist.
	s, err := Open(testCtx(t), Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	ctx := testCtx(t)
	seen := rogue(t, s.ClientURL(), `{"stream":"LEDGER","seq":999999,"count":3}`)

	seqs, err := s.Append(ctx, []domain.Event{productCreated("forge", "f1")}, 0)
	require.NoError(t, err)
	more, err := s.Append(ctx, itemsAdded("forge", "f2", 3), seqs[0])
	require.NoError(t, err)
	_, err = s.Append(ctx, []domain.Event{itemAdded("forge", "f3", 9)}, 0)
	require.ErrorIs(t, err, domain.ErrConflict, "a refused write is answered by JetStream, as refused")
	got := readAll(t, s, "forge")
	require.Len(t, got, 4)
	assert.Equal(t, got[0].Seq, seqs[0])
	assert.Equal(t, []uint64{got[1].Seq, got[2].Seq, got[3].Seq}, more)
	assert.Zero(t, seen.Load(), "the listener's clients received nothing of the writes")
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
	tests := map[string]struct {
		stream    string
		seq       uint64
		expect    uint64
		duplicate bool
		want      string
	}{
		"OK":          {stream: StreamName, seq: 5, expect: 4},
		"OKDuplicate": {stream: StreamName, seq: 5, expect: 5, duplicate: true},
		"ErrStream":   {stream: "OTHER", seq: 5, want: `names stream "OTHER"`},
		"ErrNotPast":  {stream: StreamName, seq: 5, expect: 5, want: "is not past the expected"},
		"ErrZero":     {stream: StreamName, seq: 0, want: "sequence 0 is not past"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := checkAck(tc.stream, tc.seq, tc.expect, tc.duplicate)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, errForgedAck)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
