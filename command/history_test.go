package command_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// newHistory is the generator the tests share (bench.NewHistory): a
// bounded, seeded product history of any length.
func newHistory(seed uint64, product string) *bench.History { return bench.NewHistory(seed, product) }

// appendAll stores evs (one product) through bench.AppendAll.
func appendAll(ctx context.Context, t testing.TB, s *eventstore.Store, evs []domain.Event, batch func() int, each func(domain.Event)) {
	t.Helper()
	require.NoError(t, bench.AppendAll(ctx, s, evs, batch, each))
}
