package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"

	"github.com/decisionledger/ledger/domain"
)

// TestEveryActionHasAWriteCommand holds the CLI to the domain's event
// catalogue: every action a catalogue type answers is a write command
// named by its verb ("item rank"); its request names the action by the
// same words ("item.rank", writeCommand).
func TestEveryActionHasAWriteCommand(t *testing.T) {
	root := newApp(strings.NewReader(""), &syncBuffer{}, &syncBuffer{}).rootCommand()
	commands := map[string]*cobra.Command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			commands[strings.TrimPrefix(sub.CommandPath(), root.Name()+" ")] = sub
			walk(sub)
		}
	}
	walk(root)
	for _, verb := range domain.Actions() {
		c, ok := commands[verb]
		if assert.True(t, ok, "no write command %q", verb) {
			assert.True(t, c.Runnable(), verb)
			assert.Equal(t, "write", c.Parent().GroupID, "%q is listed among the commands that record decisions", verb)
		}
	}
}
