package replay

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/domain/domaintest"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
)

// TestEveryTypeThroughDiffAndCompare holds diff's and compare's folds to
// the event catalogue (each says what it does with every event type) and
// runs the shared history of every type through Diff and Compare, from
// a store: every type a fold cites is cited.
func TestEveryTypeThroughDiffAndCompare(t *testing.T) {
	folds := []interface {
		Name() string
		Missing() []string
		Handles(string) bool
	}{itemChangeFold, periodFold, roadmapCauseFold, itemCauseFold, unplannedCauseFold}
	for _, f := range folds {
		assert.Empty(t, f.Missing(), "%s has no case for these event types: give each a case (domain.On) or say it has nothing to do with it (domain.Skip)", f.Name())
	}

	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	evs := eventstoretest.SeedEveryType(t, s)
	require.Empty(t, domaintest.Missing(evs))
	seqOf := func(typ string) uint64 {
		for _, e := range evs {
			if e.Type == typ {
				return e.Seq
			}
		}
		t.Fatalf("no %s in the history", typ)
		return 0
	}
	cited := map[string]bool{}
	cite := func(ds []Decision) {
		for _, d := range ds {
			cited[d.Type] = true
		}
	}

	// The whole history; and the span in which A-1 was started and
	// delivered, before it was reopened.
	for _, w := range [][2]Position{
		{AtSeq(1), {}},
		{AtSeq(seqOf(domain.TypeWorkStarted) - 1), AtSeq(seqOf(domain.TypeWorkReopened) - 1)},
	} {
		d, err := Diff(ctx, s, s.Snapshots(), domaintest.Product, w[0], w[1])
		require.NoError(t, err)
		for _, list := range [][]ItemChange{d.Added, d.Removed, d.Moved, d.StatusChanged} {
			for _, ch := range list {
				cite(ch.Decisions)
			}
		}
		for _, r := range d.RequestsDecided {
			require.NotZero(t, r.Decision.Seq, "request %s is decided by no decision", r.ID)
			cite([]Decision{r.Decision})
		}
	}
	for _, typ := range domain.EventTypes() {
		if itemChangeFold.Handles(typ) {
			assert.True(t, cited[typ], "diff's item changes cite no %s", typ)
		}
	}

	// The plan as it stood at three moments, against the end: the roadmap
	// once its items were laid out; the backlog before any item was added
	// (all delivered work is unplanned) and once it was.
	causes := map[Level]map[string]bool{LevelRoadmap: {}, LevelItem: {}}
	planned := func(typ string, nth int) Position {
		for _, e := range evs {
			if e.Type == typ {
				if nth--; nth == 0 {
					return AtSeq(e.Seq)
				}
			}
		}
		t.Fatalf("no %s in the history", typ)
		return Position{}
	}
	for _, opt := range []CompareOptions{
		{Planned: planned(domain.TypeBacklogItemAdded, 4), Level: LevelRoadmap},
		{Planned: planned(domain.TypeRoadmapItemPlanned, 2), Level: LevelItem, Delivered: AtSeq(seqOf(domain.TypeWorkReopened) - 1)},
		{Planned: planned(domain.TypeBacklogItemAdded, 5), Level: LevelItem},
	} {
		c, err := Compare(ctx, s, s.Snapshots(), domaintest.Product, opt)
		require.NoError(t, err)
		for _, p := range c.Periods {
			for _, o := range p.Items {
				for _, d := range o.Causes {
					causes[opt.Level][d.Type] = true
				}
			}
		}
	}
	for level, fs := range map[Level][]interface {
		Name() string
		Handles(string) bool
	}{LevelRoadmap: {roadmapCauseFold}, LevelItem: {itemCauseFold, unplannedCauseFold}} {
		for _, f := range fs {
			for _, typ := range domain.EventTypes() {
				if f.Handles(typ) {
					assert.True(t, causes[level][typ], "%s has a case for %s, but compare at level %s cites none", f.Name(), typ, level)
				}
			}
		}
	}
}
