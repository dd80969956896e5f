package eventstoretest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// Timeout bounds Context, so that a hung server fails the test rather
// than the whole run: generous, because the race detector and a busy
// 2-core machine make the longest tests several times slower.
const Timeout = 3 * time.Minute

// Context returns a context that ends with the test, or after Timeout.
func Context(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

// Open opens a store with its own embedded nats-server, JetStream file
// storage in a new t.TempDir(), and closes it when the test ends.
func Open(t testing.TB) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(Context(t), eventstore.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// SeedNow is the "now" of the handler SeedDemo records with: after the
// demo's last decision, so that none of its dates lies in the future and
// every run writes the same history.
var SeedNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// DemoEvents is how many events the demo history of one product has.
const DemoEvents = 163

// SeedDemo records the demo history of product (demo.Product is the
// README's) through command, at SeedNow, and requires that it wrote
// DemoEvents events: seeding a product twice fails the test.
func SeedDemo(t testing.TB, s *eventstore.Store, product string) {
	t.Helper()
	h := command.New(s, func() time.Time { return SeedNow })
	sum, err := demo.Seed(Context(t), h, product)
	require.NoError(t, err)
	require.Equal(t, DemoEvents, sum.Events, "events of the demo history of %q", product)
}

// Demo is Open, then SeedDemo of demo.Product.
func Demo(t testing.TB) *eventstore.Store {
	t.Helper()
	s := Open(t)
	SeedDemo(t, s, demo.Product)
	return s
}

// Events reads every event of product, in stream order.
func Events(t testing.TB, s *eventstore.Store, product string) []domain.Event {
	t.Helper()
	var out []domain.Event
	_, err := s.Read(Context(t), product, 0, func(e domain.Event) error {
		out = append(out, e)
		return nil
	})
	require.NoError(t, err)
	return out
}
