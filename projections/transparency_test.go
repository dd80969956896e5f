package projections

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

func TestLogBacklogChain(t *testing.T) {
	b := newBuilder()
	b.product()
	b.plan("R1", "2026-Q2")
	b.submit("Q1", "sam", "")
	for _, id := range []string{"A", "B", "C", "D"} {
		b.item(id, "item "+id)
	}
	b.emit(po, domain.KindItem, "E", domain.BacklogItemAdded{Title: "Wallets", Kind: domain.ItemStory,
		Epic: "EPIC-1", Roadmap: "R1", Request: "Q1"}, "")
	b.emit(po, domain.KindRequest, "Q1", domain.RequestAccepted{Item: "E"}, "customers need it")
	b.rankScored("A", domain.PlaceTop, "", "RICE", map[string]float64{"reach": 9, "impact": 1, "confidence": 1, "effort": 1})
	moved := b.rankScored("E", domain.PlaceAbove, "B", "RICE", map[string]float64{"reach": 1, "impact": 1, "confidence": 1, "effort": 1})
	b.rank("E", domain.PlaceTop, "")
	b.emit(po, domain.KindItem, "E", domain.BacklogItemRefined{Title: "Wallet payments"}, "clearer")
	b.start("E")
	b.deliver("E")
	l := NewLog()
	applyAll(l, b.events)

	chain, kind, ok := l.Chain("E")
	require.True(t, ok)
	assert.Equal(t, domain.KindItem, kind)
	require.Len(t, chain, 6)
	assert.Equal(t, []string{`title "Wallets"`, "kind story", "status new", "rank 5", "epic EPIC-1", "roadmap R1", "request Q1"}, chain[0].Changes)
	assert.Equal(t, &Links{Request: "Q1", Epic: "EPIC-1", Roadmap: "R1"}, chain[0].Links)

	rank := chain[1]
	assert.Equal(t, moved.Seq, rank.Seq)
	assert.Equal(t, moved.ID, rank.EventID)
	assert.Equal(t, domain.TypeBacklogItemRanked, rank.Type)
	assert.Equal(t, "oscar", rank.Actor)
	assert.Equal(t, domain.RolePO, rank.Role)
	assert.Equal(t, moved.OccurredAt, rank.At)
	assert.Equal(t, "scored", rank.Why)
	assert.Equal(t, []string{"rank 5 -> 2", "score RICE/v1 1"}, rank.Changes)
	assert.Empty(t, rank.OverridesScore, "B, C and D carry no score")
	assert.Equal(t, []string{"rank 2 -> 1"}, chain[2].Changes)
	assert.Equal(t, []Override{{ID: "A", Framework: "RICE", Score: 9}}, chain[2].OverridesScore, "E jumped over A, which scores higher")
	assert.Equal(t, []string{`title "Wallets" -> "Wallet payments"`}, chain[3].Changes)
	assert.Equal(t, []string{"status new -> in-progress"}, chain[4].Changes)
	assert.Equal(t, []string{"status in-progress -> delivered", "release r-E"}, chain[5].Changes)
	assert.Equal(t, 2, l.Churn("E"))
	assert.Equal(t, 1, l.Churn("A"))
	assert.Zero(t, l.Churn("B"))
	assert.Zero(t, l.Churn("nope"))

	// The request's chain links the item it became.
	qc, kind, ok := l.Chain("Q1")
	require.True(t, ok)
	assert.Equal(t, domain.KindRequest, kind)
	require.Len(t, qc, 2)
	assert.Equal(t, []string{`title "ask Q1"`, "requester sam", "status pending"}, qc[0].Changes)
	assert.Equal(t, []string{"status pending -> accepted", "item E"}, qc[1].Changes)
	assert.Equal(t, &Links{Item: "E"}, qc[1].Links)

	// The roadmap item's chain shows its own decision and the item
	// decisions that moved it, each naming the item.
	rc, kind, ok := l.Chain("R1")
	require.True(t, ok)
	assert.Equal(t, domain.KindRoadmap, kind)
	require.Len(t, rc, 4)
	assert.Equal(t, []string{`title "goal R1"`, `objective "grow"`, "period 2026-Q2", "status planned", "rank 1"}, rc[0].Changes)
	assert.Equal(t, "E", rc[1].Via)
	assert.Equal(t, []string{"serving item +E"}, rc[1].Changes)
	assert.Equal(t, []string{"status planned -> in-progress"}, rc[2].Changes)
	assert.Equal(t, []string{"status in-progress -> delivered", "delivered 0/1 -> 1/1"}, rc[3].Changes)

	pc, kind, ok := l.Chain("checkout")
	require.True(t, ok)
	assert.Equal(t, domain.KindProduct, kind)
	assert.Equal(t, []string{`name "Checkout"`, "pm paula", "po oscar"}, pc[0].Changes)

	_, _, ok = l.Chain("nope")
	assert.False(t, ok)
	assert.Equal(t, []string{"A", "B", "C", "D", "E"}, l.IDs(domain.KindItem))
}

func TestLogOverrideAndReason(t *testing.T) {
	b := newBuilder()
	b.item("A", "a")
	b.item("B", "b")
	b.rankScored("A", domain.PlaceTop, "", "WSJF", map[string]float64{"bv": 10, "tc": 10, "rr": 10, "size": 1})
	b.rankScored("B", domain.PlaceTop, "", "wsjf", map[string]float64{"bv": 1, "tc": 1, "rr": 1, "size": 1})
	b.submit("Q1", "sam", "")
	b.reject("Q1", domain.ReasonConflictsWithVision, "we sell to shops, not banks")
	b.submit("Q2", "sam", "Q1")
	l := NewLog()
	applyAll(l, b.events)

	chain, ok := l.ChainOf(domain.KindItem, "B")
	require.True(t, ok)
	last := chain[len(chain)-1]
	assert.Equal(t, []string{"rank 2 -> 1", "score WSJF/v1 3"}, last.Changes)
	assert.Equal(t, []Override{{ID: "A", Framework: "WSJF", Score: 30}}, last.OverridesScore)

	qc, _ := l.ChainOf(domain.KindRequest, "Q1")
	assert.Equal(t, domain.ReasonConflictsWithVision, qc[1].Reason)
	assert.Equal(t, "we sell to shops, not banks", qc[1].Why)
	q2, _ := l.ChainOf(domain.KindRequest, "Q2")
	assert.Contains(t, q2[0].Changes, "comeback after rejection of Q1")
	assert.Equal(t, &Links{Repeats: "Q1"}, q2[0].Links)
}

func TestLogProductAndRoadmapDecisions(t *testing.T) {
	b := newBuilder()
	b.product()
	b.emit(pm, domain.KindProduct, "checkout", domain.RoleAssigned{Actor: "tina", Role: domain.RoleTeam}, "joins")
	b.emit(pm, domain.KindProduct, "checkout", domain.VisionStated{Vision: "one-click", Metrics: []string{"conversion 5%"}}, "")
	b.emit(pm, domain.KindProduct, "checkout", domain.VisionStated{Vision: "zero-click"}, "bolder")
	b.emit(po, domain.KindProduct, "checkout", domain.ProductGoalSet{Goal: "ship wallets"}, "")
	b.emit(pm, domain.KindProduct, "checkout", domain.RoleRevoked{Actor: "tina", Role: domain.RoleTeam}, "left")
	b.plan("R1", "2026-Q2")
	b.plan("R2", "2026-Q2")
	b.emit(pm, domain.KindRoadmap, "R2", domain.RoadmapItemRanked{Position: domain.Position{Place: domain.PlaceAbove, Ref: "R1"}}, "bigger bet")
	b.emit(pm, domain.KindRoadmap, "R1", domain.RoadmapItemRescheduled{From: "2026-Q2", To: "2026-Q3"}, "capacity")
	b.emit(pm, domain.KindRoadmap, "R1", domain.RoadmapItemDropped{}, "gave up")
	l := NewLog()
	applyAll(l, b.events)

	pc, _ := l.ChainOf(domain.KindProduct, "checkout")
	require.Len(t, pc, 6)
	assert.Equal(t, []string{"role team assigned to tina"}, pc[1].Changes)
	assert.Equal(t, []string{`vision "one-click"`, `metrics "conversion 5%"`}, pc[2].Changes)
	assert.Equal(t, []string{`vision "one-click" -> "zero-click"`, `metrics "conversion 5%" -> (none)`}, pc[3].Changes)
	assert.Equal(t, []string{`goal "ship wallets"`}, pc[4].Changes)
	assert.Equal(t, []string{"role team revoked from tina"}, pc[5].Changes)

	r2, _ := l.ChainOf(domain.KindRoadmap, "R2")
	assert.Equal(t, []string{"rank 2 -> 1"}, r2[1].Changes)
	assert.Equal(t, 1, l.Churn("R2"))
	r1, _ := l.ChainOf(domain.KindRoadmap, "R1")
	require.Len(t, r1, 3)
	assert.Equal(t, []string{"period 2026-Q2 -> 2026-Q3", "rank 2 -> 1"}, r1[1].Changes)
	assert.Equal(t, []string{"status planned -> dropped"}, r1[2].Changes)
}

func TestDecisionJSONShape(t *testing.T) {
	b := newBuilder()
	b.item("A", "a")
	l := NewLog()
	applyAll(l, b.events)
	chain, _, _ := l.Chain("A")
	raw, err := json.Marshal(chain)
	require.NoError(t, err)
	var got []map[string]any
	require.NoError(t, json.Unmarshal(raw, &got))
	for _, k := range []string{"seq", "type", "actor", "role", "at", "why", "changes"} {
		assert.Contains(t, got[0], k)
	}
}
