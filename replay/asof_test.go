package replay_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// shown is what "show backlog", "show roadmap" and "show requests" print
// from, as JSON, and the whole Set.
type shown struct {
	backlog, roadmap, requests, set string
	seq                             uint64
}

func show(t *testing.T, set *projections.Set) shown {
	t.Helper()
	j := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	return shown{backlog: j(set.Backlog.Items()), roadmap: j(set.Roadmap.Periods()),
		requests: j(set.Requests.Requests(projections.RequestFilter{})), set: marshal(t, set), seq: set.Position()}
}

// The demo history is written decision by decision with backdated times,
// while a live Set follows what is written. At each checkpoint the live
// views are what "show" printed then; replaying to the checkpoint later,
// with or without snapshots, gives the same views.
func TestAsOf_EqualsWhatShowPrintedThen(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	checkpoints := []string{"2026-01-07", "2026-04-01", "2026-05-15", "2026-06-30", "2026-09-30"}
	then := map[string]shown{}
	live := projections.NewSet()
	h := command.New(s, func() time.Time { return eventstoretest.SeedNow })
	next := 0
	for _, c := range demo.Commands(demo.Product) {
		for next < len(checkpoints) && c.At.After(replay.EndOfDay(day(checkpoints[next])).At) {
			then[checkpoints[next]] = show(t, live)
			next++
		}
		res, err := h.Execute(ctx, c)
		require.NoError(t, err)
		for _, e := range res.Events {
			live.Apply(e)
		}
	}
	require.Len(t, then, len(checkpoints), "every checkpoint lies inside the history")

	snaps := s.Snapshots()
	_, rebuilt, err := replay.Rebuild(ctx, s, demo.Product, replay.Latest, replay.RebuildOptions{Snapshots: snaps, Every: 7})
	require.NoError(t, err)
	require.Empty(t, rebuilt.Warnings)
	require.Positive(t, rebuilt.Snapshots)

	for _, cp := range checkpoints {
		t.Run(cp, func(t *testing.T) {
			pos, err := replay.ParsePosition(cp)
			require.NoError(t, err)
			want := then[cp]
			for _, withSnaps := range []bool{false, true} {
				var r replay.SnapshotReader
				if withSnaps {
					r = snaps
				}
				set, res, err := replay.AsOf(ctx, s, r, demo.Product, pos)
				require.NoError(t, err)
				assert.Equal(t, want, show(t, set), "whole Set, snapshots %v", withSnaps)
				assert.Equal(t, want.seq, res.Seq, "the answer names where it stopped")
				assert.Empty(t, res.Warnings)

				v, res, err := replay.AsOfViews(ctx, s, r, demo.Product, pos)
				require.NoError(t, err)
				assert.Equal(t, want.seq, res.Seq)
				assert.Equal(t, want.backlog, mustJSON(t, v.Backlog.Items()), "backlog, snapshots %v", withSnaps)
				assert.Equal(t, want.roadmap, mustJSON(t, v.Roadmap.Periods()))
				assert.Equal(t, want.requests, mustJSON(t, v.Requests.Requests(projections.RequestFilter{})))
				if withSnaps && cp != "2026-01-07" {
					require.NotNil(t, res.Snapshot, "a snapshot at or before %s is used", cp)
					assert.LessOrEqual(t, res.Snapshot.Seq, res.Seq)
					assert.LessOrEqual(t, res.Replayed, max(7, rebuilt.Events-res.Events),
						"only the events after the snapshot are replayed: at most the snapshot interval, or how far the answer lies before the end (Thin)")
				}
			}
		})
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// For every position of a random history (interleaved with another
// product's events), as-of with snapshots equals as-of without them, and
// both equal the views folded in memory; deleting the snapshots changes
// no answer.
func TestAsOf_SnapshotsChangeNoAnswer(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	const product, n = "random", 300
	rng := rand.New(rand.NewPCG(7, 11))
	h, noise := newHistory(42, product), newHistory(43, "noise")
	var evs []domain.Event
	for range n {
		evs = append(evs, h.Next())
	}
	// Store them in random batches, with the other product's events in
	// between, so that stream sequences skip.
	var other uint64
	appendAll(ctx, t, s, evs, func() int {
		if rng.IntN(4) == 0 {
			seqs, err := s.Append(ctx, []domain.Event{noise.Next()}, other)
			require.NoError(t, err)
			other = seqs[0]
		}
		return 1 + rng.IntN(4)
	}, nil)

	// The reference: the views after each event, folded in memory.
	ref := map[uint64]string{0: marshal(t, replay.NewViews())}
	seqs := []uint64{0}
	mem := replay.NewViews()
	for _, e := range evs {
		mem.Apply(e)
		ref[e.Seq] = marshal(t, mem)
		seqs = append(seqs, e.Seq)
	}
	last := evs[len(evs)-1].Seq
	// want is the reference as of stream position p.
	want := func(p uint64) string {
		i := len(seqs) - 1
		for seqs[i] > p {
			i--
		}
		return ref[seqs[i]]
	}

	snaps := s.Snapshots()
	_, rebuilt, err := replay.Rebuild(ctx, s, product, replay.Latest, replay.RebuildOptions{Snapshots: snaps, Every: 10})
	require.NoError(t, err)
	assert.Equal(t, n/10, rebuilt.Snapshots, "one Views snapshot every 10 events, the last at the end, and none of the Set")
	list, err := snaps.List(ctx, product, "views")
	require.NoError(t, err)
	assert.Less(t, len(list), n/10, "older snapshots are thinned out")

	for p := uint64(1); p <= last+2; p++ {
		with, res, err := replay.AsOfViews(ctx, s, snaps, product, replay.AtSeq(p))
		require.NoError(t, err)
		without, _, err := replay.AsOfViews(ctx, s, nil, product, replay.AtSeq(p))
		require.NoError(t, err)
		require.Equal(t, want(p), marshal(t, without), "without snapshots, seq:%d", p)
		require.Equal(t, want(p), marshal(t, with), "with snapshots, seq:%d", p)
		require.Empty(t, res.Warnings)
		if p >= 10 && p <= last {
			require.NotNil(t, res.Snapshot, "seq:%d starts from a snapshot", p)
		}
		// Views of one member restore and fold that member alone, to the
		// same state and from the same snapshot.
		for _, m := range []replay.Members{replay.MemberBacklog, replay.MemberRoadmap, replay.MemberRequests} {
			part, pres, err := replay.AsOfViewsOf(ctx, s, snaps, product, replay.AtSeq(p), m)
			require.NoError(t, err)
			require.Equal(t, res, pres, "seq:%d, members %b", p, m)
			require.Equal(t, m, part.Members())
			require.Equal(t, memberBytes(t, with, m), memberBytes(t, part, m), "seq:%d, members %b", p, m)
			_, err = part.MarshalSnapshot()
			require.Error(t, err, "views of some members are never snapshotted")
		}
	}
	// By time: at an event's time it is in; a nanosecond before, it is not.
	for i := 0; i < len(evs); i += 9 {
		e := evs[i]
		for _, tc := range []struct {
			at   time.Time
			want uint64
		}{{e.OccurredAt, e.Seq}, {e.OccurredAt.Add(-time.Nanosecond), seqs[i]}} {
			v, res, err := replay.AsOfViews(ctx, s, snaps, product, replay.AtTime(tc.at))
			require.NoError(t, err)
			require.Equal(t, ref[tc.want], marshal(t, v), "as of %s", tc.at)
			require.Equal(t, tc.want, res.Seq)
		}
	}
	// The whole Set has no snapshot (its log grows with history): it is
	// folded from the first event, with snapshots or without.
	setWith, res, err := replay.AsOf(ctx, s, snaps, product, replay.Latest)
	require.NoError(t, err)
	require.Nil(t, res.Snapshot)
	setWithout, _, err := replay.AsOf(ctx, s, nil, product, replay.Latest)
	require.NoError(t, err)
	assert.Equal(t, marshal(t, setWithout), marshal(t, setWith))

	// Snapshots are a cache: delete them all, and nothing changes.
	for _, kind := range []string{"views", "set"} {
		list, err := snaps.List(ctx, product, kind)
		require.NoError(t, err)
		for _, info := range list {
			require.NoError(t, snaps.Delete(ctx, info))
		}
	}
	for _, p := range []uint64{1, last / 3, last / 2, last} {
		v, res, err := replay.AsOfViews(ctx, s, snaps, product, replay.AtSeq(p))
		require.NoError(t, err)
		assert.Nil(t, res.Snapshot)
		assert.Equal(t, want(p), marshal(t, v), "seq:%d after deleting the snapshots", p)
	}
}

// A snapshot that cannot be trusted is ignored and reported; the answer
// is the one rebuilt from events.
func TestAsOf_UnusableSnapshotIgnored(t *testing.T) {
	s := eventstoretest.Open(t)
	ctx := eventstoretest.Context(t)
	eventstoretest.SeedDemo(t, s, demo.Product)
	all := eventstoretest.Events(t, s, demo.Product)
	at := all[99] // the snapshot claims to end here
	pos := replay.AtSeq(at.Seq + 5)
	want, _, err := replay.AsOfViews(ctx, s, nil, demo.Product, pos)
	require.NoError(t, err)
	good, _, err := replay.AsOfViews(ctx, s, nil, demo.Product, replay.AtSeq(at.Seq))
	require.NoError(t, err)
	earlier, _, err := replay.AsOfViews(ctx, s, nil, demo.Product, replay.AtSeq(all[49].Seq))
	require.NoError(t, err)
	info := replay.SnapshotInfo{Product: demo.Product, Kind: "views", Version: replay.ViewsVersion,
		Seq: at.Seq, LastAt: at.OccurredAt, Events: 100}

	tests := []struct {
		name    string
		info    func(replay.SnapshotInfo) replay.SnapshotInfo
		data    string
		warning string
	}{
		{"Corrupt", nil, "\x00\x01garbage\xff", "failed to decode"},
		{"Truncated", nil, marshal(t, good)[:200], "failed to decode"},
		{"StaleByName", func(i replay.SnapshotInfo) replay.SnapshotInfo { i.Version = "views/0+backlog/0"; return i },
			marshal(t, good), "projection version views/0+backlog/0 != " + replay.ViewsVersion},
		{"StaleInside", nil, `{"version":"views/0","backlog":{},"roadmap":{},"requests":{}}`, "projection version"},
		{"OtherPosition", nil, marshal(t, earlier), fmt.Sprintf("holds sequence %d, not %d", all[49].Seq, at.Seq)},
		{"OtherStream", func(i replay.SnapshotInfo) replay.SnapshotInfo { i.LastAt = i.LastAt.Add(-time.Hour); return i },
			marshal(t, good), "disagrees with the stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snaps := s.Snapshots()
			bad := info
			if tc.info != nil {
				bad = tc.info(bad)
			}
			stored, err := snaps.Put(ctx, bad, []byte(tc.data))
			require.NoError(t, err)
			t.Cleanup(func() { _ = snaps.Delete(ctx, stored) })

			got, res, err := replay.AsOfViews(ctx, s, snaps, demo.Product, pos)
			require.NoError(t, err)
			assert.Equal(t, marshal(t, want), marshal(t, got), "the answer does not depend on the snapshot")
			assert.Nil(t, res.Snapshot)
			require.NotEmpty(t, res.Warnings)
			assert.Contains(t, res.Warnings[0], "snapshot checkout/views/"+fmt.Sprintf("%020d", at.Seq)+" ignored")
			assert.Contains(t, res.Warnings[0], tc.warning)
		})
	}

	t.Run("FallsBackToAnOlderGoodOne", func(t *testing.T) {
		snaps := s.Snapshots()
		older := replay.SnapshotInfo{Product: demo.Product, Kind: "views", Version: replay.ViewsVersion,
			Seq: all[49].Seq, LastAt: all[49].OccurredAt, Events: 50}
		_, err := snaps.Put(ctx, older, []byte(marshal(t, earlier)))
		require.NoError(t, err)
		_, err = snaps.Put(ctx, info, []byte("not json"))
		require.NoError(t, err)
		got, res, err := replay.AsOfViews(ctx, s, snaps, demo.Product, pos)
		require.NoError(t, err)
		assert.Equal(t, marshal(t, want), marshal(t, got))
		require.NotNil(t, res.Snapshot)
		assert.Equal(t, all[49].Seq, res.Snapshot.Seq)
		assert.Equal(t, uint64(105), res.Events, "50 from the snapshot and 55 replayed")
		assert.Equal(t, uint64(55), res.Replayed)
		require.Len(t, res.Warnings, 1)
		assert.Contains(t, res.Warnings[0], "failed to decode")
	})
}

// memberBytes is the binary state of the members of v that m names, and
// of its gate.
func memberBytes(t *testing.T, v *replay.Views, m replay.Members) []string {
	t.Helper()
	type appender interface{ AppendBinary([]byte) ([]byte, error) }
	ms := []appender{v.Gate}
	if m&replay.MemberBacklog != 0 {
		ms = append(ms, v.Backlog)
	}
	if m&replay.MemberRoadmap != 0 {
		ms = append(ms, v.Roadmap)
	}
	if m&replay.MemberRequests != 0 {
		ms = append(ms, v.Requests)
	}
	var out []string
	for _, a := range ms {
		b, err := a.AppendBinary(nil)
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}
