package projections

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// story is a small history touching every projection.
func story() *builder {
	b := newBuilder()
	b.product()
	b.plan("R1", "2026-Q1")
	b.plan("R2", "2026-Q2")
	b.submit("Q1", "sam", "")
	b.itemFor("A", "R1")
	b.itemFor("B", "R1")
	b.emit(po, domain.KindItem, "C", domain.BacklogItemAdded{Title: "c", Kind: domain.ItemBug, Roadmap: "R2", Request: "Q1"}, "")
	b.emit(po, domain.KindRequest, "Q1", domain.RequestAccepted{Item: "C"}, "yes")
	b.rankScored("C", domain.PlaceTop, "", "RICE", map[string]float64{"reach": 5, "impact": 1, "confidence": 1, "effort": 1})
	b.rankScored("B", domain.PlaceAbove, "C", "RICE", map[string]float64{"reach": 1, "impact": 1, "confidence": 1, "effort": 1})
	b.start("A")
	b.submit("Q2", "sue", "")
	b.reject("Q2", domain.ReasonLowValue, "no")
	b.submit("Q3", "sue", "Q2")
	b.deliver("A")
	b.emit(pm, domain.KindRoadmap, "R2", domain.RoadmapItemRescheduled{From: "2026-Q2", To: "2026-Q3"}, "later")
	return b
}

func snapshotOf(t *testing.T, s interface{ MarshalSnapshot() ([]byte, error) }) []byte {
	t.Helper()
	b, err := s.MarshalSnapshot()
	require.NoError(t, err)
	return b
}

type snapshotProjection interface {
	Projection
	MarshalSnapshot() ([]byte, error)
	UnmarshalSnapshot([]byte) error
	Skipped() (int, uint64)
	Version() string
}

func projectionsUnderTest() []struct {
	name string
	make func() snapshotProjection
} {
	return []struct {
		name string
		make func() snapshotProjection
	}{
		{"Backlog", func() snapshotProjection { return NewBacklog() }},
		{"Roadmap", func() snapshotProjection { return NewRoadmap() }},
		{"Requests", func() snapshotProjection { return NewRequests() }},
		{"Log", func() snapshotProjection { return NewLog() }},
		{"Set", func() snapshotProjection { return trustingSet() }},
		{"ZeroSet", func() snapshotProjection { return &Set{trust: true} }},
	}
}

func TestUnknownPayloadSkipped(t *testing.T) {
	b := newBuilder()
	b.item("A", "a")
	first := b.unknown()
	b.item("B", "b")
	b.unknown()
	b.emit(po, domain.KindItem, "C", &domain.BacklogItemAdded{Title: "pointer form"}, "")
	b.events = append(b.events, domain.Event{Seq: b.seq + 1})
	b.seq++
	b.item("D", "d")
	for _, pt := range projectionsUnderTest() {
		t.Run(pt.name, func(t *testing.T) {
			p := pt.make()
			require.NotPanics(t, func() { applyAll(p, b.events) })
			n, seq := p.Skipped()
			assert.Equal(t, 4, n)
			assert.Equal(t, first.Seq, seq)
			assert.Equal(t, b.seq, p.Position())
			p.Reset()
			assert.Zero(t, p.Position())
			n, seq = p.Skipped()
			assert.Zero(t, n)
			assert.Zero(t, seq)
		})
	}
	bl := NewBacklog()
	applyAll(bl, b.events)
	assert.Equal(t, []string{"A", "B", "D"}, openOrder(t, bl))
}

func TestDeterminismAndSnapshots(t *testing.T) {
	events := story().events
	for _, pt := range projectionsUnderTest() {
		t.Run(pt.name, func(t *testing.T) {
			one, two := pt.make(), pt.make()
			applyAll(one, events)
			applyAll(two, events)
			snap := snapshotOf(t, one)
			require.Equal(t, string(snap), string(snapshotOf(t, two)), "rebuild twice, same state")

			two.Reset()
			applyAll(two, events)
			assert.Equal(t, string(snap), string(snapshotOf(t, two)), "reset and rebuild")

			applyAll(two, events) // redelivery changes nothing
			assert.Equal(t, string(snap), string(snapshotOf(t, two)), "redelivered events are ignored")

			for cut := 0; cut <= len(events); cut += 3 {
				head := pt.make()
				applyAll(head, events[:cut])
				restored := pt.make()
				require.NoError(t, restored.UnmarshalSnapshot(snapshotOf(t, head)))
				applyAll(restored, events[cut:])
				require.Equal(t, string(snap), string(snapshotOf(t, restored)), "restore at %d then continue", cut)
			}
		})
	}
}

func TestSnapshotErrors(t *testing.T) {
	for _, pt := range projectionsUnderTest() {
		t.Run(pt.name, func(t *testing.T) {
			p := pt.make()
			applyAll(p, story().events)
			before := snapshotOf(t, p)

			var env map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(before, &env))
			env["version"] = json.RawMessage(`"older/0"`)
			old, err := json.Marshal(env)
			require.NoError(t, err)
			err = p.UnmarshalSnapshot(old)
			require.ErrorIs(t, err, ErrSnapshotVersion)
			assert.Contains(t, err.Error(), p.Version())

			require.Error(t, p.UnmarshalSnapshot([]byte("not json")))
			assert.Equal(t, string(before), string(snapshotOf(t, p)), "a failed restore leaves the state alone")
		})
	}
}

func TestSetFansOut(t *testing.T) {
	events := story().events
	s := trustingSet()
	applyAll(s, events)
	assert.Equal(t, uint64(len(events)), s.Position())
	for _, p := range []Projection{s.Backlog, s.Roadmap, s.Log, s.Requests} {
		assert.Equal(t, s.Position(), p.Position())
	}
	bl := NewBacklog()
	applyAll(bl, events)
	assert.Equal(t, bl.Items(), s.Backlog.Items())
	_, _, ok := s.Log.Chain("Q3")
	assert.True(t, ok)
	assert.Len(t, s.Requests.Requests(RequestFilter{}), 3)
	assert.Len(t, s.Roadmap.Periods(), 2)
}
