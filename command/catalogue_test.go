package command_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/domain/domaintest"
)

// TestEveryActionOfTheCatalogue holds the edges' actions to the domain's
// event catalogue: every action a catalogue type answers has a name and
// args, none other does, and the command of each (the decisions of the
// history of every event type) goes through Encode and Decode unchanged.
func TestEveryActionOfTheCatalogue(t *testing.T) {
	var want []string
	for _, verb := range domain.Actions() {
		want = append(want, strings.ReplaceAll(verb, " ", "."))
	}
	slices.Sort(want)
	assert.Equal(t, want, command.Actions())

	seen := map[string]bool{}
	for _, c := range domaintest.Commands() {
		r, err := command.Encode(c)
		require.NoError(t, err, "%s", c.Action.Verb())
		b, err := json.Marshal(r)
		require.NoError(t, err)
		var back command.Request
		require.NoError(t, json.Unmarshal(b, &back))
		got, err := command.Decode(back)
		require.NoError(t, err, "%s", b)
		assert.True(t, c.At.Equal(got.At), "%s", b)
		got.At = c.At
		assert.Equal(t, c, got, "%s", b)
		seen[r.Action] = true
	}
	assert.Len(t, seen, len(want), "the history of every event type takes every action")

	_, err := command.Encode(domain.Command{ID: "x", Action: unknownAction{}})
	assert.Error(t, err)
}

type unknownAction struct{}

func (unknownAction) Verb() string { return "item rank" }
