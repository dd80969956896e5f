package eventstore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// TestAttestation: what an append attests is found on the product's first
// event after the sequence it names, whatever other products wrote in
// between, and nothing is found where nothing was attested.
func TestAttestation(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	seqs, err := s.Append(ctx, []domain.Event{productCreated("p", "c0")}, 0)
	require.NoError(t, err)
	_, err = s.Append(ctx, []domain.Event{productCreated("q", "q0")}, 0) // another product in between
	require.NoError(t, err)
	got, err := s.Attestation(ctx, "p", seqs[0])
	require.NoError(t, err)
	assert.Empty(t, got, "no event of p after it yet")

	batch, err := s.AppendAttested(ctx, itemsAdded("p", "c1", 3), seqs[0], "1 sha256:00ff")
	require.NoError(t, err)
	got, err = s.Attestation(ctx, "p", seqs[0])
	require.NoError(t, err)
	assert.Equal(t, "1 sha256:00ff", got, "the first event of the batch carries it")
	got, err = s.Attestation(ctx, "p", batch[0])
	require.NoError(t, err)
	assert.Empty(t, got, "only the first")
	_, err = s.Append(ctx, itemsAdded("p", "c2", 1), batch[2])
	require.NoError(t, err)
	got, err = s.Attestation(ctx, "p", batch[2])
	require.NoError(t, err)
	assert.Empty(t, got, "a plain append attests nothing")
	assert.Len(t, readAll(t, s, "p"), 5, "an attestation changes nothing a reader sees")
}
