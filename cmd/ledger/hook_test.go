package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/hook"
)

// The hook's life from the CLI: add prints the URL and the secret, a
// running serve takes the tracker's deliveries at that URL, list never
// shows the secret, and remove stops the deliveries at once.
func TestHookCommand(t *testing.T) {
	c := newCLI(t)
	var added struct{ ID, URL, Secret string }
	require.NoError(t, json.Unmarshal([]byte(c.ok("hook", "add", "github", "-p", "shop", "--public-url", "https://ledger.example.org", "--json")), &added))
	assert.Equal(t, "https://ledger.example.org/hooks/github/"+added.ID, added.URL)
	assert.NotEmpty(t, added.Secret)
	st, err := os.Stat(filepath.Join(c.data, "hooks"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the hooks file holds secrets")
	list := c.ok("hook", "list")
	assert.Contains(t, list, added.ID)
	assert.NotContains(t, list, added.Secret)
	assert.NotContains(t, c.ok("hook", "list", "--json"), added.Secret)

	o := c.run("hook", "add", "gitlab", "-p", "shop")
	assert.NotZero(t, o.code, "an unknown tracker is refused")
	o = c.run("hook", "add", "jira")
	require.Error(t, o.err)
	assert.Contains(t, o.err.Error(), "-p PRODUCT")

	base, _ := c.serveHTTP()
	send := func(n int, delivery string) (int, string) {
		at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		body, err := json.Marshal(map[string]any{"action": "opened", "sender": map[string]any{"login": "octocat"},
			"issue": map[string]any{"number": n, "title": "Export as CSV", "body": "Finance asks", "user": map[string]any{"login": "octocat"},
				"created_at": at, "updated_at": at, "html_url": fmt.Sprintf("https://github.com/acme/shop/issues/%d", n)}})
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, strings.Replace(added.URL, "https://ledger.example.org", base, 1), bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(hook.GitHubEvent, "issues")
		req.Header.Set(hook.GitHubDelivery, delivery)
		req.Header.Set(hook.GitHubSignature, hook.Sign(added.Secret, body))
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := send(12, "d-12")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"issue":"12"`)
	status, body = get(t, base+"/api/v1/products/shop/why/GH-12-req", "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"actor":"octocat"`, "the tracker's person submitted it, by the hook")

	assert.Contains(t, c.ok("hook", "remove", added.ID), "removed hook "+added.ID)
	require.Eventually(t, func() bool { s, _ := send(13, "d-13"); return s == http.StatusNotFound }, 10*time.Second, 50*time.Millisecond,
		"a removed hook takes no delivery")
	assert.Contains(t, c.ok("hook", "list"), "no hooks")
}
