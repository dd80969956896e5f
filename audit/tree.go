package audit

import (
	"crypto/sha256"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Tree is an RFC 6962 Merkle tree held in memory as tlog's stored hashes
// (every complete subtree's hash, about two per leaf). It is always
// recomputed from the stream; nothing reads it from storage. A Tree is not
// safe for concurrent use.
type Tree struct {
	n      int64
	stored []tlog.Hash
}

// Append adds the next leaf hash.
func (t *Tree) Append(leaf tlog.Hash) {
	hs, err := tlog.StoredHashesForRecordHash(t.n, leaf, t)
	if err != nil {
		// ReadHashes only fails for indexes past the tree, which tlog
		// never asks for when appending.
		panic(fmt.Sprintf("audit: appending leaf %d: %v", t.n, err))
	}
	t.stored = append(t.stored, hs...)
	t.n++
}

// Size returns the number of leaves.
func (t *Tree) Size() int64 { return t.n }

// Leaf returns the hash of leaf i, 0 <= i < Size().
func (t *Tree) Leaf(i int64) tlog.Hash {
	return t.stored[tlog.StoredHashIndex(0, i)]
}

// ReadHashes implements tlog.HashReader over the stored hashes.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(t.stored)) {
			return nil, fmt.Errorf("stored hash %d is outside a tree of %d leaves", x, t.n)
		}
		out[i] = t.stored[x]
	}
	return out, nil
}

// emptyRoot is the RFC 6962 hash of the empty tree, SHA-256 of no bytes.
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// RootAt returns the root hash of the tree's first n leaves, 0 <= n <= Size().
func (t *Tree) RootAt(n int64) (tlog.Hash, error) {
	if n < 0 || n > t.n {
		return tlog.Hash{}, fmt.Errorf("no root at size %d: the tree has %d leaves", n, t.n)
	}
	if n == 0 {
		return emptyRoot, nil
	}
	return tlog.TreeHash(n, t)
}

// InclusionProof proves that leaf i is in the tree of the first n leaves.
func (t *Tree) InclusionProof(i, n int64) (tlog.RecordProof, error) {
	if n > t.n {
		return nil, fmt.Errorf("no tree of size %d: the tree has %d leaves", n, t.n)
	}
	return tlog.ProveRecord(n, i, t)
}

// ConsistencyProof proves that the tree of the first m leaves is a prefix
// of the tree of the first n, m <= n <= Size().
func (t *Tree) ConsistencyProof(m, n int64) (tlog.TreeProof, error) {
	if n > t.n {
		return nil, fmt.Errorf("no tree of size %d: the tree has %d leaves", n, t.n)
	}
	return tlog.ProveTree(n, m, t)
}
