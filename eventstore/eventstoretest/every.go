package eventstoretest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/domain/domaintest"
	"github.com/decisionledger/ledger/eventstore"
)

// SeedEveryType stores domaintest.EveryType's history of product
// domaintest.Product, each decision's events in one atomic append as the
// command handler writes them, and returns the events as the stream
// gives them back: a history in which every event type of the catalogue
// occurs, for tests that run every type through a fold behind a store.
func SeedEveryType(t testing.TB, s *eventstore.Store) []domain.Event {
	t.Helper()
	evs := domaintest.EveryType()
	var last uint64
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].CommandID == evs[i].CommandID {
			j++
		}
		batch := make([]domain.Event, j-i)
		for k, e := range evs[i:j] {
			e.Seq = 0
			batch[k] = e
		}
		seqs, err := s.Append(Context(t), batch, last)
		require.NoError(t, err)
		last = seqs[len(seqs)-1]
		i = j
	}
	return Events(t, s, domaintest.Product)
}
