package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer/importertest"
)

// The exports the tests send: the importers' own testdata.
var (
	lifecycle = filepath.Join("..", "importer", "bugzilla", "testdata", "lifecycle.json")
	webcompat = filepath.Join("..", "importer", "github", "testdata", "github-webcompat-issues.jsonl")
	ghMap     = filepath.Join("..", "importer", "github", "testdata", "map.json")
	ghData    = filepath.Join("..", "importer", "github", "testdata")
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// form is a multipart body as curl -F name=@file sends it.
func form(t *testing.T, parts ...[2]string) (body []byte, contentType string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		w, err := mw.CreateFormFile(p[0], filepath.Base(p[1]))
		require.NoError(t, err)
		_, err = w.Write(readFile(t, p[1]))
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return b.Bytes(), mw.FormDataContentType()
}

// postImport sends an import's body with headers.
func (f *fixture) postImport(path string, body []byte, header map[string]string) answer {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+path, bytes.NewReader(body))
	require.NoError(f.t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(f.t, err)
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

func summary(t *testing.T, a answer) command.ImportSummary {
	t.Helper()
	var s command.ImportSummary
	require.NoError(t, json.Unmarshal(a.body, &s), "%s", a.body)
	return s
}

// The export as the body: a dry run (200) writes nothing; the import
// writes (201); the same import again writes nothing (200).
func TestImportBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	export := readFile(t, lifecycle)
	json := map[string]string{"Content-Type": "application/json"}
	a := f.postImport("/api/v1/products/shop/imports?format=bugzilla&dryRun=true", export, json)
	require.Equal(t, 200, a.status, "%s", a.body)
	dry := summary(t, a)
	assert.Positive(t, dry.Written, "a dry run says what it would write")
	assert.Zero(t, f.h.LastSeq("shop"), "and writes nothing")

	a = f.postImport("/api/v1/products/shop/imports?format=bugzilla", export, json)
	require.Equal(t, 201, a.status, "%s", a.body)
	first := summary(t, a)
	assert.Equal(t, dry, first, "the dry run's summary is the import's")
	head := f.h.LastSeq("shop")
	assert.Positive(t, head)

	a = f.postImport("/api/v1/products/shop/imports?format=bugzilla", export, json)
	require.Equal(t, 200, a.status, "%s", a.body)
	again := summary(t, a)
	assert.Zero(t, again.Written, "the same import twice records nothing the second time")
	assert.Equal(t, first.Events, again.Events)
	assert.Equal(t, head, f.h.LastSeq("shop"))

	// The imported history reads like any other.
	a = f.do(call{path: "/api/v1/products/shop/why/BZ-100"})
	require.Equal(t, 200, a.status, "%s", a.body)
	assert.Contains(t, string(a.body), `"system":"bugzilla"`)
}

// A multipart form with the map and an export of 2 MB, as curl -F sends
// them: the summary is the one the handler works out on its own.
func TestImportForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	want, err := f.h.Import(context.Background(), command.ImportRequest{Format: "github", Product: "webcompat",
		Map: readFile(t, ghMap), Files: [][]byte{readFile(t, webcompat)}, DryRun: true})
	require.NoError(t, err)
	body, ct := form(t, [2]string{"map", ghMap}, [2]string{"export", webcompat})
	require.Greater(t, len(body), httpMaxBody, "larger than a command's body")
	a := f.postImport("/api/v1/products/webcompat/imports?format=github", body, map[string]string{"Content-Type": ct})
	require.Equal(t, 201, a.status, "%s", a.body)
	got := summary(t, a)
	assert.Equal(t, want, got)
	// The figures importer/github/testdata/summary.py works out on its own.
	assert.Equal(t, importertest.WantSummary(t, ghData).Events, got.Written)
}

const httpMaxBody = 1 << 20

func TestImportErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{maxImport: 4096})
	export := readFile(t, lifecycle)
	mapForm, mapCT := form(t, [2]string{"map", ghMap})
	twoMaps, twoCT := form(t, [2]string{"map", ghMap}, [2]string{"map", ghMap}, [2]string{"export", lifecycle})
	other, otherCT := form(t, [2]string{"attachment", lifecycle})
	big, bigCT := form(t, [2]string{"export", webcompat})
	for _, tc := range []struct {
		name   string
		path   string
		body   []byte
		header map[string]string
		status int
		field  string
		msg    string
	}{
		{"ErrNoFormat", "/api/v1/products/shop/imports", export, nil, 400, "format", "?format=bugzilla|github|jira"},
		{"ErrUnknownFormat", "/api/v1/products/shop/imports?format=trac", export, nil, 400, "format", `unknown import format "trac"`},
		{"ErrUnknownParameter", "/api/v1/products/shop/imports?format=bugzilla&dry=1", export, nil, 400, "dry", "an import takes format, dryRun"},
		{"ErrDryRunNotBool", "/api/v1/products/shop/imports?format=bugzilla&dryRun=maybe", export, nil, 400, "dryRun", "true or false"},
		{"ErrActor", "/api/v1/products/shop/imports?format=bugzilla", export, map[string]string{"X-Ledger-Actor": "pam"}, 400, "X-Ledger-Actor", "an import names no actor"},
		{"ErrEmpty", "/api/v1/products/shop/imports?format=bugzilla", nil, nil, 400, "", "the body is empty"},
		{"ErrURLEncodedForm", "/api/v1/products/shop/imports?format=bugzilla", []byte("export=x"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 400, "Content-Type", "multipart form"},
		{"ErrFormWithoutExport", "/api/v1/products/shop/imports?format=github", mapForm, map[string]string{"Content-Type": mapCT}, 400, "export", "no part export"},
		{"ErrTwoMaps", "/api/v1/products/shop/imports?format=bugzilla", twoMaps, map[string]string{"Content-Type": twoCT}, 400, "map", "given twice"},
		{"ErrUnknownPart", "/api/v1/products/shop/imports?format=bugzilla", other, map[string]string{"Content-Type": otherCT}, 400, "attachment", `unknown part "attachment"`},
		{"ErrNotAnExport", "/api/v1/products/shop/imports?format=bugzilla", []byte("<bugs/>"), nil, 400, "files", "the bugzilla export cannot be read"},
		{"ErrBadProduct", "/api/v1/products/a.b/imports?format=bugzilla", export, nil, 422, "product", ""},
		{"ErrTooLarge", "/api/v1/products/shop/imports?format=github", big, map[string]string{"Content-Type": bigCT}, 413, "", "the import is larger than 4096 bytes: split the export"},
		{"ErrTooLargeBody", "/api/v1/products/shop/imports?format=github", readFile(t, webcompat), nil, 413, "", "larger than 4096 bytes"},
		{"ErrCrossSite", "/api/v1/products/shop/imports?format=bugzilla", export, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "Origin", "another site"},
		{"ErrOtherOrigin", "/api/v1/products/shop/imports?format=bugzilla", export, map[string]string{"Origin": "https://evil.example"}, 403, "Origin", "another site"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.postImport(tc.path, tc.body, tc.header)
			require.Equal(t, tc.status, a.status, "%s", a.body)
			m := a.json(t)
			assertError(t, m, tc.status, tc.field)
			assert.Contains(t, m["error"].(map[string]any)["message"], tc.msg)
		})
	}
	assert.Zero(t, f.h.LastSeq("shop"), "a refused import writes nothing")
}

// With tokens an import needs one that may act for others; its events
// record it as their relayer.
func TestImportTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{tokens: true})
	sally, _, err := access.AddToken(f.tokens, "sally", false, now)
	require.NoError(t, err)
	// Named unlike the map's importer (the default "importer", who
	// creates the product as its PM), so that the relayer is not the
	// actor.
	bot, _, err := access.AddToken(f.tokens, "tracker-bot", true, now)
	require.NoError(t, err)
	export := readFile(t, lifecycle)
	path := "/api/v1/products/shop/imports?format=bugzilla"

	a := f.postImport(path, export, nil)
	assert.Equal(t, 401, a.status, "%s", a.body)
	a = f.postImport(path, export, map[string]string{"Authorization": "Bearer " + sally})
	require.Equal(t, 403, a.status, "%s", a.body)
	assertError(t, a.json(t), 403, "actor")
	assert.Contains(t, string(a.body), `sally may not import`)
	assert.Contains(t, string(a.body), `ledger token add sally --on-behalf`)
	assert.Zero(t, f.h.LastSeq("shop"))

	a = f.postImport(path, export, map[string]string{"Authorization": "Bearer " + bot})
	require.Equal(t, 201, a.status, "%s", a.body)
	n := 0
	_, err = f.s.Read(context.Background(), "shop", 0, func(e domain.Event) error {
		n++
		assert.Equal(t, "tracker-bot", e.RelayedBy, "%s at %d", e.Type, e.Seq)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, summary(t, a).Written, n)

	a = f.do(call{path: "/api/v1/products/shop/log", header: map[string]string{"Authorization": "Bearer " + sally}})
	require.Equal(t, 200, a.status)
	assert.Contains(t, string(a.body), `"relayedBy":"tracker-bot"`)
	assert.Contains(t, string(a.body), `"quarantined":0,`, "the validating fold admits every relayed event")
}
