package projections

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// keysOf is the sorted set of top-level JSON keys of v.
func keysOf(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestCitationJSON pins the JSON fields of the types that cite a
// decision (README, "JSON output"): embedding Citation keeps them flat.
func TestCitationJSON(t *testing.T) {
	c := Citation{Seq: 7, Type: domain.TypeBacklogItemRanked, Actor: "oscar", Role: domain.RolePO,
		At: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC), Why: "w"}
	ov := []Override{{ID: "B", Framework: "RICE", Score: 3}}
	assert.Equal(t, []string{"actor", "at", "overrides", "role", "seq", "type", "why"},
		keysOf(t, DecisionRef{Citation: c, Overrides: ov}), "lastDecision")
	assert.Equal(t, []string{"actor", "at", "changes", "eventId", "links", "overridesScore", "reason", "role", "seq", "type", "via", "why"},
		keysOf(t, Decision{Citation: c, EventID: "e", Reason: domain.ReasonLowValue, Changes: []string{},
			Links: &Links{Item: "I"}, OverridesScore: ov, Via: "V"}), "why's decisions")
}
