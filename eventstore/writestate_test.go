package eventstore

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

func TestWriteStatesKeepTheNewest(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	ws := s.WriteStates()
	_, _, ok, err := ws.Latest(ctx, "p")
	require.NoError(t, err)
	assert.False(t, ok, "none yet")
	for seq := uint64(1); seq <= 4; seq++ {
		require.NoError(t, ws.Put(ctx, SnapshotInfo{Product: "p", Seq: seq * 10, LastAt: at}, []byte(fmt.Sprint("state ", seq))))
	}
	info, data, ok, err := ws.Latest(ctx, "p")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint64(40), info.Seq)
	assert.Equal(t, domain.StateVersion, info.Version)
	assert.Equal(t, WriteStateKind, info.Kind)
	assert.Equal(t, "state 4", string(data))
	list, err := s.Snapshots().List(ctx, "p", WriteStateKind)
	require.NoError(t, err)
	require.Len(t, list, writeStateKeep, "older ones are deleted")
	assert.Equal(t, uint64(30), list[0].Seq)
	_, err = s.Snapshots().Get(ctx, SnapshotInfo{Product: "p", Kind: WriteStateKind, Seq: 10})
	require.ErrorIs(t, err, ErrSnapshotNotFound)
	_, _, ok, err = ws.Latest(ctx, "other")
	require.NoError(t, err)
	assert.False(t, ok, "per product")
}
