package replay_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/eventstore"
)

// sizes is what a store holds on disk, as JetStream counts it.
type sizes struct {
	stream    uint64 // bytes of the LEDGER stream
	snapshots uint64 // bytes of the snapshot object store's stream, chunks and metadata
	objects   int    // snapshots it holds
}

// storeSizes measures the LEDGER stream and the snapshot object store.
func storeSizes(t testing.TB, ctx context.Context, s *eventstore.Store) sizes {
	t.Helper()
	js := s.JetStream()
	st, err := js.Stream(ctx, eventstore.StreamName)
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	out := sizes{stream: info.State.Bytes}
	obs, err := js.ObjectStore(ctx, eventstore.SnapshotBucket)
	require.NoError(t, err)
	status, err := obs.Status(ctx)
	require.NoError(t, err)
	out.snapshots = status.Size()
	list, err := obs.List(ctx)
	if err == nil {
		out.objects = len(list)
	}
	return out
}
