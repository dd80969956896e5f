package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/tlog"
)

// maxKAT is the largest tree the known-answer tests build: past 64, so
// that trees seven levels deep and every shape of ragged right edge below
// it are covered.
const maxKAT = 70

// katTrees builds the same leaves into our Tree and into transparency-dev's
// reference tree, an independent RFC 6962 implementation.
func katTrees(t *testing.T) (*Tree, *testonly.Tree) {
	t.Helper()
	ours, ref := &Tree{}, testonly.New(rfc6962.DefaultHasher)
	for i := range maxKAT {
		data := []byte(fmt.Sprintf("leaf %d", i))
		ours.Append(tlog.RecordHash(data))
		ref.AppendData(data)
	}
	require.Equal(t, int64(maxKAT), ours.Size())
	return ours, ref
}

func hashes(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

func TestTreeRootsMatchReference(t *testing.T) {
	ours, ref := katTrees(t)
	for n := int64(0); n <= maxKAT; n++ {
		root, err := ours.RootAt(n)
		require.NoError(t, err)
		assert.Equal(t, ref.HashAt(uint64(n)), root[:], "root at size %d", n)
	}
	assert.Equal(t, testonly.EmptyRootHash(), emptyRoot[:])
	_, err := ours.RootAt(maxKAT + 1)
	assert.Error(t, err)
}

func TestTreeLeavesMatchReference(t *testing.T) {
	ours, ref := katTrees(t)
	for i := int64(0); i < maxKAT; i++ {
		h := ours.Leaf(i)
		assert.Equal(t, ref.LeafHash(uint64(i)), h[:], "leaf %d", i)
	}
}

func TestInclusionProofsMatchReference(t *testing.T) {
	ours, ref := katTrees(t)
	for n := int64(1); n <= maxKAT; n++ {
		root, err := ours.RootAt(n)
		require.NoError(t, err)
		for i := int64(0); i < n; i++ {
			p, err := ours.InclusionProof(i, n)
			require.NoError(t, err)
			want, err := ref.InclusionProof(uint64(i), uint64(n))
			require.NoError(t, err)
			require.Equal(t, want, hashes(p), "inclusion proof of leaf %d in tree %d", i, n)
			leaf := ours.Leaf(i)
			// Each side accepts the other's proof.
			require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(n), leaf[:], hashes(p), root[:]))
			require.NoError(t, tlog.CheckRecord(p, n, root, i, leaf))
			// And neither accepts it for another leaf.
			if n > 1 {
				other := ours.Leaf((i + 1) % n)
				require.Error(t, tlog.CheckRecord(p, n, root, i, other))
			}
		}
	}
}

func TestConsistencyProofsMatchReference(t *testing.T) {
	ours, ref := katTrees(t)
	for n := int64(1); n <= maxKAT; n++ {
		rn, err := ours.RootAt(n)
		require.NoError(t, err)
		for m := int64(1); m <= n; m++ {
			rm, err := ours.RootAt(m)
			require.NoError(t, err)
			p, err := ours.ConsistencyProof(m, n)
			require.NoError(t, err)
			want, err := ref.ConsistencyProof(uint64(m), uint64(n))
			require.NoError(t, err)
			require.Equal(t, want, hashes(p), "consistency proof %d -> %d", m, n)
			require.NoError(t, proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(m), uint64(n), hashes(p), rm[:], rn[:]))
			require.NoError(t, tlog.CheckTree(p, n, rn, m, rm))
			if m < n {
				bad := rm
				bad[0] ^= 1
				require.Error(t, tlog.CheckTree(p, n, rn, m, bad), "a changed old root fails %d -> %d", m, n)
			}
		}
	}
}

// TestRFC6962Vectors checks the tree against the reference test vectors
// (RFC 6962's eight leaves, as published by transparency-dev).
func TestRFC6962Vectors(t *testing.T) {
	tree := &Tree{}
	for i, in := range testonly.LeafInputs() {
		tree.Append(tlog.RecordHash(in))
		root, err := tree.RootAt(int64(i + 1))
		require.NoError(t, err)
		assert.Equal(t, testonly.RootHashes()[i+1], root[:], "root of the first %d vectors (RootHashes starts at the empty tree)", i+1)
	}
	// The root of all eight leaves, as printed in RFC 6962's test data.
	root, err := tree.RootAt(8)
	require.NoError(t, err)
	assert.Equal(t, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", hex.EncodeToString(root[:]))
	assert.Equal(t, sha256.Sum256(nil), [32]byte(emptyRoot))
	// Every complete subtree's hash, level by level.
	for level, row := range testonly.NodeHashes() {
		for i, want := range row {
			got, err := tree.ReadHashes([]int64{tlog.StoredHashIndex(level, int64(i))})
			require.NoError(t, err)
			assert.Equal(t, want, got[0][:], "node at level %d index %d", level, i)
		}
	}
}
