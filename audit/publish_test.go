package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/stored"
)

// fastPolls makes the checkpointer look for new events every few
// milliseconds for the test.
func fastPolls(t *testing.T) {
	old := pollInterval
	pollInterval = 10 * time.Millisecond
	t.Cleanup(func() { pollInterval = old })
}

// logLines collects what the checkpointer logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// checkpointSizes lists the sizes of the published checkpoints.
func checkpointSizes(t *testing.T, s *eventstore.Store, v note.Verifier) []int64 {
	t.Helper()
	var sizes []int64
	for _, r := range readRecordsOf(t, s) {
		if r.Kind == stored.KindCheckpoint {
			c, err := OpenCheckpoint(r.Data, v)
			require.NoError(t, err)
			sizes = append(sizes, c.Size)
		}
	}
	return sizes
}

func TestCheckpointerEveryNEvents(t *testing.T) {
	fastPolls(t)
	s := eventstoretest.Open(t)
	key, verifier := testKey(t, DefaultOrigin)
	ctx, cancel := context.WithCancel(eventstoretest.Context(t))
	defer cancel()
	var log logLines
	done := make(chan error, 1)
	go func() { done <- RunCheckpointer(ctx, s, key, 20, 0, log.logf) }()

	_, err := demo.Seed(eventstoretest.Context(t), command.New(s, nil), demo.Product)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		sizes := checkpointSizes(t, s, verifier)
		return len(sizes) > 0 && sizes[len(sizes)-1] >= eventstoretest.DemoEvents-20
	}, 20*time.Second, 20*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the checkpointer did not stop")
	}

	sizes := checkpointSizes(t, s, verifier)
	assert.Equal(t, int64(eventstoretest.DemoEvents), sizes[len(sizes)-1], "a final checkpoint on shutdown covers every event")
	assert.True(t, slices.IsSorted(sizes), "sizes %v", sizes)
	for i := 1; i < len(sizes)-1; i++ {
		assert.GreaterOrEqual(t, sizes[i]-sizes[i-1], int64(20), "every 20 events at most: %v", sizes)
	}
	assert.Contains(t, log.lines[len(log.lines)-1], "checkpoint signed: decisionledger/LEDGER size 163")

	// The stream's own checkpoints verify, each consistent with the next.
	rep, err := Verify(eventstoretest.Context(t), s, VerifyOptions{Verifiers: []note.Verifier{verifier}})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.Len(t, rep.Checkpoints, len(sizes))
}

func TestCheckpointerInterval(t *testing.T) {
	fastPolls(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	ctx, cancel := context.WithCancel(eventstoretest.Context(t))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- RunCheckpointer(ctx, s, key, 0, 50*time.Millisecond, nil) }()
	require.Eventually(t, func() bool {
		return slices.Contains(checkpointSizes(t, s, verifier), eventstoretest.DemoEvents)
	}, 10*time.Second, 20*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, []int64{eventstoretest.DemoEvents}, checkpointSizes(t, s, verifier), "no new events, no new checkpoint")
}

func TestCheckpointerRefuses(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, _ := testKey(t, DefaultOrigin)
	_, _, err := SignNow(ctx, s, key)
	require.NoError(t, err)
	orig := readRaws(t, s)
	edited := slices.Clone(orig)
	edited[4].Data = append(slices.Clone(orig[4].Data), ' ')
	require.NoError(t, eventstoretest.ReplaceLedger(ctx, s, edited))

	cases := []struct {
		name     string
		every    int
		interval time.Duration
		key      *Signer
		is       error
		msg      string
	}{
		{"ErrDiverged", 10, 0, key, ErrDiverged, "do not match checkpoint"},
		{"ErrNoTrigger", 0, 0, key, nil, "set a number of events"},
		{"ErrNoKey", 10, 0, nil, nil, "no signing key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := RunCheckpointer(ctx, s, tc.key, tc.every, tc.interval, nil)
			require.Error(t, err)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestSignNow(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Open(t)
	key, verifier := testKey(t, DefaultOrigin)
	_, _, err := SignNow(ctx, s, key)
	require.ErrorIs(t, err, ErrEmpty)

	_, err = demo.Seed(ctx, command.New(s, nil), demo.Product)
	require.NoError(t, err)
	first, c, err := SignNow(ctx, s, key)
	require.NoError(t, err)
	assert.Equal(t, int64(eventstoretest.DemoEvents), c.Size)
	n := len(readRecordsOf(t, s))

	again, _, err := SignNow(ctx, s, key)
	require.NoError(t, err)
	assert.Equal(t, first, again, "an unchanged ledger gets its last checkpoint back")
	assert.Len(t, readRecordsOf(t, s), n, "and nothing is published")

	// Another key's checkpoints are left to verify; signing goes on.
	other, _ := testKey(t, "decisionledger/other")
	_, c2, err := SignNow(ctx, s, other)
	require.NoError(t, err)
	assert.Equal(t, "decisionledger/other", c2.Origin)
	_, err = OpenCheckpoint(first, verifier)
	require.NoError(t, err)

	// Leaf hashes are published once: the second key's checkpoint added
	// only its note.
	var leaves int
	for _, r := range readRecordsOf(t, s) {
		if r.Kind == stored.KindLeaves {
			leaves++
		}
	}
	assert.Equal(t, 1, leaves)
}

// TestCheckpointerRefusesGaps: a message deleted from the stream, before
// the checkpointer starts or after it read the ledger, is never signed
// over.
func TestCheckpointerRefusesGaps(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	orig := readRaws(t, s)
	l, err := Scan(ctx, s, ScanOptions{})
	require.NoError(t, err)
	p, err := newPublisher(ctx, s, key, l)
	require.NoError(t, err)
	_, _, err = p.publish(ctx)
	require.NoError(t, err)

	a := withHeader(orig[0], stored.HeaderMsgID, "extra-a")
	b := withHeader(orig[0], stored.HeaderMsgID, "extra-b")
	require.NoError(t, eventstoretest.ReplaceLedger(ctx, s, append(slices.Clone(orig), a, b), eventstoretest.DemoEvents+1))

	// The running checkpointer, catching up.
	err = p.catchUp(ctx)
	require.ErrorIs(t, err, ErrDiverged)
	assert.Contains(t, err.Error(), "sequence 164 is missing")

	// A checkpointer starting now.
	err = RunCheckpointer(ctx, s, key, 1, 0, nil)
	require.ErrorIs(t, err, ErrDiverged)
	assert.Contains(t, err.Error(), "sequence 164 is missing")
	assert.Equal(t, []int64{eventstoretest.DemoEvents}, checkpointSizes(t, s, verifier))
}

// TestJunkOnTheCheckpointStreamIsAWarning: a message on the checkpoint
// subject that is no valid signed note (anyone who could publish there
// could put one) is named and set aside; verify still passes on the
// valid checkpoints, and fails only when a valid one is contradicted.
func TestJunkOnTheCheckpointStreamIsAWarning(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Open(t)
	key, verifier := testKey(t, DefaultOrigin)
	_, err := demo.Seed(ctx, command.New(s, nil), demo.Product)
	require.NoError(t, err)
	_, _, err = SignNow(ctx, s, key)
	require.NoError(t, err)
	junk, err := s.PublishCheckpoint(ctx, []byte("not a checkpoint at all\n"))
	require.NoError(t, err)
	other, _ := testKey(t, DefaultOrigin) // same origin, another key: a forgery
	forged, _, err := SignNow(ctx, s, other)
	require.NoError(t, err)
	_ = forged

	rep, err := Verify(ctx, s, VerifyOptions{Verifiers: []note.Verifier{verifier}})
	require.NoError(t, err)
	require.NoError(t, rep.Err(), "%+v", rep.Problems)
	var msgs []string
	for _, w := range rep.Warnings {
		msgs = append(msgs, w.Msg)
	}
	assert.Contains(t, strings.Join(msgs, "\n"), fmt.Sprintf("#%d is not a valid signed checkpoint", junk))
	assert.GreaterOrEqual(t, len(rep.Warnings), 2, "the junk and the checkpoint signed with another key")
}
