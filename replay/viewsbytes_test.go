package replay

import (
	"encoding/binary"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// smallViews folds a short history that sets most fields of every member.
func smallViews(t *testing.T) *Views {
	t.Helper()
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	v := NewViews()
	for i, p := range []domain.Payload{
		domain.ProductCreated{Name: "V <&>", PM: "pam", PO: "olga"},
		domain.RoadmapItemPlanned{Title: "Theme", Period: "2026-Q2"},
		domain.BacklogItemAdded{Title: "A \"quoted\" <b>", Kind: domain.ItemStory, Roadmap: "R1"},
		domain.BacklogItemAdded{Title: "B", Kind: domain.ItemBug, Roadmap: "R1"},
		domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop},
			Score: &domain.Score{Framework: "RICE", Inputs: map[string]float64{"reach": 9, "impact": 2, "confidence": 0.5, "effort": 3}}},
		domain.RequestSubmitted{Title: "Ask", Requester: "sally"},
	} {
		kind, id := domain.KindItem, "A"
		switch p.(type) {
		case domain.ProductCreated:
			kind, id = domain.KindProduct, "v"
		case domain.RoadmapItemPlanned:
			kind, id = domain.KindRoadmap, "R1"
		case domain.RequestSubmitted:
			kind, id = domain.KindRequest, "Q1"
		}
		if i == 3 {
			id = "B"
		}
		v.Apply(domain.Event{Seq: uint64(i + 1), Type: p.EventType(), Schema: domain.SchemaV1, Product: "v",
			Aggregate: domain.Aggregate{Kind: kind, ID: id}, Actor: domain.Actor{ID: "olga", Role: domain.RolePO},
			OccurredAt: at.Add(time.Duration(i) * time.Hour), Data: p})
	}
	require.Equal(t, uint64(6), v.Position())
	return v
}

// membersJSON is the members' JSON snapshots: equal strings, equal states.
func membersJSON(t *testing.T, v *Views) string {
	t.Helper()
	var out []byte
	for _, m := range []interface{ MarshalSnapshot() ([]byte, error) }{v.Backlog, v.Roadmap, v.Requests, v.Gate} {
		b, err := m.MarshalSnapshot()
		require.NoError(t, err)
		out = append(append(out, b...), '\n')
	}
	return string(out)
}

// TestViewsSnapshotBytes pins the members' binary encoding to a golden
// file (refresh it with go test ./replay -run ViewsSnapshotBytes -update,
// and bump projections.CodecVersion or domain.GateBinaryVersion with any
// change), and requires a snapshot to begin with its version, to restore
// the state it was written from and to be the same bytes when written
// again.
func TestViewsSnapshotBytes(t *testing.T) {
	v := smallViews(t)
	body, err := v.appendBinary(nil)
	require.NoError(t, err)
	golden := filepath.Join("testdata", "views-body.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(hex.Dump(body)), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), hex.Dump(body), "the binary encoding changed: bump its version and run with -update")

	data, err := v.MarshalSnapshot()
	require.NoError(t, err)
	n, k := binary.Uvarint(data)
	require.Positive(t, k)
	assert.Equal(t, ViewsVersion, string(data[k:k+int(n)]))
	c := NewViews()
	require.NoError(t, c.UnmarshalSnapshot(data))
	assert.Equal(t, membersJSON(t, v), membersJSON(t, c))
	assert.Equal(t, v.Backlog.Items(), c.Backlog.Items())
	again, err := c.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, data, again, "snapshots are deterministic")
}

// TestViewsSnapshotRefused feeds UnmarshalSnapshot what it must not
// take: a JSON snapshot of an older version, one of another version, and
// every truncation and a flipped byte of a good one. Each fails, the old
// versions with ErrSnapshotVersion, and leaves the Views as they were.
func TestViewsSnapshotRefused(t *testing.T) {
	good, err := smallViews(t).MarshalSnapshot()
	require.NoError(t, err)
	body, err := smallViews(t).appendBinary(nil)
	require.NoError(t, err)
	v := smallViews(t)
	before := membersJSON(t, v)

	old := []byte(`{"version":"views/2+gate/1+writestate/2+backlog/1+roadmap/1+requests/1","backlog":{}}`)
	require.ErrorIs(t, v.UnmarshalSnapshot(old), projections.ErrSnapshotVersion)
	other := append(binary.AppendUvarint(nil, 7), "views/9"...)
	require.ErrorIs(t, v.UnmarshalSnapshot(append(other, good[len(ViewsVersion)+1:]...)), projections.ErrSnapshotVersion)
	for i := range len(good) {
		require.Error(t, v.UnmarshalSnapshot(good[:i]), "cut at %d of %d", i, len(good))
	}
	huge := append(binary.AppendUvarint(nil, uint64(len(ViewsVersion))), ViewsVersion...)
	huge = binary.AppendUvarint(append(huge, viewsZstd), maxViewsBody+1)
	require.ErrorContains(t, v.UnmarshalSnapshot(append(huge, good[len(huge):]...)), "too large")
	for i := range len(body) {
		require.Error(t, v.unmarshalBinary(body[:i]), "body cut at %d of %d", i, len(body))
	}
	for i := range len(body) {
		flipped := append([]byte{}, body...)
		flipped[i] ^= 0xff
		_ = v.unmarshalBinary(flipped) // may decode to another state; must not panic
	}
	v = smallViews(t)
	for i := range len(good) {
		require.Error(t, v.UnmarshalSnapshot(append(append([]byte{}, good[:i]...), good[i+1:]...)), "byte %d left out", i)
	}
	assert.Equal(t, before, membersJSON(t, v), "a refused snapshot leaves the views as they were")
}
