package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/micro"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cli runs the ledger against one data directory the way a user would.
type cli struct {
	t    *testing.T
	data string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	return &cli{t: t, data: t.TempDir()}
}

type outcome struct {
	code           int
	stdout, stderr string
	err            error
}

func (c *cli) run(args ...string) outcome {
	c.t.Helper()
	var out, errb syncBuffer
	full := append([]string{"--data", c.data}, args...)
	err := run(context.Background(), full, strings.NewReader(""), &out, &errb)
	return outcome{code: exitCode(err), stdout: out.String(), stderr: errb.String(), err: err}
}

// ok runs a command that must succeed.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	o := c.run(args...)
	require.NoError(c.t, o.err, "ledger %s", strings.Join(args, " "))
	return o.stdout
}

func (c *cli) setUp() {
	c.t.Helper()
	c.ok("product", "create", "checkout", "--name", "Checkout", "--pm", "pam", "--po", "olga", "--as", "pam", "--at", "2026-01-05")
	c.ok("role", "assign", "tom", "team", "--why", "squad", "--as", "pam", "--at", "2026-01-05T10:00:00Z")
	c.ok("role", "assign", "sally", "stakeholder", "--why", "sales", "--as", "pam", "--at", "2026-01-05T10:01:00Z")
	c.ok("item", "add", "A", "--title", "Card form", "--as", "olga", "--at", "2026-01-06")
	c.ok("item", "add", "B", "--title", "Save card", "--as", "olga", "--at", "2026-01-06")
}

func TestExitCodes(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"OK", []string{"item", "rank", "B", "--top", "--why", "more value", "--as", "olga"}, exitOK, ""},
		{"ErrUnknownCommand", []string{"item", "rnak"}, exitUsage, `did you mean "rank"`},
		{"ErrUnknownFlag", []string{"item", "rank", "B", "--tpo"}, exitUsage, "did you mean --top"},
		{"ErrMissingArg", []string{"item", "rank", "--top", "--why", "x", "--as", "olga"}, exitUsage, "missing ID"},
		{"ErrNoActor", []string{"item", "rank", "B", "--top", "--why", "x"}, exitUsage, "--as"},
		{"ErrBadTime", []string{"item", "start", "A", "--as", "tom", "--at", "yesterday"}, exitRefused, "14:30:00Z (--at)"},
		{"ErrNotPO", []string{"item", "rank", "A", "--top", "--why", "x", "--as", "pam"}, exitRefused, "only the Product Owner (olga)"},
		{"ErrNoWhy", []string{"item", "rank", "A", "--top", "--as", "olga"}, exitRefused, "say why the decision was taken (--why)"},
		{"ErrBadID", []string{"item", "add", "a.b", "--title", "t", "--as", "olga"}, exitRefused, "not a valid id"},
		{"ErrNotFound", []string{"item", "start", "NOPE", "--as", "tom"}, exitRefused, `item "NOPE" not found in product "checkout"`},
		{"ErrBackdated", []string{"item", "start", "A", "--as", "tom", "--at", "2025-12-31"}, exitRefused, "earlier than the product's latest event"},
		{"ErrRejectReason", []string{"request", "reject", "R", "--reason", "meh", "--why", "x", "--as", "olga"}, exitRefused, ""},
		{"ErrCommandIDNotUTF8", []string{"item", "start", "A", "--command-id", "\xffA", "--as", "tom"}, exitRefused, "not valid UTF-8: give it as UTF-8 text (--command-id)"},
		{"ErrWhyNotUTF8", []string{"item", "rank", "A", "--top", "--why", "caf\xe9", "--as", "olga"}, exitRefused, "not valid UTF-8: give it as UTF-8 text (--why)"},
		{"ErrPlacementNotUTF8", []string{"item", "rank", "A", "--above", "B\xff", "--why", "w", "--as", "olga"}, exitRefused, "not valid UTF-8: give it as UTF-8 text (--above)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := c.run(tc.args...)
			assert.Equal(t, tc.code, o.code, "err: %v", o.err)
			if tc.msg != "" {
				require.Error(t, o.err)
				assert.Contains(t, o.err.Error(), tc.msg)
				assert.NotContains(t, oneLine(o.err.Error()), "\n")
			}
		})
	}
	assert.Equal(t, exitConflict, exitCode(domain.Conflict("x")))
	assert.Equal(t, exitFailure, exitCode(assert.AnError))
}

func TestWriteThenLog(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	out := c.ok("request", "submit", "R1", "--title", "PayPal", "--why", "Lost deals", "--as", "sally")
	assert.Contains(t, out, "RequestSubmitted request/R1 by sally (stakeholder)")
	out = c.ok("request", "accept", "R1", "--item", "PP", "--why", "Fits the goal", "--as", "olga", "--json")
	var res struct {
		Events []struct {
			Seq  uint64 `json:"seq"`
			Type string `json:"type"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res.Events, 2, "accepting into a new item is one atomic decision of two events")
	assert.Equal(t, "RequestAccepted", res.Events[0].Type)
	assert.Equal(t, "BacklogItemAdded", res.Events[1].Type)
	assert.Equal(t, res.Events[0].Seq+1, res.Events[1].Seq)

	log := c.ok("log")
	lines := strings.Split(strings.TrimSpace(log), "\n")
	require.Len(t, lines, 1+8)
	assert.Contains(t, lines[0], "SEQ")
	assert.Contains(t, lines[8], "BacklogItemAdded")
	assert.Contains(t, lines[8], "olga (po)")
	for _, l := range lines {
		assert.LessOrEqual(t, len([]rune(l)), 100, "log fits 100 columns: %q", l)
	}

	jl := c.ok("log", "--json")
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.Split(jl, "\n")[0]), &first))
	assert.Equal(t, float64(1), first["seq"])
	assert.Equal(t, "ProductCreated", first["type"])
}

func TestRetriedCommandRecordedOnce(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	args := []string{"item", "rank", "B", "--top", "--why", "x", "--as", "olga", "--command-id", "retry-1"}
	c.ok(args...)
	out := c.ok(args...)
	assert.Contains(t, out, "already recorded")
	log := c.ok("log", "--json")
	assert.Equal(t, 1, strings.Count(log, `"commandId":"retry-1"`))
}

func TestDemoTwiceWritesOnce(t *testing.T) {
	c := newCLI(t)
	out := c.ok("demo")
	assert.Contains(t, out, `demo product "checkout"`)
	n1 := strings.Count(c.ok("log", "--json"), "\n")
	assert.Greater(t, n1, 150)
	out = c.ok("demo")
	assert.Contains(t, out, "nothing written")
	assert.Equal(t, n1, strings.Count(c.ok("log", "--json"), "\n"))
}

func TestSecondProcessUsesRunningServe(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--data", c.data, "serve", "--nats-listen", "127.0.0.1:0", "--http", "127.0.0.1:0"}, strings.NewReader(""), &out, &errb)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), `NATS service "ledger"`) },
		10*time.Second, 20*time.Millisecond, "serve did not start: %s", errb.String())

	assert.Contains(t, out.String(), `NATS service "ledger": ledgerapi.v1.command`)

	// A second command on the same directory goes to serve's service: the
	// write is decided there and the view comes from its live projections.
	c.ok("item", "rank", "B", "--top", "--why", "while serving", "--as", "olga")
	assert.Contains(t, c.ok("log"), "while serving")
	var b struct {
		Replayed uint64 `json:"replayed"`
		Items    []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.ok("show", "backlog", "--json")), &b))
	require.NotEmpty(t, b.Items)
	assert.Equal(t, "B", b.Items[0].ID, "read your writes")
	assert.Zero(t, b.Replayed, "answered by serve's live projections")
	o := c.run("item", "rank", "B", "--top", "--as", "olga")
	assert.Equal(t, exitRefused, o.code, "refusals keep their exit code through the service")
	assert.Contains(t, o.err.Error(), "why is required")
	// Sent as JSON, "\xffA" and "\xfeA" would both be "\uFFFDA": the
	// second answered as a duplicate of the first, and never recorded.
	for _, id := range []string{"\xffA", "\xfeA"} {
		o = c.run("item", "rank", "A", "--top", "--why", "id "+id[1:], "--command-id", id, "--as", "olga")
		assert.Equal(t, exitRefused, o.code, "%v", o.err)
		assert.ErrorContains(t, o.err, "commandId is not valid UTF-8")
	}
	assert.NotContains(t, c.ok("log"), "id A", "neither is recorded")

	// A second serve on the same directory says so and stops.
	o = c.run("serve", "--nats-listen", "127.0.0.1:0", "--http", "127.0.0.1:0")
	require.Error(t, o.err)
	assert.Equal(t, exitFailure, o.code)
	assert.Contains(t, o.err.Error(), "already served")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down")
	}
	// And the store is intact for the next owner.
	assert.Contains(t, c.ok("log"), "while serving")
}

// TestOneShotOpensNoListener runs a one-shot command while another
// program holds the NATS default port: it must neither need nor take it.
func TestOneShotOpensNoListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:4222")
	if err != nil {
		t.Skipf("127.0.0.1:4222 is taken by another program already (%v): the test needs to hold it itself", err)
	}
	defer ln.Close()
	c := newCLI(t)
	c.setUp()
	assert.Contains(t, c.ok("show", "backlog"), "Card form")
	assert.NoFileExists(t, filepath.Join(c.data, "owner.json"), "a one-shot command leaves no listener URL for others")
}

func TestHelpTeaches(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"--help"}, {"item", "rank", "--help"}, {"request", "accept", "--help"}, {"roadmap", "plan", "--help"}} {
		out := c.ok(args...)
		assert.Contains(t, out, "Example", "ledger %v --help shows an example", args)
	}
}

func TestShowWarnsAboutEventsItCannotRead(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	// A newer schema and a foreign message land in the stream.
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: c.data})
	require.NoError(t, err)
	_, err = s.JetStream().Publish(context.Background(), "ledger.checkout.item.Z", []byte(`{"type":"BacklogItemSplit","schema":2,"product":"checkout"}`))
	require.NoError(t, err)
	_, err = s.JetStream().Publish(context.Background(), "ledger.checkout.item.Z", []byte(`not json`))
	require.NoError(t, err)
	require.NoError(t, s.Close())

	o := c.run("show", "backlog")
	require.NoError(t, o.err)
	assert.Contains(t, o.stdout, "Card form", "the rest of the backlog is shown")
	assert.Contains(t, o.stderr, `warning: 2 event(s) quarantined: shown in the log, never applied (first at sequence 6: event type "BacklogItemSplit" (schema 2) is not one this version reads)`)
	o = c.run("log")
	require.NoError(t, o.err)
	assert.Contains(t, o.stderr, "2 event(s) quarantined")
	assert.Equal(t, 2, strings.Count(o.stdout, "QUARANTINED"), "both are listed, marked")
}

// TestEveryCommandTeaches walks the whole command tree: every command says
// in one line what it is for, and every runnable one shows an example.
func TestEveryCommandTeaches(t *testing.T) {
	a := newApp(strings.NewReader(""), &syncBuffer{}, &syncBuffer{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		t.Run(c.CommandPath(), func(t *testing.T) {
			assert.NotEmpty(t, c.Short, "one-line description")
			assert.NotContains(t, c.Short, "\n")
			if c.Runnable() && !c.HasAvailableSubCommands() {
				assert.NotEmpty(t, c.Example, "an example in --help")
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
}

func TestReadYourWritesAndNarrowTables(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	c.ok("request", "submit", "R1", "--title", "A request with a rather long title that needs clipping", "--why", "business", "--as", "sally")
	c.ok("item", "rank", "B", "--top", "--score", "RICE:reach=100,impact=2,confidence=0.5,effort=4", "--why", "a long rationale that goes on and on so the table must clip it to fit", "--as", "olga")
	out := c.ok("show", "backlog")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.GreaterOrEqual(t, len(lines), 3)
	assert.Regexp(t, `^1\s+B\s+new\s+RICE 25`, lines[1], "the rank just recorded is shown at once")
	for _, view := range []string{"backlog", "roadmap", "requests"} {
		for _, l := range strings.Split(c.ok("show", view), "\n") {
			assert.LessOrEqual(t, len([]rune(l)), 100, "show %s fits 100 columns: %q", view, l)
		}
	}
}

// TestExistingNATSServer drives the CLI against a NATS server it does not
// own, the way users who outgrow one machine run it.
func TestExistingNATSServer(t *testing.T) {
	url := plainNATS(t)

	c := newCLI(t) // its --data is never created in URL mode
	c.ok("--nats", url, "product", "create", "shop", "--name", "Shop", "--pm", "pam", "--po", "olga", "--as", "pam")
	c.ok("--nats", url, "item", "add", "S-1", "--title", "Card form", "--as", "olga")
	out := c.ok("--nats", url, "show", "backlog")
	assert.Contains(t, out, "Card form")
	assert.NoDirExists(t, c.data+"/jetstream", "no embedded store was opened")

	// With a serve on that NATS, the CLI uses its service.
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--nats", url, "serve", "--http", "127.0.0.1:0"}, strings.NewReader(""), &sout, &serr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(sout.String(), `NATS service "ledger"`) },
		10*time.Second, 20*time.Millisecond, "serve did not start: %s", serr.String())
	c.ok("--nats", url, "item", "rank", "S-1", "--top", "--why", "through the service", "--as", "olga")
	assert.Contains(t, c.ok("--nats", url, "why", "S-1"), "through the service")
	cancel()
	require.NoError(t, <-done)

	o := c.run("--nats", "nats://127.0.0.1:1", "log")
	require.Error(t, o.err)
	assert.Equal(t, exitFailure, o.code)
	assert.Contains(t, o.err.Error(), "nats://127.0.0.1:1")
}

// TestUnknownOutcomeNamesTheCommandID plays a serve that takes a write and
// dies before it answers: the CLI must say, within --timeout, that the
// outcome is unknown and which command id to retry with.
func TestUnknownOutcomeNamesTheCommandID(t *testing.T) {
	c := newCLI(t)
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: c.data, Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer s.Close()
	svc, err := micro.AddService(s.Conn(), micro.Config{Name: "ledger", Version: "1.0.0"})
	require.NoError(t, err)
	defer svc.Stop()
	require.NoError(t, svc.AddGroup("ledgerapi.v1").AddEndpoint("command", micro.HandlerFunc(func(micro.Request) {})))

	start := time.Now()
	o := c.run("-p", "checkout", "--timeout", "300ms", "item", "start", "A", "--as", "tom", "--command-id", "cmd-42")
	require.Error(t, o.err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, exitFailure, o.code)
	assert.Contains(t, o.err.Error(), "the outcome of command cmd-42 is unknown")
	assert.Contains(t, o.err.Error(), "retry with --command-id cmd-42")
}
