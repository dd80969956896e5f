package eventstore

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// editObject rewrites a stored snapshot's bytes in place, as someone with
// the data files or an unrestricted NATS account could.
func editObject(t *testing.T, ss *SnapshotStore, info SnapshotInfo, data []byte) {
	t.Helper()
	obs, _, err := ss.buckets(context.Background())
	require.NoError(t, err)
	_, err = obs.Put(context.Background(), jetstream.ObjectMeta{Name: info.Name()}, bytes.NewReader(data))
	require.NoError(t, err)
}

func TestEditedSnapshotIsRefused(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	ss := s.Snapshots()
	info, err := ss.Put(ctx, SnapshotInfo{Product: "p", Kind: "views", Version: "v1", Seq: 7, LastAt: time.Now()}, []byte(`{"items":["A","B"]}`))
	require.NoError(t, err)
	assert.Contains(t, info.Digest, "sha256:")
	b, err := ss.Get(ctx, info)
	require.NoError(t, err)
	assert.Equal(t, `{"items":["A","B"]}`, string(b))

	editObject(t, ss, info, []byte(`{"items":["B","A"]}`))
	_, err = ss.Get(ctx, info)
	assert.ErrorIs(t, err, ErrSnapshotTampered)
	assert.Contains(t, err.Error(), "do not match its digest")
}

func TestSignedSnapshots(t *testing.T) {
	ctx := context.Background()
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	s := openTemp(t)
	signed := &SnapshotStore{js: s.js, sign: func(m []byte) ([]byte, error) { return ed25519.Sign(priv, m), nil },
		verify: func(m, sig []byte) bool { return ed25519.Verify(pub, m, sig) }}
	info, err := signed.Put(ctx, SnapshotInfo{Product: "p", Kind: "views", Version: "v1", Seq: 7, LastAt: time.Now()}, []byte(`{"a":1}`))
	require.NoError(t, err)
	require.NotEmpty(t, info.Sig)
	_, err = signed.Get(ctx, info)
	require.NoError(t, err)

	// Bytes and digest edited together: only the ledger's key could sign that.
	forged := []byte(`{"a":2}`)
	editObject(t, signed, info, forged)
	edited := info
	edited.Digest = snapshotDigest(forged)
	_, err = signed.Get(ctx, edited)
	assert.ErrorIs(t, err, ErrSnapshotTampered)
	assert.Contains(t, err.Error(), "signature is not the ledger's")

	// A reader with the verifier key uses no unsigned snapshot.
	plain, err := s.Snapshots().Put(ctx, SnapshotInfo{Product: "p", Kind: "views", Version: "v1", Seq: 8, LastAt: time.Now()}, []byte(`{}`))
	require.NoError(t, err)
	_, err = signed.Get(ctx, plain)
	assert.ErrorIs(t, err, ErrSnapshotTampered)
	assert.Contains(t, err.Error(), "not signed")
}
