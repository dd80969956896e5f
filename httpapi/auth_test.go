package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/httpapi"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{tokens: true})
	nina, _, err := access.AddToken(f.tokens, "nina", false, now)
	require.NoError(t, err)
	sally, _, err := access.AddToken(f.tokens, "sally", false, now)
	require.NoError(t, err)
	bot, _, err := access.AddToken(f.tokens, "bot", true, now)
	require.NoError(t, err)
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	t.Run("ErrNoToken", func(t *testing.T) {
		for _, p := range []string{"/api/v1/products", "/api/v1/products/checkout/backlog", "/api/v1/products/checkout/events", "/metrics", "/api/openapi.json"} {
			a := f.do(call{path: p})
			require.Equal(t, 401, a.status, p)
			assert.Equal(t, `Bearer realm="ledger"`, a.header.Get("WWW-Authenticate"))
			assertError(t, a.json(t), 401, "")
		}
	})
	t.Run("ErrBadToken", func(t *testing.T) {
		a := f.do(call{path: "/api/v1/products", header: bearer("ldg_nottoken")})
		assert.Equal(t, 401, a.status)
		assert.NotContains(t, string(a.body), "ldg_nottoken", "tokens are never echoed")
		a = f.do(call{path: "/api/v1/products", header: map[string]string{"Authorization": "Basic " + nina}})
		assert.Equal(t, 401, a.status)
	})
	t.Run("ErrActorHeaderIgnored", func(t *testing.T) {
		a := f.do(call{method: http.MethodPost, path: "/api/v1/products/checkout/commands", body: `{"action":"request.submit","args":{"id":"REQ-T0","title":"x","why":"y"}}`,
			header: map[string]string{"X-Ledger-Actor": "sally"}})
		assert.Equal(t, 401, a.status, "with tokens, X-Ledger-Actor says nothing")
	})
	t.Run("ErrActForAnother", func(t *testing.T) {
		a := f.do(call{method: http.MethodPost, path: "/api/v1/products/checkout/commands", body: `{"action":"request.submit","args":{"id":"REQ-T9","title":"x","why":"y"}}`,
			header: map[string]string{"Authorization": "Bearer " + sally, "X-Ledger-Actor": "nina"}})
		require.Equal(t, 403, a.status, "%s", a.body)
		assert.Contains(t, string(a.body), "sally may not act as nina")
		assert.Contains(t, string(a.body), "--on-behalf")
	})
	t.Run("OK Relay", func(t *testing.T) {
		a := f.do(call{method: http.MethodPost, path: "/api/v1/products/checkout/commands", body: `{"action":"request.submit","args":{"id":"REQ-T8","title":"x","why":"y"}}`,
			header: map[string]string{"Authorization": "Bearer " + bot, "X-Ledger-Actor": "sally"}})
		require.Equal(t, 201, a.status, "%s", a.body)
		assert.Contains(t, string(a.body), `"actor":{"id":"sally","role":"stakeholder"}`, "the relay decides for the actor it names")
		assert.Contains(t, string(a.body), `"relayedBy":"bot"`, "and the event says who relayed it")
	})
	t.Run("Public", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/static/style.css", "/static/live.js", "/login"} {
			assert.Equal(t, 200, f.do(call{path: p}).status, p)
		}
	})
	t.Run("OK", func(t *testing.T) {
		a := f.do(call{path: "/api/v1/products", header: bearer(nina)})
		require.Equal(t, 200, a.status)
		a = f.do(call{method: http.MethodPost, path: "/api/v1/products/checkout/commands", body: `{"action":"request.submit","args":{"id":"REQ-T1","title":"x","why":"y"}}`,
			header: bearer(sally)})
		require.Equal(t, 201, a.status, "%s", a.body)
		assert.Contains(t, string(a.body), `"actor":{"id":"sally","role":"stakeholder"}`, "the token's actor decides")
		a = f.do(call{method: http.MethodPost, path: "/api/v1/products/checkout/commands", body: `{"action":"request.reject","args":{"id":"REQ-T1","reason":"low-value","why":"No"}}`,
			header: bearer(sally)})
		assert.Equal(t, 403, a.status, "the roles come from the ledger")
	})
	t.Run("Dashboard", func(t *testing.T) {
		cl := browser(t)
		a := f.doWith(cl, call{path: "/p/checkout/"})
		assert.Equal(t, 401, a.status)
		assert.Contains(t, string(a.body), `href="/login"`)
		login := f.doWith(cl, call{path: "/login"})
		form := url.Values{"csrf": {csrf(t, login.body)}, "token": {nina}}
		a = f.doWith(cl, call{method: http.MethodPost, path: "/login", body: form.Encode(), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		require.Equal(t, http.StatusSeeOther, a.status, "%s", a.body)
		a = f.doWith(cl, call{path: "/p/checkout/"})
		assert.Equal(t, 200, a.status)
		assert.Contains(t, string(a.body), "signed in as <strong>nina</strong>")
		a = f.doWith(cl, call{method: http.MethodPost, path: "/api/v1/products/checkout/commands", body: `{"action":"request.submit","args":{"id":"REQ-T2","title":"x","why":"y"}}`})
		assert.Equal(t, 401, a.status, "the login cookie is for reads and the dashboard's forms, not for API writes")
	})
}

func TestLocalMode(t *testing.T) {
	t.Parallel()
	require.NoError(t, httpapi.CheckListen("127.0.0.1:8080", false))
	require.NoError(t, httpapi.CheckListen("[::1]:0", false))
	require.NoError(t, httpapi.CheckListen("localhost:8080", false))
	require.NoError(t, httpapi.CheckListen("0.0.0.0:8080", true), "with tokens any address will do")
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "192.168.1.10:8080", "ledger.example.com:80"} {
		err := httpapi.CheckListen(addr, false)
		require.Error(t, err, addr)
		assert.Contains(t, err.Error(), "--tokens")
	}

	f := newFixture(t, options{})
	req, _ := http.NewRequest(http.MethodGet, f.url+"/api/v1/products", nil)
	req.Host = "evil.example"
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 403, res.StatusCode, "a local server answers to its own names only (DNS rebinding)")
	assert.Equal(t, 200, f.do(call{path: "/api/v1/products"}).status)
}

// TestRevokeEndsStreams: revoking a token closes the event streams it
// opened at once, and the token opens no new one.
func TestRevokeEndsStreams(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{tokens: true})
	tok, _, err := access.AddToken(f.tokens, "nina", false, now)
	require.NoError(t, err)
	other, _, err := access.AddToken(f.tokens, "sally", false, now)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mine, res := f.stream(ctx, map[string]string{"Authorization": "Bearer " + tok}, "")
	require.Equal(t, 200, res.StatusCode)
	theirs, res := f.stream(ctx, map[string]string{"Authorization": "Bearer " + other}, "")
	require.Equal(t, 200, res.StatusCode)

	_, err = access.RevokeToken(f.tokens, "nina")
	require.NoError(t, err)
	closed := func(evs <-chan sseEvent) func() bool {
		return func() bool {
			select {
			case _, ok := <-evs:
				return !ok
			default:
				return false
			}
		}
	}
	require.Eventually(t, closed(mine), 10*time.Second, 10*time.Millisecond, "the revoked token's stream goes on")
	assert.False(t, closed(theirs)(), "another token's stream is not touched")
	a := f.do(call{path: "/api/v1/products/checkout/events", header: map[string]string{"Authorization": "Bearer " + tok}})
	assert.Equal(t, 401, a.status)
}
