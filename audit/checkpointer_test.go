package audit

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/stored"
)

// TestCheckpointerSignsOnStart: a served ledger whose events no
// checkpoint covers gets one when the checkpointer starts, not ten
// minutes later, so that verify has something to verify against.
func TestCheckpointerSignsOnStart(t *testing.T) {
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	ctx, cancel := context.WithCancel(eventstoretest.Context(t))
	defer cancel()
	var log logLines
	done := make(chan error, 1)
	go func() { done <- RunCheckpointer(ctx, s, key, 1000, time.Hour, log.logf) }()
	require.Eventually(t, func() bool {
		return slices.Contains(checkpointSizes(t, s, verifier), eventstoretest.DemoEvents)
	}, 10*time.Second, 20*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, []int64{eventstoretest.DemoEvents}, checkpointSizes(t, s, verifier), "and not again on stop: nothing new")
}

// TestCheckpointerSignOnDemand: Sign, beside the scheduled checkpoints,
// signs what is stored now, returns the last checkpoint when nothing is
// new, and shares the leaf hashes already published: the stream holds
// each leaf hash once and every checkpoint verifies.
func TestCheckpointerSignOnDemand(t *testing.T) {
	fastPolls(t)
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Open(t)
	key, verifier := testKey(t, DefaultOrigin)
	c := NewCheckpointer(s, key, nil)
	_, err := c.Sign(ctx)
	require.ErrorIs(t, err, ErrEmpty)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx, 40, 0) }()

	h := command.New(s, nil)
	_, err = demo.Seed(ctx, h, demo.Product)
	require.NoError(t, err)
	p, err := c.Sign(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(eventstoretest.DemoEvents), p.Checkpoint.Size, "everything stored when asked")
	opened, err := OpenCheckpoint(p.Signed, verifier)
	require.NoError(t, err)
	assert.Equal(t, p.Checkpoint, opened)
	var at []stored.CheckpointRecord
	for _, r := range readRecordsOf(t, s) {
		if r.Seq == p.Seq {
			at = append(at, r)
		}
	}
	require.Len(t, at, 1, "Seq is the checkpoint's sequence in the stream")
	assert.Equal(t, stored.KindCheckpoint, at[0].Kind)
	assert.Equal(t, p.Signed, at[0].Data)

	again, err := c.Sign(ctx)
	require.NoError(t, err)
	assert.Equal(t, p, again, "nothing new: the same checkpoint, nothing published")

	_, err = h.Execute(ctx, domain.Command{ID: "one-more", Product: demo.Product, Actor: "sally", Why: "Asked again",
		Action: domain.SubmitRequest{ID: "Q-MORE", Title: "One more"}})
	require.NoError(t, err)
	p2, err := c.Sign(ctx)
	require.NoError(t, err)
	assert.Equal(t, p.Checkpoint.Size+1, p2.Checkpoint.Size)
	assert.Greater(t, p2.Seq, p.Seq)

	cancel()
	require.NoError(t, <-done)
	var leaves []int64
	for _, r := range readRecordsOf(t, s) {
		if r.Kind == stored.KindLeaves {
			first, hs, err := decodeLeaves(r.Data)
			require.NoError(t, err)
			for i := range hs {
				leaves = append(leaves, first+int64(i))
			}
		}
	}
	assert.Len(t, leaves, int(p2.Checkpoint.Size), "every leaf hash published once")
	rep, err := Verify(ctx, s, VerifyOptions{Verifiers: []note.Verifier{verifier}})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
}

// TestScanUpTo: a scan that ends at a sequence builds the tree a
// checkpoint of that size saw, and refuses a stream that does not reach it.
func TestScanUpTo(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	var seen []uint64
	l, err := Scan(ctx, s, ScanOptions{UpTo: 42, Visit: func(r stored.Raw) error { seen = append(seen, r.Seq); return nil }})
	require.NoError(t, err)
	assert.Equal(t, int64(42), l.Tree.Size())
	assert.Len(t, seen, 42)
	full, err := Scan(ctx, s, ScanOptions{})
	require.NoError(t, err)
	root, err := full.Tree.RootAt(42)
	require.NoError(t, err)
	got, err := l.Tree.RootAt(42)
	require.NoError(t, err)
	assert.Equal(t, root, got)

	_, err = Scan(ctx, s, ScanOptions{UpTo: eventstoretest.DemoEvents + 1})
	assert.ErrorContains(t, err, "the stream ends at sequence 163, before 164")
}
