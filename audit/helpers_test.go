package audit

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/stored"
)

// readRaws reads every stored message.
func readRaws(t testing.TB, s *eventstore.Store) []stored.Raw {
	t.Helper()
	var rs []stored.Raw
	_, err := s.ReadRaw(eventstoretest.Context(t), 0, func(r stored.Raw) error {
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
	require.NoError(t, s.ReadCheckpoints(eventstoretest.Context(t), func(r stored.CheckpointRecord) error {
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
