package audit

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/stored"
)

// demoEvents is the size of the demo history.
const demoEvents = 163

// testCtx ends with the test, bounded so that a hung server fails the
// test instead of the run.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openStore opens an embedded store on a new data directory.
func openStore(t testing.TB) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(testCtx(t), eventstore.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// demoStore opens a store holding the demo history.
func demoStore(t testing.TB) *eventstore.Store {
	t.Helper()
	s := openStore(t)
	sum, err := demo.Seed(testCtx(t), command.New(s, nil), demo.Product)
	require.NoError(t, err)
	require.Equal(t, demoEvents, sum.Events)
	return s
}

// readRaws reads every stored message.
func readRaws(t testing.TB, s *eventstore.Store) []stored.Raw {
	t.Helper()
	var rs []stored.Raw
	_, err := s.ReadRaw(testCtx(t), 0, func(r stored.Raw) error {
		rs = append(rs, r)
		return nil
	})
	require.NoError(t, err)
	return rs
}

// readRecordsOf reads the checkpoint stream.
func readRecordsOf(t testing.TB, s *eventstore.Store) []stored.CheckpointRecord {
	t.Helper()
	var rs []stored.CheckpointRecord
	require.NoError(t, s.ReadCheckpoints(testCtx(t), func(r stored.CheckpointRecord) error {
		rs = append(rs, r)
		return nil
	}))
	return rs
}

// treeOf builds the tree of messages as the ledger would hold them,
// renumbered from 1.
func treeOf(rs []stored.Raw) *Tree {
	t := &Tree{}
	for i, r := range rs {
		r.Seq = uint64(i) + 1
		t.Append(LeafOf(r).Hash())
	}
	return t
}

// signTree signs a checkpoint of the first n leaves of tree.
func signTree(t testing.TB, key *Signer, tree *Tree, n int64) []byte {
	t.Helper()
	root, err := tree.RootAt(n)
	require.NoError(t, err)
	signed, err := SignCheckpoint(Checkpoint{Origin: key.Name(), Size: n, Root: root}, key)
	require.NoError(t, err)
	return signed
}

// withHeader returns a copy of r with header k set to v.
func withHeader(r stored.Raw, k, v string) stored.Raw {
	h := make(map[string][]string, len(r.Header))
	for hk, hv := range r.Header {
		h[hk] = hv
	}
	h[k] = []string{v}
	r.Header = h
	return r
}
