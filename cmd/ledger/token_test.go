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
	o := c.run("serve", "--nats-listen", "127.0.0.1:0", "--http", "0.0.0.0:0")
	require.Error(t, o.err)
	assert.Contains(t, o.err.Error(), "not a loopback address")
	assert.Contains(t, o.err.Error(), "--tokens")
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
	assert.Contains(t, out2.String(), "need a bearer token")
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
