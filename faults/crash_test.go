package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// productEvery is how many kills the writers spend on one product
// before the test creates the next: each view of serve is one NATS reply,
// at most 1 MB, so one product must not grow past a few thousand items.
const productEvery = 10

// writeTimeout is how long a writer waits for serve to answer before the
// outcome of its write is unknown (the CLI's --timeout).
const writeTimeout = 3 * time.Second

// outcome is how one attempt at a write ended.
type outcome int

const (
	acked   outcome = iota // recorded, or recognised as recorded before
	unknown                // sent, no answer: retry with the same command id
	retry                  // not done, for a reason that passes (serve starting, a conflict)
	refused                // refused by the rules: a test failure here
)

// writer records one "item add" with a given command id through one edge
// of the ledger. The HTTP API, when it exists, is a third writer: a type
// with this method that posts the same request, added to crashWriters.
type writer interface {
	name() string
	// write tries once to add item with command id cmdID and says how it
	// ended; detail is the message shown to the user.
	write(ctx context.Context, product, cmdID, item string) (o outcome, detail string)
}

// cliWriter writes with the ledger binary, as a user would.
type cliWriter struct {
	t   testing.TB
	dir string
}

func (w cliWriter) name() string { return "cli" }

// retryID is the command id the CLI tells the user to retry with.
var retryID = regexp.MustCompile(`retry with --command-id (\S+), which records it once`)

func (w cliWriter) write(_ context.Context, product, cmdID, item string) (outcome, string) {
	r := runLedger(w.t, "--data", w.dir, "-p", product, "--as", "olga", "--timeout", writeTimeout.String(),
		"item", "add", item, "--title", "Item "+item, "--command-id", cmdID)
	switch r.code {
	case 0:
		return acked, r.stdout
	case 4:
		return retry, r.stderr
	case 1:
		if m := retryID.FindStringSubmatch(r.stderr); m != nil {
			if m[1] != cmdID {
				return refused, fmt.Sprintf("the CLI names command id %s, not %s: %s", m[1], cmdID, r.stderr)
			}
			return unknown, r.stderr
		}
		return retry, r.stderr
	}
	return refused, r.String()
}

// serviceWriter writes through the NATS service with service.Client, on a
// connection to the serve it last heard of.
type serviceWriter struct {
	url func() string
	mu  sync.Mutex
	nc  *nats.Conn
}

func (w *serviceWriter) name() string { return "service" }

func (w *serviceWriter) conn() (*nats.Conn, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.nc != nil && !w.nc.IsClosed() && w.nc.ConnectedUrl() == w.url() {
		return w.nc, nil
	}
	if w.nc != nil {
		w.nc.Close()
	}
	// No reconnects: a serve that died comes back on another port.
	nc, err := nats.Connect(w.url(), nats.NoReconnect(), nats.Timeout(time.Second))
	w.nc = nc
	return nc, err
}

func (w *serviceWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.nc != nil {
		w.nc.Close()
	}
}

func (w *serviceWriter) write(ctx context.Context, product, cmdID, item string) (outcome, string) {
	nc, err := w.conn()
	if err != nil {
		return retry, err.Error()
	}
	args, _ := json.Marshal(map[string]string{"id": item, "title": "Item " + item})
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	_, err = service.NewClient(nc).Do(ctx, command.Request{Action: "item.add", Product: product, Actor: "olga", CommandID: cmdID, Args: args})
	var unk *service.UnknownOutcomeError
	switch {
	case err == nil:
		return acked, ""
	case errors.As(err, &unk):
		if unk.CommandID != cmdID {
			return refused, fmt.Sprintf("the client names command id %s, not %s: %v", unk.CommandID, cmdID, err)
		}
		if !strings.Contains(err.Error(), "retry with --command-id "+cmdID) {
			return refused, "an unknown outcome that does not say how to retry: " + err.Error()
		}
		return unknown, err.Error()
	case errors.Is(err, service.ErrNoService), errors.Is(err, nats.ErrConnectionClosed):
		return retry, err.Error()
	}
	return refused, err.Error()
}

// crashRun is the state of one crash test.
type crashRun struct {
	t   *testing.T
	dir string

	urlMu sync.Mutex
	url   string

	// gate pauses the writers: each holds it for reading while it settles
	// one write; the checks take it for writing.
	gate sync.RWMutex
	stop atomic.Bool

	mu       sync.Mutex
	products []string        // the last one is written to
	acked    map[string]bool // command ids acknowledged
	attempts int
	unknowns map[string]int // per writer: writes whose outcome was unknown at first
	retries  map[string]int // per message kind: attempts that passed (serve starting, down)
	failures []string
}

func (c *crashRun) currentURL() string {
	c.urlMu.Lock()
	defer c.urlMu.Unlock()
	return c.url
}

// settle writes one item until it is acknowledged, retrying with the same
// command id after an unknown outcome.
func (c *crashRun) settle(w writer, cmdID, item string) {
	c.mu.Lock()
	product := c.products[len(c.products)-1]
	c.mu.Unlock()
	for attempt := 1; ; attempt++ {
		o, detail := w.write(context.Background(), product, cmdID, item)
		c.mu.Lock()
		c.attempts++
		switch o {
		case acked:
			c.acked[cmdID] = true
		case unknown:
			c.unknowns[w.name()]++
		case retry:
			c.retries[retryKind(detail)]++
		case refused:
			c.failures = append(c.failures, fmt.Sprintf("%s %s: %s", w.name(), cmdID, detail))
		}
		c.mu.Unlock()
		if o == acked || o == refused {
			return
		}
		if attempt == 200 {
			c.mu.Lock()
			c.failures = append(c.failures, fmt.Sprintf("%s %s: not recorded after %d attempts: %s", w.name(), cmdID, attempt, detail))
			c.mu.Unlock()
			return
		}
		// A writer backs off a little before it retries, as a client
		// would; this is pacing, not synchronisation.
		time.Sleep(20 * time.Millisecond)
	}
}

// retryKind names the reason of a retried attempt for the figures.
func retryKind(detail string) string {
	switch {
	case strings.Contains(detail, "writes go through its service"):
		return "serve starting: service not yet registered"
	case strings.Contains(detail, "connection refused"), strings.Contains(detail, "no servers available"):
		return "serve gone: connection refused"
	case strings.Contains(detail, "does not answer: it is starting or has stopped"):
		return "serve starting or stopped: nothing sent"
	case strings.Contains(detail, "which serves it but cannot be reached"):
		return "serve gone: its directory not yet free"
	case strings.Contains(detail, "no ledger service"):
		return "no service answers"
	case strings.Contains(detail, "busy"):
		return "directory busy"
	case strings.Contains(detail, "changed"):
		return "conflict"
	}
	if len(detail) > 120 {
		detail = detail[:120]
	}
	return "other: " + strings.TrimSpace(detail)
}

// run is one writer's loop: new items until the test stops.
func (c *crashRun) run(w writer, n int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; !c.stop.Load(); i++ {
		c.gate.RLock()
		item := fmt.Sprintf("%s%d-%d", strings.ToUpper(w.name()[:1]), n, i)
		c.settle(w, "crash-"+item, item)
		c.gate.RUnlock()
	}
}

// TestCrash kill -9s serve at random moments under concurrent writers
// (three CLI processes at a time and one NATS service client), restarts
// it, and after each restart requires that every acknowledged write is
// stored exactly once, that serve's live backlog equals one rebuilt from
// the stream, and that "ledger audit verify" passes over the checkpoints
// serve signed. The default run kills 3 times; LEDGER_SOAK=1 kills 200
// times, LEDGER_SOAK_KILLS=N N times.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ledger and kills serve")
	}
	kills := 3
	if soak() {
		kills = 200
	}
	kills = envInt(t, "LEDGER_SOAK_KILLS", kills)
	dir := t.TempDir()
	r := runLedger(t, "--data", dir, "audit", "keygen")
	require.Equal(t, 0, r.code, "%s", r)
	r = runLedger(t, "--data", dir, "product", "create", "crash-0", "--name", "Crash", "--pm", "pam", "--po", "olga", "--as", "pam")
	require.Equal(t, 0, r.code, "%s", r)
	// A first checkpoint, so that verify has one after the first kill;
	// serve signs the later ones.
	r = runLedger(t, "--data", dir, "audit", "checkpoint")
	require.Equal(t, 0, r.code, "%s", r)
	serveFlags := []string{"--checkpoint-every", "10", "--checkpoint-interval", "0"}
	srv := startServe(t, dir, serveFlags...)

	c := &crashRun{t: t, dir: dir, url: srv.url, products: []string{"crash-0"}, acked: map[string]bool{}, unknowns: map[string]int{}, retries: map[string]int{}}
	sw := &serviceWriter{url: c.currentURL}
	defer sw.close()
	writers := []writer{cliWriter{t, dir}, cliWriter{t, dir}, cliWriter{t, dir}, sw}
	var wg sync.WaitGroup
	for i, w := range writers {
		wg.Add(1)
		go c.run(w, i, &wg)
	}

	start := time.Now()
	var restarts time.Duration
	for k := 1; k <= kills; k++ {
		// The kill's random moment; the writers run meanwhile.
		time.Sleep(time.Duration(100+rand.IntN(700)) * time.Millisecond)
		srv.kill()
		begin := time.Now()
		srv = startServe(t, dir, serveFlags...)
		restarts += time.Since(begin)
		c.urlMu.Lock()
		c.url = srv.url
		c.urlMu.Unlock()

		c.gate.Lock() // the writers finish what they started, then wait
		c.check(t)
		if k%productEvery == 0 && k < kills {
			next := fmt.Sprintf("crash-%d", k/productEvery)
			r := runLedger(t, "--data", dir, "product", "create", next, "--name", "Crash", "--pm", "pam", "--po", "olga", "--as", "pam")
			require.Equal(t, 0, r.code, "%s", r)
			c.mu.Lock()
			c.products = append(c.products, next)
			c.mu.Unlock()
		}
		c.gate.Unlock()
		if t.Failed() {
			break
		}
		if k%20 == 0 {
			c.mu.Lock()
			t.Logf("%d kills, %d acknowledged writes, %s", k, len(c.acked), time.Since(start).Round(time.Second))
			c.mu.Unlock()
		}
	}
	c.stop.Store(true)
	wg.Wait()
	c.check(t)
	srv.stop(t)

	c.mu.Lock()
	defer c.mu.Unlock()
	assert.Empty(t, c.failures)
	kinds := make([]string, 0, len(c.retries))
	for k, n := range c.retries {
		kinds = append(kinds, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(kinds)
	t.Logf("crash: %d kills in %s (serve restarts %s on average); %d acknowledged writes (%d attempts), none lost, none doubled; unknown outcomes retried with their command id: %v; other retried attempts: %s",
		kills, time.Since(start).Round(time.Second), (restarts / time.Duration(kills)).Round(time.Millisecond),
		len(c.acked), c.attempts, c.unknowns, strings.Join(kinds, "; "))
}

// check requires that every acknowledged write is stored exactly once,
// that serve's live backlog equals a fresh rebuild from the stream, and
// that audit verify passes. The writers are paused.
func (c *crashRun) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	acked := make(map[string]bool, len(c.acked))
	for k := range c.acked {
		acked[k] = true
	}
	products := append([]string(nil), c.products...)
	c.mu.Unlock()

	// The stream, read in read mode: a client of serve's store. (Not
	// "ledger log --json": its one reply grows past NATS's 1 MB payload
	// limit at about 2,000 events.)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: c.dir})
	require.NoError(t, err)
	defer s.Close()
	var entries []logEntry
	for _, p := range products {
		_, err = s.Read(ctx, p, 0, func(e domain.Event) error {
			entries = append(entries, logEntry{Seq: e.Seq, ID: e.ID, Type: e.Type, CommandID: e.CommandID})
			return nil
		})
		require.NoError(t, err)
	}
	checkExactlyOnce(t, entries, acked)
	product := products[len(products)-1]

	// A fresh rebuild: no snapshots, no live projections.
	fresh := query.New(s, nil)
	var live, rebuilt backlogItems
	require.Eventually(t, func() bool {
		r := runLedger(t, "--data", c.dir, "-p", product, "show", "backlog", "--status", "all", "--json")
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &live) != nil {
			return false
		}
		v, err := fresh.View(ctx, query.ViewBacklog, query.Options{Product: product, Status: "all"})
		if err != nil {
			return false
		}
		b, _ := json.Marshal(v)
		return json.Unmarshal(b, &rebuilt) == nil && live.Position == rebuilt.Position
	}, 30*time.Second, 50*time.Millisecond, "serve's backlog never reached the stream's position")
	require.JSONEq(t, string(rebuilt.Items), string(live.Items), "serve's live backlog equals a fresh rebuild")

	r := runLedger(t, "--data", c.dir, "audit", "verify")
	require.Equal(t, 0, r.code, "audit verify after a crash: %s", r)
}

// backlogItems is the part of a backlog view the crash test compares.
type backlogItems struct {
	Position uint64          `json:"position"`
	Items    json.RawMessage `json:"items"`
}
