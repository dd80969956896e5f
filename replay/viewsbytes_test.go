package replay

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// TestViewsSnapshotBytes pins the one-pass Views snapshot to the bytes
// json.Marshal of its envelope gives, so that the format did not change.
func TestViewsSnapshotBytes(t *testing.T) {
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
	data, err := v.MarshalSnapshot()
	require.NoError(t, err)
	var s viewsSnapshot
	require.NoError(t, json.Unmarshal(data, &s))
	want, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(data))
}
