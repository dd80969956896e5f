package replay_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/replay"
)

// TestSayDoLive_AsSayDoOf stores a generated history a slice at a time
// and, after each, asks the live say/do, which folds only what was stored
// since its last answer, and SayDoOf, which works it all out anew: the
// answers are the same, periods beginning, plans changing and deliveries
// landing as the history goes on.
func TestSayDoLive_AsSayDoOf(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Open(t)
	const product = "gen"
	h := bench.NewRichHistory(11, product, bench.TestLimits)
	h.Pace(8 * time.Hour) // 4,000 events over about two years: periods begin
	evs := make([]domain.Event, 4000)
	for i := range evs {
		evs[i] = h.Next()
	}
	live := replay.NewSayDoLive(product)
	var periods, planned, answers int
	var last uint64
	for from := 0; from < len(evs); {
		to := min(len(evs), from+250+from/10)
		for i := from; i < to; {
			n := min(to-i, eventstore.MaxBatch)
			seqs, err := s.Append(ctx, evs[i:i+n], last)
			require.NoError(t, err)
			last = seqs[len(seqs)-1]
			i += n
		}
		from = to
		now := evs[to-1].OccurredAt.Add(24 * time.Hour)
		want, err := replay.SayDoOf(ctx, s, nil, product, replay.Latest, now)
		require.NoError(t, err)
		got, err := live.Answer(ctx, s, nil, now)
		require.NoError(t, err)
		require.Equal(t, want.Periods, got.Periods, "after %d events", to)
		require.Equal(t, want.Delivered.Seq, got.Delivered.Seq, "after %d events", to)
		answers++
		periods = len(got.Periods)
		planned = 0
		for _, p := range got.Periods {
			planned += p.Planned
		}
	}
	// The history must give the live spans something to keep up with.
	require.Greater(t, answers, 5)
	require.Greater(t, periods, 2, "periods begin as the history goes on")
	require.Positive(t, planned, "the periods begun had something planned")
}

// TestSayDoLive_SpansAsCompare keeps one span (a plan date early in a
// generated history) as the history is stored a slice at a time, and
// after each slice counts it at both levels as compare does from
// scratch: the same outcomes, item by item, deliveries judged in the
// periods they were planned for when they landed.
func TestSayDoLive_SpansAsCompare(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Open(t)
	const product = "gen"
	h := newHistory(5, product)
	evs := make([]domain.Event, 3000)
	for i := range evs {
		evs[i] = h.Next()
	}
	var last uint64
	store := func(from, to int) {
		for i := from; i < to; {
			n := min(to-i, eventstore.MaxBatch)
			seqs, err := s.Append(ctx, evs[i:i+n], last)
			require.NoError(t, err)
			last = seqs[len(seqs)-1]
			i += n
		}
	}
	store(0, 300)
	t0 := replay.AtTime(evs[150].OccurredAt)
	live, err := replay.NewLiveCompare(ctx, s, product, t0, replay.Latest)
	require.NoError(t, err)
	delivered := 0
	for from := 300; from < len(evs); {
		to := min(len(evs), from+400)
		store(from, to)
		from = to
		for _, level := range []replay.Level{replay.LevelItem, replay.LevelRoadmap} {
			want, err := replay.CompareCounts(ctx, s, nil, product, replay.CompareOptions{Planned: t0, Level: level})
			require.NoError(t, err)
			got, err := live.Answer(ctx, s, replay.Latest, level)
			require.NoError(t, err)
			require.Equal(t, want, got, "after %d events, level %s", to, level)
			if level == replay.LevelItem {
				delivered = 0
				for _, p := range got.Periods {
					delivered += p.OnTime + p.Late
				}
			}
		}
	}
	require.Positive(t, delivered, "planned items are delivered in the span")
}
