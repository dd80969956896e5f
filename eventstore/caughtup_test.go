package eventstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// TestCaughtUp: a client that reads the clients' copies waits for what
// the owner just stored, the first checkpoint among it (its copy is made
// only once the checkpoint stream exists); the owner never waits; and a
// wait that runs out says how far the copy got.
func TestCaughtUp(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	owner, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0", Warnf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, owner.Close()) })
	seqs, err := owner.Append(ctx, []domain.Event{productCreated("checkout", "p1")}, 0)
	require.NoError(t, err)

	c, err := Open(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	defer func() { assert.NoError(t, c.Close()) }()
	require.ErrorIs(t, c.writable(), ErrReadOnly, "a client of the owner's listener")

	more, err := owner.Append(ctx, itemsAdded("checkout", "i", 3), seqs[0])
	require.NoError(t, err)
	require.NoError(t, c.CaughtUp(ctx, StreamName, more[len(more)-1]))
	n, err := c.StreamLastSeq(ctx)
	require.NoError(t, err)
	assert.Equal(t, more[len(more)-1], n)

	cp, err := owner.PublishCheckpoint(ctx, []byte("signed note"))
	require.NoError(t, err)
	require.NoError(t, owner.CaughtUp(ctx, CheckpointStreamName, cp), "the owner holds what it stored")
	require.NoError(t, c.CaughtUp(ctx, CheckpointStreamName, cp), "the copy of the new stream is made and fed")
	var got []CheckpointRecord
	require.NoError(t, c.ReadCheckpoints(ctx, func(r CheckpointRecord) error { got = append(got, r); return nil }))
	require.Len(t, got, 1)
	assert.Equal(t, []byte("signed note"), got[0].Data)

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err = c.CaughtUp(short, StreamName, 99)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "the clients' copy of LEDGER holds sequence 4, not yet 99")
}
