package replay_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
	"github.com/decisionledger/ledger/replay"
)

// TestDecisionJSON pins the fields of a cause in compare --json and a
// decision in diff --json (README, "JSON output").
func TestDecisionJSON(t *testing.T) {
	d := replay.Decision{Citation: projections.Citation{Seq: 3, Type: "RoadmapItemDropped", Actor: "pam", Role: domain.RolePM},
		Subject: "R1", Reason: domain.ReasonOther, Effect: "dropped"}
	b, err := json.Marshal(d)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	assert.Equal(t, []string{"actor", "at", "effect", "reason", "role", "seq", "subject", "type", "why"}, keys)
}
