package projections

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/domain/domaintest"
)

// fold is what the catalogue test asks of each fold's table.
type fold interface {
	Name() string
	Missing() []string
	Handles(typ string) bool
}

// TestEveryTypeThroughEveryFold holds every projection to the event
// catalogue: each fold says what it does with every event type (a case,
// or a skip), reads every type of the shared history of every type
// without skipping it as unreadable, and changes what it shows for
// every type it has a case for; the transparency log cites every event.
func TestEveryTypeThroughEveryFold(t *testing.T) {
	for _, f := range []fold{backlogFold, roadmapFold, requestsFold, productFold} {
		assert.Empty(t, f.Missing(), "%s has no case for these event types: give each a case (domain.On) or say it has nothing to do with it (domain.Skip)", f.Name())
	}

	evs := domaintest.EveryType()
	require.Empty(t, domaintest.Missing(evs))
	b, r, q, l := NewBacklog(), NewRoadmap(), NewRequests(), NewLog()
	views := []struct {
		fold fold
		p    interface {
			Apply(domain.Event)
			Skipped() (int, uint64)
		}
		show func() any
	}{
		{backlogFold, b, func() any { return b.Items() }},
		{roadmapFold, r, func() any { return r.Periods() }},
		{requestsFold, q, func() any { return q.Requests(RequestFilter{}) }},
	}
	changed := make([]map[string]bool, len(views))
	for i := range views {
		changed[i] = map[string]bool{}
	}
	for _, e := range evs {
		for i, v := range views {
			before := v.show()
			v.p.Apply(e)
			if !reflect.DeepEqual(before, v.show()) {
				changed[i][e.Type] = true
			}
		}
		l.Apply(e)
	}
	for i, v := range views {
		n, first := v.p.Skipped()
		assert.Zero(t, n, "%s skipped the event at %d as unreadable", v.fold.Name(), first)
		for _, typ := range domain.EventTypes() {
			if v.fold.Handles(typ) {
				assert.True(t, changed[i][typ], "%s has a case for %s, but no event of it changed what it shows", v.fold.Name(), typ)
			}
		}
	}

	n, first := l.Skipped()
	assert.Zero(t, n, "the transparency log skipped the event at %d as unreadable", first)
	cited := map[uint64]bool{}
	for _, kind := range []domain.AggregateKind{domain.KindProduct, domain.KindRoadmap, domain.KindItem, domain.KindRequest} {
		for _, id := range l.IDs(kind) {
			ds, ok := l.ChainOf(kind, id)
			require.True(t, ok)
			for _, d := range ds {
				cited[d.Seq] = true
			}
		}
	}
	for _, e := range evs {
		assert.True(t, cited[e.Seq], "the transparency log cites no decision for the %s at %d", e.Type, e.Seq)
	}
}
