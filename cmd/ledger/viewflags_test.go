package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
)

// TestEveryViewIsACommand walks the view catalogue: every view has a
// command, and every option of every view is a flag of it (the subject a
// positional argument), with the catalogue's documentation as its help.
func TestEveryViewIsACommand(t *testing.T) {
	a := newApp(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	cmds := map[string]*cobra.Command{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if v := c.Annotations[viewAnnotation]; v != "" {
			require.Nil(t, cmds[v], "two commands for the %s view", v)
			cmds[v] = c
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
	for _, v := range query.Catalogue() {
		c := cmds[v.Name]
		if !assert.NotNil(t, c, "the %s view has no command", v.Name) {
			continue
		}
		assert.Equal(t, v.HasCSV(), c.Flags().Lookup("csv") != nil, "%s: --csv", c.CommandPath())
		for _, p := range v.Params {
			f := c.Flags().Lookup(p.Flag())
			switch {
			case p.Hidden:
				assert.Nil(t, f, "%s --%s", c.CommandPath(), p.Flag())
			case p.Subject:
				assert.Contains(t, c.Use, strings.ToUpper(p.Name), "%s: the %s is its argument", c.CommandPath(), p.Name)
			case assert.NotNil(t, f, "%s has no --%s", c.CommandPath(), p.Flag()):
				assert.Contains(t, f.Usage, p.Doc)
				for _, val := range p.Values {
					assert.Contains(t, f.Usage, val, "%s --%s names what it takes", c.CommandPath(), p.Flag())
				}
			}
		}
	}
}

// TestUnknownFlagValuesRefused: a value outside an option's closed set is
// a flag error (exit 2) naming the flag and the values it takes, before
// anything is asked of the ledger.
func TestUnknownFlagValuesRefused(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"ErrRole", []string{"decisions", "--role", "boss"}, `--role "boss" is not one of pm, po, stakeholder, team`},
		{"ErrReason", []string{"decisions", "--reason", "boring"}, `--reason "boring" is not one of out-of-scope, low-value`},
		{"ErrType", []string{"decisions", "--type", "ranked", "--type", "promoted"}, `--type "promoted" is not one of`},
		{"ErrBacklogStatus", []string{"show", "backlog", "--status", "closed"}, `--status "closed" is not one of open, all, new, in-progress, delivered, removed`},
		{"ErrRequestStatus", []string{"show", "requests", "--status", "open"}, `--status "open" is not one of pending, accepted`},
		{"ErrRequestReason", []string{"show", "requests", "--reason", "meh"}, `--reason "meh" is not one of out-of-scope`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := c.run(tc.args...)
			assert.Equal(t, exitUsage, o.code, "err: %v", o.err)
			require.Error(t, o.err)
			assert.Contains(t, o.err.Error(), tc.msg)
		})
	}
	// The type's other spellings are taken.
	c.ok("decisions", "--type", "BacklogItemAdded", "--type", "Ranked")
}
