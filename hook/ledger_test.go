package hook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/hook"
	"github.com/decisionledger/ledger/server"
)

// ledger is serve's composition over an embedded store, its hooks file
// in the data directory and its HTTP API behind httptest.
type ledger struct {
	t     *testing.T
	url   string
	hooks string
	dir   string
	s     *eventstore.Store
	h     *command.Handler
	stop  func()
}

type ledgerOptions struct {
	maxAge time.Duration // server.Options.HookMaxAge
	now    func() time.Time
	dir    string // the data directory, to start again over the same store
}

func startLedger(t *testing.T, o ledgerOptions) *ledger {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := o.dir
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: filepath.Join(dir, "store")})
	require.NoError(t, err)
	now := o.now
	if now == nil {
		now = time.Now
	}
	h := command.New(s, now)
	l := &ledger{t: t, hooks: filepath.Join(dir, "hooks"), dir: dir, s: s, h: h}
	srv, err := server.Start(ctx, s, server.Options{Handler: h, Logf: t.Logf, Now: now, NoService: true,
		Hooks: l.hooks, HookMaxAge: o.maxAge})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.HTTP.Handler())
	l.url = ts.URL
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ts.CloseClientConnections()
		cancel()
		ts.Close()
		srv.Stop()
		_ = s.Close()
	}
	t.Cleanup(stop)
	l.stop = stop
	return l
}

// post sends body to path with headers, as a tracker does.
func (l *ledger) post(path string, header http.Header, body []byte) (int, []byte) {
	l.t.Helper()
	req, err := http.NewRequest(http.MethodPost, l.url+path, bytes.NewReader(body))
	require.NoError(l.t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(l.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(l.t, err)
	return res.StatusCode, b
}

// batch imports an export into product, as "ledger import" does.
func (l *ledger) batch(format, product string, mapFile []byte, files ...[]byte) command.ImportSummary {
	l.t.Helper()
	sum, err := l.h.Import(context.Background(), command.ImportRequest{Format: format, Product: product, Map: mapFile, Files: files})
	require.NoError(l.t, err)
	return sum
}

// decision is what the equivalence compares of an event.
type decision struct {
	Type      string
	Subject   string
	Actor     string
	Role      domain.Role
	At        time.Time
	Why       string
	Reason    domain.ReasonCode
	Source    domain.Source
	Outside   bool
	RelayedBy string
}

func (l *ledger) decisions(product string) []decision {
	l.t.Helper()
	var out []decision
	_, err := l.s.Read(context.Background(), product, 0, func(e domain.Event) error {
		d := decision{Type: e.Type, Subject: e.Subject(), Actor: e.Actor.ID, Role: e.Actor.Role, At: e.OccurredAt.UTC(),
			Why: e.Why, Reason: e.Reason, Outside: e.OutsideAuthority, RelayedBy: e.RelayedBy}
		if e.Source != nil {
			d.Source = *e.Source
		}
		out = append(out, d)
		return nil
	})
	require.NoError(l.t, err)
	return out
}

// sorted orders decisions by time, then by everything else: two
// decisions of one instant may be stored in either order.
func sorted(ds []decision) []decision {
	out := append([]decision(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return fmt.Sprint(out[i]) < fmt.Sprint(out[j])
	})
	return out
}

// raceIssues is how many issues of a fixture the equivalence tests send
// under the race detector: its first ones, batch import and webhooks
// alike (the whole fixture without it, as go test ./... runs).
const raceIssues = 8

// underRace keeps, under the race detector, the first raceIssues lines
// of a JSON-lines export.
func underRace(export []byte) []byte {
	if !raceEnabled {
		return export
	}
	lines := bytes.SplitAfter(export, []byte("\n"))
	if len(lines) <= raceIssues {
		return export
	}
	return bytes.Join(lines[:raceIssues], nil)
}

// underRaceSearch is underRace for a Jira search result: its first
// raceIssues issues.
func underRaceSearch(t *testing.T, export []byte) []byte {
	t.Helper()
	if !raceEnabled {
		return export
	}
	var search map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(export, &search))
	var issues []json.RawMessage
	require.NoError(t, json.Unmarshal(search["issues"], &issues))
	if len(issues) <= raceIssues {
		return export
	}
	search["issues"] = mustJSON(t, issues[:raceIssues])
	return mustJSON(t, search)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// delivery is one webhook request of a replay.
type delivery struct {
	at     time.Time
	header http.Header
	body   []byte
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// replay sends deliveries in time order (stable: a tracker's own order
// within an instant), each signed by sign, and requires each taken.
func (l *ledger) replay(path string, ds []delivery, sign func(d *delivery)) {
	l.t.Helper()
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].at.Before(ds[j].at) })
	for i := range ds {
		sign(&ds[i])
		status, body := l.post(path, ds[i].header, ds[i].body)
		require.Equal(l.t, http.StatusOK, status, "delivery %d of %d: %s\n%s", i+1, len(ds), body, ds[i].body)
	}
}

// addHook makes a hook in l's hooks file.
func (l *ledger) addHook(tracker, product string, mapFile []byte) hook.Hook {
	l.t.Helper()
	h, err := hook.Add(l.hooks, tracker, product, mapFile, time.Now())
	require.NoError(l.t, err)
	return h
}

// equivalent requires the decisions of the webhooks' product to be those
// of the batch import's, but for who relayed them. norm, when given,
// rewrites what a webhook cannot carry as an export does (GitHub's event
// ids) before the comparison.
func equivalent(t *testing.T, batch, hooked []decision, relay string, norm func(*decision)) {
	t.Helper()
	require.NotEmpty(t, batch)
	for i := range hooked {
		assert.Equal(t, relay, hooked[i].RelayedBy, "every event the hook records names it as relay")
		hooked[i].RelayedBy = ""
		if norm != nil {
			norm(&hooked[i])
		}
	}
	t.Logf("%d decisions by the export, %d by webhooks", len(batch), len(hooked))
	b, h := sorted(batch), sorted(hooked)
	require.Equal(t, len(b), len(h), "as many decisions by webhooks as by the export")
	for i := range b {
		if !assert.Equal(t, b[i], h[i], "decision %d of %d", i+1, len(b)) {
			return
		}
	}
}
