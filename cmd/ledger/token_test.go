package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var dashboardURL = regexp.MustCompile(`dashboard and HTTP API: (http://127\.0\.0\.1:\d+)/`)

// serveHTTP runs serve with the HTTP API on a free port and returns its
// base URL; the server stops at the end of the test.
func (c *cli) serveHTTP(args ...string) (base string, out *syncBuffer) {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	var errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--data", c.data, "serve", "--nats-listen", "127.0.0.1:0", "--http", "127.0.0.1:0"}, args...),
			strings.NewReader(""), out, &errb)
	}()
	c.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(c.t, err)
		case <-time.After(10 * time.Second):
			c.t.Error("serve did not stop")
		}
	})
	require.Eventually(c.t, func() bool { return dashboardURL.MatchString(out.String()) }, 10*time.Second, 20*time.Millisecond,
		"serve did not start HTTP: %s %s", out.String(), errb.String())
	return dashboardURL.FindStringSubmatch(out.String())[1], out
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

func TestServeHTTPLocal(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	base, out := c.serveHTTP()
	assert.Contains(t, out.String(), "local mode")
	code, body := get(t, base+"/p/checkout/backlog", "")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "Card form")
	code, _ = get(t, base+"/healthz", "")
	assert.Equal(t, 200, code)

	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/products/checkout/commands",
		strings.NewReader(`{"action":"item.rank","args":{"id":"B","top":true,"why":"over HTTP"}}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Ledger-Actor", "olga")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 201, res.StatusCode)
	assert.Contains(t, c.ok("why", "B"), "over HTTP", "the CLI sees the HTTP write through serve")
}

func TestServeRefusesOpenAddressWithoutTokens(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	for _, args := range [][]string{
		{"serve", "--nats-listen", "127.0.0.1:0", "--http", "0.0.0.0:0"},
		{"serve", "--nats-listen", "0.0.0.0:0", "--http", "off"},
	} {
		o := c.run(args...)
		require.Error(t, o.err, args)
		assert.Equal(t, exitUsage, o.code)
		assert.Contains(t, o.err.Error(), "not a loopback address")
		assert.Contains(t, o.err.Error(), "ledger token add ACTOR")
	}
}

func TestTokenCommands(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	out := c.ok("token", "add", "olga")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	tok := lines[1]
	require.True(t, strings.HasPrefix(tok, "ldg_"), out)
	b, err := os.ReadFile(filepath.Join(c.data, "tokens"))
	require.NoError(t, err)
	assert.NotContains(t, string(b), tok, "the tokens file keeps the hash only")
	assert.Contains(t, c.ok("token", "list"), "olga")
	assert.NotContains(t, c.ok("token", "list"), tok)

	base, out2 := c.serveHTTP()
	assert.Contains(t, out2.String(), "every caller signs in")
	code, _ := get(t, base+"/api/v1/products", "")
	assert.Equal(t, 401, code)
	code, body := get(t, base+"/api/v1/products", tok)
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "checkout")

	id := strings.Fields(c.ok("token", "list"))[0]
	assert.Contains(t, c.ok("token", "revoke", id), "revoked token "+id)
	require.Eventually(t, func() bool { code, _ := get(t, base+"/api/v1/products", tok); return code == 401 },
		5*time.Second, 20*time.Millisecond, "a revoked token stops working while serve runs")
	o := c.run("token", "revoke", id)
	assert.Equal(t, exitRefused, o.code)
	o = c.run("token", "add")
	assert.Equal(t, exitUsage, o.code)
}

var natsURL = regexp.MustCompile(`NATS clients: (nats://127\.0\.0\.1:\d+)`)

// TestIdentityOnEveryEdge: once tokens exist, the listener refuses
// anonymous clients; a token decides as its actor on NATS as on HTTP,
// names another only with --on-behalf (and the event says who relayed);
// the CLI on the machine that holds the data directory signs in by
// itself and may relay for anyone; revoking a token closes its NATS
// connections at once.
func TestIdentityOnEveryEdge(t *testing.T) {
	c := newCLI(t)
	c.setUp()
	sally := strings.Fields(c.ok("token", "add", "sally"))
	sallyTok := sally[len(sally)-1]
	botOut := strings.Fields(c.ok("token", "add", "bot", "--on-behalf"))
	botTok := botOut[len(botOut)-1]
	_, out := c.serveHTTP()
	require.Regexp(t, natsURL, out.String())
	url := natsURL.FindStringSubmatch(out.String())[1]

	// The CLI here signs in with serve's local credential and relays.
	assert.Contains(t, c.ok("item", "rank", "B", "--top", "--why", "From the planning", "--as", "olga"), "by olga (po) via local at")

	// Elsewhere: a token, its own actor.
	o := c.run("--nats", url, "request", "submit", "R-1", "--title", "Dark mode", "--why", "Asked twice")
	require.Error(t, o.err, "no credentials: refused by the listener")
	assert.Contains(t, o.err.Error(), "--token")
	assert.Contains(t, c.ok("--nats", url, "--token", sallyTok, "request", "submit", "R-1", "--title", "Dark mode", "--why", "Asked twice"),
		"by sally (stakeholder) at")
	o = c.run("--nats", url, "--token", sallyTok, "item", "rank", "A", "--top", "--why", "x", "--as", "olga")
	assert.Equal(t, exitRefused, o.code, "sally may not act as olga: %v", o.err)
	assert.Contains(t, o.err.Error(), "sally may not act as olga")
	assert.Contains(t, c.ok("--nats", url, "--token", botTok, "item", "start", "A", "--as", "tom"), "by tom (team) via bot at")

	// The log says who relayed what.
	text := c.ok("log")
	assert.Contains(t, text, "tom (team) via bot")
	assert.Contains(t, text, "olga (po) via local")
	log := c.ok("log", "--json")
	assert.Contains(t, log, `"relayedBy":"bot"`)
	assert.Contains(t, log, `"relayedBy":"local"`)

	// A NATS connection with sally's token closes when it is revoked.
	nc, err := nats.Connect(url, nats.Token(sallyTok))
	require.NoError(t, err)
	defer nc.Close()
	// The identity header is the server's: one sally writes herself is
	// replaced on the way to the service.
	m := nats.NewMsg("ledgerapi.v1.command")
	m.Header.Set("Nats-Request-Info", `{"acc":"LEDGER_CLIENTS","user":"bot"}`)
	m.Data = []byte(`{"action":"item.deliver","product":"checkout","actor":"tom","args":{"id":"A"}}`)
	reply, err := nc.RequestMsg(m, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "403", reply.Header.Get("Nats-Service-Error-Code"))
	assert.Contains(t, string(reply.Data), "sally may not act as tom")
	c.ok("token", "revoke", "sally")
	require.Eventually(t, func() bool { return nc.IsClosed() || !nc.IsConnected() }, 5*time.Second, 10*time.Millisecond,
		"a revoked token's NATS connection stays open")
	_, err = nats.Connect(url, nats.Token(sallyTok), nats.MaxReconnects(0))
	require.Error(t, err, "and it opens no new one")
}
