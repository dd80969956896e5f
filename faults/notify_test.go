package faults

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/notify"
	"github.com/decisionledger/ledger/query"
)

// crashReceiver is a stakeholder's endpoint that fails at first, then
// hangs on one request (serve is killed while it waits), then answers.
type crashReceiver struct {
	t         *testing.T
	secret    string
	failFirst int // answer 500 to this many requests
	hangAt    int // and hang on this one (1-based)
	hanging   chan struct{}
	release   chan struct{}

	mu      sync.Mutex
	n       int
	bodies  map[string]string // webhook-id -> type and request it carried
	first   []string          // webhook-ids in the order they first came
	invalid int
}

func (r *crashReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	id, verr := notify.Verify(secret, req.Header, body, time.Now(), 5*time.Minute)
	var p notify.Payload
	perr := json.Unmarshal(body, &p)
	r.mu.Lock()
	r.n++
	n := r.n
	if verr != nil || perr != nil {
		r.invalid++
	} else {
		what := p.Type + " " + p.Data.Request
		if prev, ok := r.bodies[id]; ok && prev != what {
			r.t.Errorf("webhook-id %s carried %q, then %q", id, prev, what)
		}
		if _, ok := r.bodies[id]; !ok {
			r.first = append(r.first, id)
		}
		r.bodies[id] = what
	}
	r.mu.Unlock()
	switch {
	case n <= r.failFirst:
		w.WriteHeader(http.StatusInternalServerError)
		return
	case n == r.hangAt:
		close(r.hanging)
		select {
		case <-r.release:
		case <-req.Context().Done():
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (r *crashReceiver) ids() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for k, v := range r.bodies {
		out[k] = v
	}
	return out
}

// TestNotifyCrash kills serve (SIGKILL) while it waits for a receiver's
// answer, and checks that after a restart the receiver has every
// notification (at least once: the one in flight comes again), each with
// a valid signature and its webhook-id the same on every delivery.
func TestNotifyCrash(t *testing.T) {
	dir := t.TempDir()
	recv := &crashReceiver{t: t, failFirst: 2, hangAt: 5, hanging: make(chan struct{}), release: make(chan struct{}), bodies: map[string]string{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	defer func() {
		select {
		case <-recv.release:
		default:
			close(recv.release)
		}
	}()

	r := runLedger(t, "--data", dir, "-p", "shop", "notify", "add", "--url", srv.URL, "--json")
	require.Equal(t, 0, r.code, "notify add: %s", r)
	var sub struct{ ID, Secret string }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sub))
	recv.mu.Lock()
	recv.secret = sub.Secret
	recv.mu.Unlock()

	p := startServe(t, dir)
	for _, args := range [][]string{
		{"product", "create", "shop", "--name", "Shop", "--pm", "pam", "--po", "olga", "--as", "pam"},
		{"role", "assign", "sam", "stakeholder", "--why", "sales", "--as", "pam"},
		{"role", "assign", "sue", "stakeholder", "--why", "support", "--as", "pam"},
		{"role", "assign", "tom", "team", "--why", "squad", "--as", "pam"},
		{"request", "submit", "R1", "--title", "Pay by invoice", "--as", "sam"},
		{"request", "submit", "R2", "--title", "Dark mode", "--as", "sue"},
		{"request", "submit", "R3", "--title", "Gift cards", "--as", "sam"},
		{"request", "submit", "R4", "--title", "Fax orders", "--as", "sam"},
		{"request", "submit", "R5", "--title", "Invoice PDF", "--as", "sue"},
		{"request", "accept", "R1", "--item", "PAY-1", "--why", "B2B first", "--as", "olga"},
		{"request", "reject", "R2", "--reason", "low-value", "--why", "not this year", "--as", "olga"},
		{"request", "defer", "R3", "--until", "2099-01-31", "--why", "after the peak", "--as", "olga"},
		{"request", "withdraw", "R4", "--as", "sam"},
		{"request", "accept", "R5", "--item", "PAY-1", "--why", "same work as R1", "--as", "olga"},
		{"item", "start", "PAY-1", "--as", "tom"},
		{"item", "deliver", "PAY-1", "--release", "4.2", "--as", "tom"},
	} {
		r := runLedger(t, append([]string{"--data", dir, "-p", "shop"}, args...)...)
		require.Equal(t, 0, r.code, "%v: %s", args, r)
	}

	// Every notification the decisions cause, by webhook-id, from the
	// log: the receiver must get each of them.
	want := map[string]string{}
	var order []string
	for _, e := range readLog(t, dir, "shop") {
		requests := []string{e.Aggregate.ID}
		switch e.Type {
		case domain.TypeRequestAccepted, domain.TypeRequestRejected, domain.TypeRequestDeferred, domain.TypeRequestWithdrawn:
		case domain.TypeWorkDelivered:
			requests = []string{"R1", "R5"}
		default:
			continue
		}
		for _, req := range requests {
			n := query.Notification{Event: e.ID, Request: req}
			want[notify.MessageID(sub.ID, n)] = req
			order = append(order, notify.MessageID(sub.ID, n))
		}
	}
	require.Len(t, want, 7)

	select {
	case <-recv.hanging:
	case <-time.After(90 * time.Second):
		require.FailNow(t, "serve never sent the fifth request", "%s", p.output())
	}
	p.kill()
	close(recv.release)
	require.Less(t, len(recv.ids()), 7, "serve was killed before it had sent everything")

	p = startServe(t, dir)
	require.Eventually(t, func() bool {
		got := recv.ids()
		for id := range want {
			if _, ok := got[id]; !ok {
				return false
			}
		}
		return true
	}, 120*time.Second, 50*time.Millisecond, "after the restart the receiver got every notification\n%s", p.output())
	got := recv.ids()
	for id, req := range want {
		assert.Contains(t, got[id], " "+req, "webhook-id %s", id)
	}
	assert.Len(t, got, 7, "no webhook-id the ledger did not mean")
	recv.mu.Lock()
	assert.Zero(t, recv.invalid, "every request verifies")
	assert.Equal(t, order, recv.first, "each notification first came after the ones decided before it")
	recv.mu.Unlock()
	p.stop(t)
}
