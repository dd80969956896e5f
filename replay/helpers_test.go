package replay_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/replay"
)

// marshal writes a projection's state; equal bytes are equal states.
func marshal(t testing.TB, p replay.Projection) string {
	t.Helper()
	b, err := p.MarshalSnapshot()
	require.NoError(t, err)
	return string(b)
}
