package hook_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/hook"
)

// ghOpened is GitHub's issues "opened" delivery of issue n, filed a
// minute before now.
func ghOpened(t *testing.T, n int, id string) delivery {
	t.Helper()
	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	user := map[string]any{"login": "octocat"}
	return ghDelivery(t, "issues", id, at, map[string]any{"action": "opened", "sender": user,
		"issue": map[string]any{"number": n, "title": "Export as CSV", "body": "Finance needs it", "user": user,
			"created_at": at, "updated_at": at, "html_url": fmt.Sprintf("https://github.com/acme/shop/issues/%d", n)}})
}

// jiraCreated is a Jira Cloud jira:issue_created delivery sent at, of an
// issue created then.
func jiraCreated(t *testing.T, key string, at time.Time) delivery {
	t.Helper()
	user := map[string]any{"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"}
	return jiraDelivery(t, at, 0, "jira:issue_created", "id-"+key, map[string]any{"user": user,
		"issue": map[string]any{"id": "10001", "key": key, "self": "https://acme.atlassian.net/rest/api/2/issue/10001",
			"fields": map[string]any{"summary": "Export as CSV", "created": at.UTC().Format("2006-01-02T15:04:05.000-0700"),
				"reporter": user, "project": map[string]any{"key": "SHOP"}, "issuetype": map[string]any{"id": "10001", "name": "Story"},
				"status": map[string]any{"id": "10000", "name": "To Do", "statusCategory": map[string]any{"key": "new"}}}}})
}

// bzCreated is a Bugzilla bug.create delivery of bug id, created now.
func bzCreated(t *testing.T, id int) delivery {
	t.Helper()
	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	return bzDelivery(t, at, 0, map[string]any{"action": "create", "target": "bug", "routing_key": "bug.create", "time": at,
		"user": map[string]any{"login": "nina@example.org"}}, map[string]any{"id": id, "summary": "Export as CSV", "creation_time": at,
		"reporter": map[string]any{"login": "nina@example.org"}, "status": "NEW", "priority": "P3", "assigned_to": map[string]any{"login": "nobody@mozilla.org"}})
}

func result(t *testing.T, body []byte) hook.Result {
	t.Helper()
	var r hook.Result
	require.NoError(t, json.Unmarshal(body, &r), "%s", body)
	return r
}

// A delivery without the hook's signature or secret, or with a wrong
// one, or signed too long ago, gets 401 and writes nothing; one sent
// again is recorded once, also after serve restarts.
func TestSignatures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := startLedger(t, ledgerOptions{dir: dir})
	gh := l.addHook("github", "gh", nil)
	jr := l.addHook("jira", "jr", nil)
	bz := l.addHook("bugzilla", "bz", nil)
	none := func(product string) {
		t.Helper()
		assert.Empty(t, l.decisions(product), "nothing written")
	}

	d := ghOpened(t, 1, "5f1c2a00-0000-4000-8000-000000000001")
	for name, sig := range map[string]string{"Missing": "", "Wrong": hook.Sign("not the secret", d.body),
		"NotHMAC": "sha1=" + hook.Sign(gh.Secret, d.body)[7:], "OtherBody": hook.Sign(gh.Secret, []byte("{}"))} {
		h := d.header.Clone()
		if sig != "" {
			h.Set(hook.GitHubSignature, sig)
		}
		status, body := l.post("/hooks/github/"+gh.ID, h, d.body)
		assert.Equal(t, http.StatusUnauthorized, status, "GitHub %s: %s", name, body)
	}
	none("gh")
	d.header.Set(hook.GitHubSignature, hook.Sign(gh.Secret, d.body))
	status, body := l.post("/hooks/github/"+gh.ID, d.header, d.body)
	require.Equal(t, http.StatusOK, status, "%s", body)
	first := result(t, body)
	assert.Positive(t, first.Written)
	recorded := len(l.decisions("gh"))
	status, body = l.post("/hooks/github", d.header, d.body) // the plain URL finds the hook
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.True(t, result(t, body).Duplicate, "the same delivery again is recorded once")
	assert.Len(t, l.decisions("gh"), recorded)
	status, body = l.post("/hooks/github/ffffffff", d.header, d.body)
	assert.Equal(t, http.StatusNotFound, status, "%s", body)

	// Jira: the signed timestamp must be recent; the query's secret of a
	// webhook without a Secret field is the shared secret.
	old := jiraCreated(t, "SHOP-1", time.Now().Add(-time.Hour))
	old.header.Set(hook.JiraSignature, hook.Sign(jr.Secret, old.body))
	status, body = l.post("/hooks/jira/"+jr.ID, old.header, old.body)
	assert.Equal(t, http.StatusUnauthorized, status, "signed an hour ago: %s", body)
	assert.Contains(t, string(body), "signed at")
	fresh := jiraCreated(t, "SHOP-2", time.Now().Add(-time.Second))
	for name, path := range map[string]string{"Missing": "/hooks/jira/" + jr.ID, "WrongQuery": "/hooks/jira/" + jr.ID + "?secret=nope"} {
		status, body = l.post(path, fresh.header, fresh.body)
		assert.Equal(t, http.StatusUnauthorized, status, "Jira %s: %s", name, body)
	}
	wrong := fresh.header.Clone()
	wrong.Set(hook.JiraSignature, hook.Sign("nope", fresh.body))
	status, body = l.post("/hooks/jira/"+jr.ID, wrong, fresh.body)
	assert.Equal(t, http.StatusUnauthorized, status, "Jira wrong signature: %s", body)
	none("jr")
	status, body = l.post("/hooks/jira/"+jr.ID+"?secret="+url.QueryEscape(jr.Secret), fresh.header, fresh.body)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Positive(t, result(t, body).Written)

	// Bugzilla: the shared secret, in the URL or a header.
	b := bzCreated(t, 42)
	for name, c := range map[string]struct {
		path   string
		header string
	}{"Missing": {"/hooks/bugzilla/" + bz.ID, ""}, "WrongQuery": {"/hooks/bugzilla/" + bz.ID + "?secret=nope", ""},
		"WrongHeader": {"/hooks/bugzilla/" + bz.ID, "nope"}} {
		h := http.Header{}
		if c.header != "" {
			h.Set(hook.BugzillaSecret, c.header)
		}
		status, body = l.post(c.path, h, b.body)
		assert.Equal(t, http.StatusUnauthorized, status, "Bugzilla %s: %s", name, body)
	}
	none("bz")
	h := http.Header{}
	h.Set(hook.BugzillaSecret, bz.Secret)
	status, body = l.post("/hooks/bugzilla/"+bz.ID, h, b.body)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Positive(t, result(t, body).Written)
	status, body = l.post("/hooks/bugzilla?secret="+url.QueryEscape(bz.Secret), nil, b.body)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.True(t, result(t, body).Duplicate, "Bugzilla names no delivery: the same body is the same delivery")

	// The deliveries taken outlive serve.
	l.stop()
	l = startLedger(t, ledgerOptions{dir: dir})
	status, body = l.post("/hooks/github/"+gh.ID, d.header, d.body)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.True(t, result(t, body).Duplicate, "a delivery taken before a restart is known after it")
	assert.Len(t, l.decisions("gh"), recorded)

	// A hook removed takes no delivery at once.
	_, err := hook.Remove(l.hooks, gh.ID)
	require.NoError(t, err)
	d2 := ghOpened(t, 2, "5f1c2a00-0000-4000-8000-000000000002")
	d2.header.Set(hook.GitHubSignature, hook.Sign(gh.Secret, d2.body))
	status, body = l.post("/hooks/github/"+gh.ID, d2.header, d2.body)
	assert.Equal(t, http.StatusNotFound, status, "%s", body)
}

// With two hooks of one tracker, the plain URL takes a delivery for the
// one whose secret signs it; each records into its own product.
func TestPlainURL(t *testing.T) {
	t.Parallel()
	l := startLedger(t, ledgerOptions{})
	a := l.addHook("github", "alpha", nil)
	b := l.addHook("github", "beta", nil)
	d := ghOpened(t, 7, "5f1c2a00-0000-4000-8000-000000000007")
	d.header.Set(hook.GitHubSignature, hook.Sign(b.Secret, d.body))
	status, body := l.post("/hooks/github", d.header, d.body)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Equal(t, b.ID, result(t, body).Hook)
	assert.NotEmpty(t, l.decisions("beta"))
	assert.Empty(t, l.decisions("alpha"))
	status, body = l.post("/hooks/github/"+a.ID, d.header, d.body)
	assert.Equal(t, http.StatusUnauthorized, status, "b's delivery at a's URL: %s", body)
}
