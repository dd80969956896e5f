package replay_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

// TestRebuildAllIsRebuild rebuilds three interleaved products from one
// read of the stream and requires each to end exactly where its own
// Rebuild ends: the same views, log, counts and snapshots, up to the
// latest event and up to a sequence in the middle. A forged event on one
// product's subject is quarantined there as Rebuild quarantines it, and
// the messages of a product not asked for are left alone.
func TestRebuildAllIsRebuild(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Open(t)
	g := bench.NewGenerator(7, 3, 6000)
	last := map[string]uint64{}
	for n := 0; n < 6000; {
		evs := g.NextRun(min(bench.RunLength, 6000-n))
		seqs, err := s.Append(ctx, evs, last[evs[0].Product])
		require.NoError(t, err)
		last[evs[0].Product] = seqs[len(seqs)-1]
		n += len(evs)
	}
	var products []string
	for _, h := range g.Products() {
		products = append(products, h.Product())
	}
	require.Len(t, products, 3)
	forged := []byte(`{"id":"forged","type":"BacklogItemRemoved","schema":1,"product":"` + products[1] +
		`","aggregate":{"kind":"item","id":"nope"},"actor":{"id":"mallory","role":"product-owner"},"occurredAt":"2026-01-01T00:00:00Z","why":"forged"}`)
	seq, err := eventstoretest.PublishOnce(ctx, s, domain.Subject(products[1], domain.KindItem, "nope"), "forged", forged,
		domain.ProductSubjects(products[1]), last[products[1]])
	require.NoError(t, err)
	_, err = eventstoretest.PublishOnce(ctx, s, domain.Subject("ghost", domain.KindItem, "x"), "ghost", forged, domain.ProductSubjects("ghost"), 0)
	require.NoError(t, err)

	for _, pos := range []replay.Position{replay.Latest, {Seq: seq / 2}} {
		t.Run("up to "+strconv.FormatUint(pos.Seq, 10), func(t *testing.T) {
			sets, outs, err := replay.RebuildAll(ctx, s, products, pos, replay.RebuildOptions{})
			require.NoError(t, err)
			require.Len(t, sets, len(products))
			only, _, err := replay.RebuildAll(ctx, s, products, pos, replay.RebuildOptions{ViewsOnly: true})
			require.NoError(t, err)
			for i, p := range products {
				want, wantOut, err := replay.Rebuild(ctx, s, p, pos, replay.RebuildOptions{})
				require.NoError(t, err)
				assert.Equal(t, wantOut, outs[i], p)
				assert.Equal(t, marshal(t, replay.ViewsOf(want)), marshal(t, replay.ViewsOf(sets[i])), p)
				assert.Equal(t, marshal(t, want.Log), marshal(t, sets[i].Log), p)
				assert.Equal(t, marshal(t, replay.ViewsOf(want)), marshal(t, replay.ViewsOf(only[i])), "%s without the log", p)
				assert.Nil(t, only[i].Log)
				assert.Positive(t, outs[i].Events, p)
				if pos.IsLatest() && i == 1 {
					assert.Equal(t, seq, outs[i].Seq, "%s ends with the forged event", p)
				} else if pos.IsLatest() {
					assert.Equal(t, last[p], outs[i].Seq, p)
				}
			}
			if pos.IsLatest() {
				n, _ := sets[1].Gate().Quarantined()
				assert.Equal(t, 1, n, "the forged event")
			}
		})
	}

	snaps := s.Snapshots()
	_, outs, err := replay.RebuildAll(ctx, s, products, replay.Latest, replay.RebuildOptions{Snapshots: snaps, ViewsOnly: true})
	require.NoError(t, err)
	for i, p := range products {
		list, err := snaps.List(ctx, p, "views")
		require.NoError(t, err)
		assert.NotEmpty(t, list, p)
		assert.Positive(t, outs[i].Snapshots, p)
		v, res, err := replay.AsOfViews(ctx, s, snaps, p, replay.Latest)
		require.NoError(t, err)
		require.NotNil(t, res.Snapshot, "%s answers from a snapshot RebuildAll wrote", p)
		want, _, err := replay.Rebuild(ctx, s, p, replay.Latest, replay.RebuildOptions{})
		require.NoError(t, err)
		assert.Equal(t, marshal(t, replay.ViewsOf(want)), marshal(t, v), p)
	}

	_, _, err = replay.RebuildAll(ctx, s, []string{products[0], products[0]}, replay.Latest, replay.RebuildOptions{})
	assert.ErrorContains(t, err, "listed twice")
}
