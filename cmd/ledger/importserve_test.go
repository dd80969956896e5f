package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/importer/importertest"
	"github.com/decisionledger/ledger/service"
)

// postForm posts files as a multipart form, as curl -F name=@file does,
// and returns the status and body.
func postForm(t *testing.T, url, token string, files ...[2]string) (int, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range files {
		w, err := mw.CreateFormFile(f[0], filepath.Base(f[1]))
		require.NoError(t, err)
		data, err := os.ReadFile(f[1])
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, url, &b)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}

// TestImportThroughServe: while serve owns the data directory, "ledger
// import" sends the import to its service (the webcompat sample is 2 MB,
// more than one request carries, so it is uploaded in parts) and the HTTP
// API takes one as a multipart form. A dry run writes nothing, the same
// import twice records nothing the second time, and every summary is the
// one-shot CLI's on a ledger of its own.
func TestImportThroughServe(t *testing.T) {
	raw, err := os.ReadFile(webcompat)
	require.NoError(t, err)
	require.Greater(t, len(raw), service.MaxRequest, "the export needs more than one request")

	alone := newCLI(t)
	gh := []string{"import", "github", webcompat, "--map", ghMap, "-p", "webcompat", "--json"}
	bz := []string{"import", "bugzilla", mozilla, "--map", bzMap, "-p", "firefox", "--json"}
	wantDry := alone.ok(append(gh, "--dry-run")...)
	want := alone.ok(gh...)
	wantAgain := alone.ok(gh...)
	wantText := alone.ok(gh[:len(gh)-1]...)
	wantBZ := alone.ok(bz...)

	gh0, bz0 := importertest.WantSummary(t, ghData), importertest.WantSummary(t, bzData)
	c := newCLI(t)
	base, _ := c.serveHTTP()
	assert.JSONEq(t, wantDry, c.ok(append(gh, "--dry-run")...), "a dry run through serve")
	assert.Empty(t, strings.TrimSpace(c.ok("log", "-p", "webcompat", "--json")), "writes nothing")
	assert.JSONEq(t, want, c.ok(gh...), "the import through serve")
	assert.Equal(t, gh0.Events, countLog(t, c, "webcompat"))
	again := c.ok(gh...)
	assert.JSONEq(t, wantAgain, again, "the same import again")
	var s importSummary
	require.NoError(t, json.Unmarshal([]byte(again), &s))
	assert.Zero(t, s.Written, "records nothing the second time")
	assert.Equal(t, gh0.Events, countLog(t, c, "webcompat"))
	assert.Equal(t, wantText, c.ok(gh[:len(gh)-1]...), "and prints the same summary")

	// A decision right after the import, through serve, is taken on it.
	var backlog struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.ok("show", "backlog", "-p", "webcompat", "--json")), &backlog))
	require.NotEmpty(t, backlog.Items)
	last := backlog.Items[len(backlog.Items)-1].ID
	assert.Contains(t, c.ok("item", "rank", last, "--top", "--why", "Reported again", "-p", "webcompat", "--as", "triager"), "by triager (po)")

	// The HTTP API: a dry run, then the import, as curl -F sends them.
	url := base + "/api/v1/products/firefox/imports?format=bugzilla"
	code, body := postForm(t, url+"&dryRun=true", "", [2]string{"map", bzMap}, [2]string{"export", mozilla})
	require.Equal(t, 200, code, body)
	assert.Empty(t, strings.TrimSpace(c.ok("log", "-p", "firefox", "--json")), "a dry run writes nothing")
	code, body = postForm(t, url, "", [2]string{"map", bzMap}, [2]string{"export", mozilla})
	require.Equal(t, 201, code, body)
	assert.JSONEq(t, wantBZ, body, "the summary of the one-shot CLI import")
	code, body = postForm(t, url, "", [2]string{"map", bzMap}, [2]string{"export", mozilla})
	require.Equal(t, 200, code, "nothing new: %s", body)
	assert.Equal(t, bz0.Events, countLog(t, c, "firefox"))
}

// TestImportIdentityThroughServe: once tokens exist, an import through
// serve needs the right to act for others. A token without it is refused,
// saying how to get one; one made with --on-behalf imports (an export in
// parts: each part comes from the caller who opened the upload) and the
// events record it; the CLI on the data directory's machine relays as
// local.
func TestImportIdentityThroughServe(t *testing.T) {
	c := newCLI(t)
	sally := strings.Fields(c.ok("token", "add", "sally"))
	sallyTok := sally[len(sally)-1]
	bot := strings.Fields(c.ok("token", "add", "tracker-bot", "--on-behalf"))
	botTok := bot[len(bot)-1]
	base, out := c.serveHTTP()
	require.Regexp(t, natsURL, out.String())
	url := natsURL.FindStringSubmatch(out.String())[1]

	o := c.run("--nats", url, "--token", sallyTok, "import", "bugzilla", lifecycle, "-p", "shop")
	require.Error(t, o.err)
	assert.Equal(t, exitRefused, o.code)
	assert.Contains(t, o.err.Error(), "sally may not import")
	assert.Contains(t, o.err.Error(), `ledger token add sally --on-behalf`)
	code, body := postForm(t, base+"/api/v1/products/shop/imports?format=bugzilla", sallyTok, [2]string{"export", lifecycle})
	assert.Equal(t, 403, code, body)
	assert.Contains(t, body, "sally may not import")
	assert.Empty(t, strings.TrimSpace(c.ok("log", "-p", "shop", "--json")), "nothing written")

	var s importSummary
	require.NoError(t, json.Unmarshal([]byte(c.ok("--nats", url, "--token", botTok, "import", "github", webcompat, "--map", ghMap, "-p", "webcompat", "--json")), &s))
	assert.Equal(t, importertest.WantSummary(t, ghData).Events, s.Written)
	log := c.ok("log", "-p", "webcompat", "--json")
	assert.Equal(t, s.Written, strings.Count(log, `"relayedBy":"tracker-bot"`), "every event records who relayed it")
	assert.Contains(t, c.ok("log", "-p", "webcompat"), "via tracker-bot")

	c.ok("import", "bugzilla", lifecycle, "-p", "shop")
	assert.Contains(t, c.ok("log", "-p", "shop", "--json"), `"relayedBy":"local"`)
}
