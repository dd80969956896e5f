package projections_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// history is a rich generated history of one product with stream
// sequences set.
func history(n int) []domain.Event {
	h := bench.NewRichHistory(5, "fold", bench.Limits{Items: 900, Open: 300, Requests: 400, Roadmap: 30})
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = h.Next()
		evs[i].Seq = uint64(i + 1)
	}
	return evs
}

// digest hashes everything a Set shows: the backlog, the roadmap, the
// requests and every chain of the transparency log with its churn.
func digest(t testing.TB, s *projections.Set) string {
	t.Helper()
	h := sha256.New()
	put := func(v any) {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		h.Write(b)
	}
	put(s.Backlog.Items())
	put(s.Roadmap.Periods())
	put(s.Requests.Requests(projections.RequestFilter{}))
	put(s.Requests.Comebacks())
	for _, k := range []domain.AggregateKind{domain.KindItem, domain.KindRoadmap, domain.KindRequest, domain.KindProduct} {
		for _, id := range s.Log.IDs(k) {
			ds, ok := s.Log.ChainOf(k, id)
			require.True(t, ok)
			put(ds)
			put(s.Log.Churn(id))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// foldDigests pins what the folds show after 5k, 20k and 60k events of
// a rich history. They were recorded with the folds as they were before
// they were optimized (a shared backlog fold, rank moves over the jumped
// range only), on the generator whose every event the rules allow: any
// optimization must leave every projection's output identical.
var foldDigests = map[int]string{
	5_000:  "82b21a2fbb19740bc5444c3d04b28223d85cc3091f9a047e26ad18202816c190",
	20_000: "7d6616b5aa05c58821377abd8ea337206b09c8631f8a941fc76694b5e2210e06",
	60_000: "c6f12380a0b61ae9c2396388663f39b881fd201cc90106307d184397456409a9",
}

func TestFoldOutputPinned(t *testing.T) {
	evs := history(60_000)
	s := projections.NewSet()
	for i, e := range evs {
		s.Apply(e)
		if want, ok := foldDigests[i+1]; ok {
			assert.Equal(t, want, digest(t, s), "after %d events", i+1)
		}
	}
}

// TestSetEqualsMembers checks that the Set shows what each projection
// folded on its own shows, all along a history: sharing folds inside the
// Set must not change any member's answer.
func TestSetEqualsMembers(t *testing.T) {
	evs := history(20_000)
	s := projections.NewSet()
	b, r, q, l := projections.NewBacklog(), projections.NewRoadmap(), projections.NewRequests(), projections.NewLog()
	for i, e := range evs {
		s.Apply(e)
		b.Apply(e)
		r.Apply(e)
		q.Apply(e)
		l.Apply(e)
		if (i+1)%2_500 != 0 {
			continue
		}
		alone := &projections.Set{Backlog: b, Roadmap: r, Log: l, Requests: q}
		require.Equal(t, digest(t, alone), digest(t, s), "after %d events", i+1)
	}
}

// TestSetDeterministic folds the same history twice, and once through a
// snapshot taken halfway, and requires the same output.
func TestSetDeterministic(t *testing.T) {
	evs := history(20_000)
	a, b := projections.NewSet(), projections.NewSet()
	for _, e := range evs {
		a.Apply(e)
		b.Apply(e)
	}
	require.Equal(t, digest(t, a), digest(t, b))
	half := projections.NewSet()
	for _, e := range evs[:10_000] {
		half.Apply(e)
	}
	data, err := half.MarshalSnapshot()
	require.NoError(t, err)
	c := projections.NewSet()
	require.NoError(t, c.UnmarshalSnapshot(data))
	for _, e := range evs[10_000:] {
		c.Apply(e)
	}
	require.Equal(t, digest(t, a), digest(t, c))
	again, err := c.MarshalSnapshot()
	require.NoError(t, err)
	full, err := a.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, string(full), string(again), "snapshots are deterministic")
}

// TestAttachLog builds a Set without its log up to halfway, a log on its
// own up to there, attaches it, folds on, and requires what a Set folded
// whole shows.
func TestAttachLog(t *testing.T) {
	evs := history(20_000)
	whole := projections.NewSet()
	for _, e := range evs {
		whole.Apply(e)
	}
	s := projections.NewSetWithoutLog(projections.NewBacklog(), projections.NewRoadmap(), projections.NewRequests(), nil)
	l := projections.NewLog()
	for _, e := range evs[:10_000] {
		s.Apply(e)
	}
	require.False(t, s.HasLog())
	for _, e := range evs[:9_999] {
		l.Apply(e)
	}
	require.Error(t, s.AttachLog(l), "a log behind the set")
	l.Apply(evs[9_999])
	require.NoError(t, s.AttachLog(l))
	require.True(t, s.HasLog())
	require.Error(t, s.AttachLog(projections.NewLog()), "a second log")
	for _, e := range evs[10_000:] {
		s.Apply(e)
	}
	assert.Equal(t, digest(t, whole), digest(t, s))
	a, err := whole.MarshalSnapshot()
	require.NoError(t, err)
	b, err := s.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, string(a), string(b))
}

// TestSnapshotBytes pins the one-pass snapshot encoding to what
// json.Marshal of the envelope gives, and checks that a snapshot of
// another version is still reported as one.
func TestSnapshotBytes(t *testing.T) {
	b := projections.NewBacklog()
	for _, e := range history(5_000) {
		b.Apply(e)
	}
	data, err := b.MarshalSnapshot()
	require.NoError(t, err)
	var env struct {
		Version string          `json:"version"`
		State   json.RawMessage `json:"state"`
	}
	require.NoError(t, json.Unmarshal(data, &env))
	again, err := json.Marshal(env)
	require.NoError(t, err)
	assert.Equal(t, string(again), string(data))
	c := projections.NewBacklog()
	require.NoError(t, c.UnmarshalSnapshot(data))
	assert.Equal(t, b.Items(), c.Items())

	env.Version = "backlog/0"
	old, err := json.Marshal(env)
	require.NoError(t, err)
	err = projections.NewBacklog().UnmarshalSnapshot(old)
	require.ErrorIs(t, err, projections.ErrSnapshotVersion)
	env.State = json.RawMessage(`{"items":7}`)
	bad, err := json.Marshal(env)
	require.NoError(t, err)
	require.ErrorIs(t, projections.NewBacklog().UnmarshalSnapshot(bad), projections.ErrSnapshotVersion)
	env.Version = "backlog/1"
	bad, err = json.Marshal(env)
	require.NoError(t, err)
	require.Error(t, c.UnmarshalSnapshot(bad))
	assert.Equal(t, b.Items(), c.Items(), "a failed restore leaves the backlog as it was")
}
