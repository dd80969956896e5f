package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sseEvent is one server-sent event as a client reads it.
type sseEvent struct {
	id   uint64
	data map[string]any
}

// stream opens the product's event stream and delivers its events.
func (f *fixture) stream(ctx context.Context, header map[string]string, query string) (<-chan sseEvent, *http.Response) {
	f.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/api/v1/products/checkout/events"+query, nil)
	require.NoError(f.t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	out := make(chan sseEvent, 16)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id, _ = strconv.ParseUint(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
			case line == "" && ev.id != 0:
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out, res
}

func next(t *testing.T, evs <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case e, ok := <-evs:
		require.True(t, ok, "the stream ended")
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return sseEvent{}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	head := f.h.LastSeq("checkout")

	evs, res := f.stream(ctx, map[string]string{"Last-Event-ID": strconv.FormatUint(head-2, 10)}, "")
	require.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	assert.Equal(t, head-1, next(t, evs).id, "resumes after Last-Event-ID")
	last := next(t, evs)
	assert.Equal(t, head, last.id)
	assert.Equal(t, float64(head), last.data["seq"], "the data is the event as the log shows it")

	a := f.post("sally", `{"action":"request.submit","args":{"id":"REQ-SSE","title":"Live","why":"Now"}}`)
	require.Equal(t, 201, a.status)
	e := next(t, evs)
	assert.Equal(t, head+1, e.id, "a new event arrives as it is stored")
	assert.Equal(t, "RequestSubmitted", e.data["type"])
	assert.Equal(t, "REQ-SSE", e.data["aggregate"].(map[string]any)["id"])
	cancel()

	// A client that lost the connection resumes with what it missed.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	evs, _ = f.stream(ctx2, nil, "?after="+strconv.FormatUint(head, 10))
	assert.Equal(t, head+1, next(t, evs).id)

	for _, tc := range []struct {
		name, query string
		header      map[string]string
		status      int
	}{
		{"ErrBadLastEventID", "", map[string]string{"Last-Event-ID": "yesterday"}, 400},
		{"ErrBadAfter", "?after=-1", nil, 400},
		{"ErrUnknownParameter", "?since=3", nil, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.do(call{path: "/api/v1/products/checkout/events" + tc.query, header: tc.header})
			require.Equal(t, tc.status, a.status)
			assertError(t, a.json(t), tc.status, "")
		})
	}
	a = f.do(call{path: "/api/v1/products/nope/events"})
	require.Equal(t, 404, a.status)
	assertError(t, a.json(t), 404, "product")
}

// TestEventsStartNow: a client without Last-Event-ID or ?after gets a live
// feed, the events stored from now on, not the history; 200 of them at
// once cost the store nothing per client (no consumer of their own), and
// each gets the next event.
func TestEventsStartNow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	head := f.h.LastSeq("checkout")
	st, err := f.s.JetStream().Stream(ctx, "LEDGER")
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	consumers := info.State.Consumers

	const clients = 200
	streams := make([]<-chan sseEvent, clients)
	for i := range streams {
		var res *http.Response
		streams[i], res = f.stream(ctx, nil, "")
		require.Equal(t, 200, res.StatusCode, "client %d", i)
	}
	a := f.post("sally", `{"action":"request.submit","args":{"id":"REQ-NOW","title":"Live","why":"Now"}}`)
	require.Equal(t, 201, a.status)
	for i, evs := range streams {
		e := next(t, evs)
		require.Equal(t, head+1, e.id, "client %d: the first event is the new one, not the history", i)
	}
	info, err = st.Info(ctx)
	require.NoError(t, err)
	assert.LessOrEqual(t, info.State.Consumers, consumers+1, "the clients share the store's one follower")
}

// TestEventStreamsAreBounded: over its limit of streams at once, the
// server answers 503 with Retry-After, and takes a client again once one
// has gone.
func TestEventStreamsAreBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{maxStreams: 2})
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	for _, ctx := range []context.Context{ctx1, ctx2} {
		_, res := f.stream(ctx, nil, "")
		require.Equal(t, 200, res.StatusCode)
	}
	a := f.do(call{path: "/api/v1/products/checkout/events"})
	require.Equal(t, http.StatusServiceUnavailable, a.status)
	assert.NotEmpty(t, a.header.Get("Retry-After"))
	assertError(t, a.json(t), http.StatusServiceUnavailable, "")
	assert.Contains(t, a.json(t)["error"].(map[string]any)["message"], "streams events to 2 clients already")

	cancel1()
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, res := f.stream(ctx, nil, "")
		return res.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "a stream that ended frees its place")
}
