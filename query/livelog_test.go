package query

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/replay"
)

// TestLiveLogBuiltInBackground: Live restores the views first and builds
// the transparency log behind them; once it is attached, why is answered
// from the live projections (nothing replayed), equals the answer rebuilt
// from the stream, and follows new decisions.
func TestLiveLogBuiltInBackground(t *testing.T) {
	q, s := demoService(t)
	// Snapshots of the views, so that the restore starts from one.
	_, err := Rebuild(context.Background(), s, s.Snapshots(), "checkout", replay.Latest, 50, true, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := NewLive(s, s.Snapshots(), 50, t.Logf)
	done := make(chan struct{})
	go func() { defer close(done); _ = live.Run(ctx) }()
	defer func() { cancel(); <-done }()
	h := command.New(s, nil)
	lq := New(s, s.Snapshots())
	lq.UseLive(live, h.LastSeq)

	require.Eventually(t, func() bool { return live.LogReady("checkout") }, 10*time.Second, 5*time.Millisecond)
	w, err := lq.Why(ctx, "checkout", replay.Latest, "CARD-2", 0)
	require.NoError(t, err)
	assert.Zero(t, w.Replayed, "answered from the live log")
	assertSameView(t, q, lq, ViewWhy, Options{Product: "checkout", ID: "CARD-2"})

	out, err := h.Do(ctx, command.Request{Action: "item.rank", Product: "checkout", Actor: "nina",
		Args: json.RawMessage(`{"id":"BNPL-3","top":true,"why":"after the restore"}`)})
	require.NoError(t, err)
	seq := out.Events[len(out.Events)-1].Seq
	w, err = lq.Why(ctx, "checkout", replay.Latest, "BNPL-3", seq)
	require.NoError(t, err)
	assert.Equal(t, "after the restore", w.Decisions[len(w.Decisions)-1].Why)
	assertSameView(t, q, lq, ViewWhy, Options{Product: "checkout", ID: "BNPL-3"})
}
