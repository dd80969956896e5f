package replay_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/replay"
)

// testCtx ends with the test, bounded so that a hung server fails the
// test rather than the run.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
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

// snapshotsOf is the store's snapshot storage, which replay uses as it is.
func snapshotsOf(s *eventstore.Store) *eventstore.SnapshotStore { return s.Snapshots() }

// seedNow is the fixed "now" of the demo's handler: after its last
// decision, so that no --at is in the future.
var seedNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// seedDemo writes the demo history of product "checkout".
func seedDemo(t testing.TB, s *eventstore.Store) {
	t.Helper()
	h := command.New(s, func() time.Time { return seedNow })
	_, err := demo.Seed(testCtx(t), h, demo.Product)
	require.NoError(t, err)
}

// events reads every event of product.
func events(t testing.TB, s *eventstore.Store, product string) []domain.Event {
	t.Helper()
	var out []domain.Event
	_, err := s.Read(testCtx(t), product, 0, func(e domain.Event) error {
		out = append(out, e)
		return nil
	})
	require.NoError(t, err)
	return out
}

// marshal writes a projection's state; equal bytes are equal states.
func marshal(t testing.TB, p replay.Projection) string {
	t.Helper()
	b, err := p.MarshalSnapshot()
	require.NoError(t, err)
	return string(b)
}
