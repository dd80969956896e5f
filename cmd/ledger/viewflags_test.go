package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
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

// smallNATS starts a NATS server with JetStream whose messages carry at
// most max bytes (its max_payload), and returns its URL.
func smallNATS(t *testing.T, max int32) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, MaxPayload: max,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	require.True(t, ns.ReadyForConnections(10*time.Second))
	return ns.ClientURL()
}

var moreHint = regexp.MustCompile(`more: --after (\S+)`)

// TestListCommandsPage walks the catalogue's lists through the CLI: every
// list view's command, with --limit and each page's --after as its hint
// says, prints what it prints without them, on the ledger itself and
// through a serve on a NATS server whose messages carry 32 KiB, where the
// demo's log (streamed page after page by "ledger log") and decisions are
// larger than one message.
func TestListCommandsPage(t *testing.T) {
	local := newCLI(t)
	local.ok("demo")

	served := newCLI(t)
	url := smallNATS(t, 32<<10)
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--nats", url, "serve", "--http", "off", "--demo"}, strings.NewReader(""), &sout, &serr)
	}()
	defer func() { cancel(); require.NoError(t, <-done) }()
	require.Eventually(t, func() bool { return strings.Contains(sout.String(), `NATS service "ledger"`) },
		20*time.Second, 20*time.Millisecond, "serve did not start: %s", serr.String())

	cmds := map[string]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if v := c.Annotations[viewAnnotation]; v != "" {
			cmds[v] = strings.TrimPrefix(c.CommandPath(), "ledger ")
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newApp(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}).rootCommand())

	for _, mode := range []struct {
		name string
		c    *cli
		args []string
	}{{"Local", local, nil}, {"ThroughServe", served, []string{"--nats", url}}} {
		t.Run(mode.name, func(t *testing.T) {
			lists := 0
			for _, v := range query.Catalogue() {
				if !v.Paged() {
					continue
				}
				lists++
				args := append(append([]string{}, mode.args...), strings.Fields(cmds[v.Name])...)
				if v.Name == query.ViewWhy {
					args = append(args, "CARD-2")
				}
				if v.Name == query.ViewBacklog {
					args = append(args, "--status", "all")
				}
				args = append(args, "--json")
				whole := mode.c.ok(args...)
				if mode.name == "ThroughServe" && (v.Name == query.ViewLog || v.Name == query.ViewDecisions) {
					require.Greater(t, len(whole), 32<<10, "the %s view is larger than one message", v.Name)
				}
				lines := v.Name == query.ViewLog || v.Name == query.ViewDecisions // one element a line

				var pieces []string
				after := ""
				for pages := 0; ; pages++ {
					page := append(append([]string{}, args...), "--limit", "5")
					if after != "" {
						page = append(page, "--after", after)
					}
					o := mode.c.run(page...)
					require.NoError(t, o.err, "%v", page)
					pieces = append(pieces, o.stdout)
					m := moreHint.FindStringSubmatch(o.stderr)
					if m == nil {
						break
					}
					after = m[1]
					require.Less(t, pages, 100)
				}
				if lines {
					assert.Equal(t, whole, strings.Join(pieces, ""), "%s: the pages print the whole list", v.Name)
					assert.Equal(t, min(5, strings.Count(whole, "\n")), strings.Count(pieces[0], "\n"))
					continue
				}
				all := reflect.New(reflect.TypeOf(v.Answer))
				for i, p := range pieces {
					page := reflect.New(reflect.TypeOf(v.Answer))
					require.NoError(t, json.Unmarshal([]byte(p), page.Interface()), p)
					if i == 0 {
						all.Elem().Set(page.Elem())
					} else {
						require.True(t, v.Merge(all.Interface(), page.Interface()))
					}
				}
				got, err := json.Marshal(all.Interface())
				require.NoError(t, err)
				assert.JSONEq(t, whole, string(got), "%s: the pages add up to the whole", v.Name)
			}
			assert.Positive(t, lists, "the catalogue's lists were walked (query's TestPagesAddUpToTheWhole names them)")
		})
	}

	// "ledger log" through serve prints every event once, in order, though
	// the log is larger than any message the server carries.
	var seqs []uint64
	for _, l := range strings.Split(strings.TrimSpace(served.ok("--nats", url, "log", "--json")), "\n") {
		var e struct {
			Seq uint64 `json:"seq"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &e))
		seqs = append(seqs, e.Seq)
	}
	require.NotEmpty(t, seqs)
	for i := 1; i < len(seqs); i++ {
		require.Greater(t, seqs[i], seqs[i-1])
	}
	table := served.ok("--nats", url, "log")
	assert.Equal(t, len(seqs)+1, strings.Count(table, "\n"), "one header, then one line an event, across pages")
}
