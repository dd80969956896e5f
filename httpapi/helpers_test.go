package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/httpapi"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/server"
)

// now is the clock of decisions that name no time: after the demo.
var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// fixture is a ledger with the demo history behind a real HTTP server:
// an embedded NATS server with file storage, the command handler, live
// projections and the query service, wired as serve wires them.
type fixture struct {
	t      *testing.T
	url    string
	srv    *httpapi.Server
	q      *query.Service
	h      *command.Handler
	s      *eventstore.Store
	tokens string // the tokens file, when the server requires tokens
}

type options struct {
	tokens     bool
	maxStreams int   // Config.MaxEventStreams
	maxImport  int64 // Config.MaxImport
	// clock, when set, is the query's and the server's clock instead of
	// now (the handler's stays now).
	clock func() time.Time
}

func newFixture(t *testing.T, opt options) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	h := command.New(s, func() time.Time { return now })
	_, err = demo.Seed(ctx, h, demo.Product)
	require.NoError(t, err)
	clock := func() time.Time { return now }
	if opt.clock != nil {
		clock = opt.clock
	}
	f := &fixture{t: t, h: h, s: s}
	o := server.Options{Handler: h, Now: clock, Logf: t.Logf,
		MaxEventStreams: opt.maxStreams, MaxImport: opt.maxImport}
	if opt.tokens {
		f.tokens = filepath.Join(t.TempDir(), "tokens")
		_, _, err := access.AddToken(f.tokens, "nobody", false, now)
		require.NoError(t, err)
		o.Access, err = access.Open(f.tokens)
		require.NoError(t, err)
		go o.Access.Watch(ctx, 20*time.Millisecond) // as serve does
	}
	// Composed as serve composes it, the HTTP API served by httptest.
	l, err := server.Start(ctx, s, o)
	require.NoError(t, err)
	f.q, f.srv = l.Query, l.HTTP
	ts := httptest.NewServer(f.srv.Handler())
	f.url = ts.URL
	t.Cleanup(func() {
		ts.CloseClientConnections()
		cancel()
		ts.Close()
		l.Stop()
		_ = s.Close()
	})
	return f
}

// call is one HTTP request of a test.
type call struct {
	method, path string
	body         string
	header       map[string]string
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.body, &m), "body: %s", a.body)
	return m
}

func (f *fixture) do(c call) answer {
	return f.doWith(http.DefaultClient, c)
}

func (f *fixture) doWith(cl *http.Client, c call) answer {
	f.t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if c.body != "" {
		body = bytes.NewBufferString(c.body)
	}
	req, err := http.NewRequest(method, f.url+c.path, body)
	require.NoError(f.t, err)
	if c.body != "" && method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	res, err := cl.Do(req)
	require.NoError(f.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(f.t, err)
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

// post records a command as actor through the API.
func (f *fixture) post(actor, body string) answer {
	f.t.Helper()
	return f.do(call{method: http.MethodPost, path: "/api/v1/products/checkout/commands", body: body, header: map[string]string{"X-Ledger-Actor": actor}})
}

// browser is an HTTP client that keeps cookies and does not follow
// redirects, like a browser whose every step a test checks.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// csrf returns the CSRF token of a page.
func csrf(t *testing.T, page []byte) string {
	t.Helper()
	m := csrfField.FindSubmatch(page)
	require.NotNil(t, m, "no CSRF field in the page")
	return string(m[1])
}
