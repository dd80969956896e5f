package eventstore

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/stored"
)

func TestCheckpointRecordsRoundTrip(t *testing.T) {
	ctx := testCtx(t)
	s := openTemp(t)

	var got []CheckpointRecord
	collect := func(r CheckpointRecord) error { got = append(got, r); return nil }
	require.NoError(t, s.ReadCheckpoints(ctx, collect), "no stream yet: no records")
	assert.Empty(t, got)

	seq, err := s.PublishLeaves(ctx, []byte("leaves"))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), seq)
	seq, err = s.PublishCheckpoint(ctx, []byte("note"))
	require.NoError(t, err)
	assert.Equal(t, uint64(2), seq)

	require.NoError(t, s.ReadCheckpoints(ctx, collect))
	require.Len(t, got, 2)
	assert.Equal(t, KindLeaves, got[0].Kind)
	assert.Equal(t, []byte("leaves"), got[0].Data)
	assert.Equal(t, KindCheckpoint, got[1].Kind)
	assert.Equal(t, uint64(2), got[1].Seq)
	assert.False(t, got[1].Time.IsZero())

	// The stream is append-only, like LEDGER, and separate from it.
	st, err := s.JetStream().Stream(ctx, CheckpointStreamName)
	require.NoError(t, err)
	cfg := st.CachedInfo().Config
	assert.True(t, cfg.DenyDelete)
	assert.True(t, cfg.DenyPurge)
	assert.Equal(t, jetstream.FileStorage, cfg.Storage)
	assert.Error(t, st.DeleteMsg(ctx, 1))
	info, err := s.StreamInfo(ctx)
	require.NoError(t, err)
	assert.Zero(t, info.Messages, "nothing reached LEDGER")
}

func TestCheckpointStreamRefusedWhenWeaker(t *testing.T) {
	ctx := testCtx(t)
	s := openTemp(t)
	cfg := checkpointStreamConfig(1)
	cfg.DenyDelete, cfg.DenyPurge = false, false
	_, err := s.JetStream().CreateStream(ctx, cfg)
	require.NoError(t, err)
	_, err = s.PublishCheckpoint(ctx, []byte("note"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deny_delete is off")
}

// TestStoredNames checks that the names package stored gives the audit
// code are the ones the store writes.
func TestStoredNames(t *testing.T) {
	assert.Equal(t, StreamName, stored.StreamName)
	assert.Equal(t, HeaderType, stored.HeaderType)
	assert.Equal(t, HeaderSchema, stored.HeaderSchema)
	assert.Equal(t, jetstream.MsgIDHeader, stored.HeaderMsgID)
}
