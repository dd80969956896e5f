package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/notify"
)

// storeDurables is the event store as the deliverer asks for it (serve's
// own adapter is in package server).
type storeDurables struct{ s *eventstore.Store }

func (d storeDurables) Consume(ctx context.Context, n notify.Durable, fn func(context.Context, domain.Event, func()) error) error {
	return d.s.ConsumeDurable(ctx, eventstore.Durable{Name: n.Name, Product: n.Product, Since: n.Since, AckWait: n.AckWait,
		Kinds: []domain.AggregateKind{domain.KindRequest, domain.KindItem}}, fn)
}
func (d storeDurables) Names(ctx context.Context, p string) ([]string, error) {
	return d.s.DurableNames(ctx, p)
}
func (d storeDurables) Delete(ctx context.Context, n string) error { return d.s.DeleteDurable(ctx, n) }

// received is one request a receiver got.
type received struct {
	id, typ, request, requester string
	status                      int
}

// receiver is a stakeholder's endpoint: it verifies every signature and
// answers 500 to the first fail requests.
type receiver struct {
	t      *testing.T
	secret string
	fail   int

	mu  sync.Mutex
	got []received
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	require.NoError(r.t, err)
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	id, err := notify.Verify(secret, req.Header, body, time.Now(), 5*time.Minute)
	assert.NoError(r.t, err)
	var p notify.Payload
	assert.NoError(r.t, json.Unmarshal(body, &p))
	assert.Equal(r.t, p.Type, p.Data.Type)
	r.mu.Lock()
	defer r.mu.Unlock()
	status := http.StatusNoContent
	if len(r.got) < r.fail {
		status = http.StatusInternalServerError
	}
	r.got = append(r.got, received{id, p.Type, p.Data.Request, p.Data.Requester, status})
	w.WriteHeader(status)
}

// delivered is what the receiver acknowledged, in order.
func (r *receiver) delivered() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if g.status/100 == 2 {
			out = append(out, g)
		}
	}
	return out
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// decide records steps through the rules, as the ledger does.
func decide(t *testing.T, ctx context.Context, s *eventstore.Store, st *domain.State, actor, why string, a domain.Action) {
	t.Helper()
	at := time.Now().UTC()
	c := domain.Command{ID: fmt.Sprintf("c-%d", st.LastSeq+1), Product: "shop", Actor: actor, At: at, Why: why, Action: a}
	evs, err := domain.Decide(st, c, at)
	require.NoError(t, err, "%s", a.Verb())
	seqs, err := s.Append(ctx, evs, st.LastSeq)
	require.NoError(t, err)
	for i, e := range evs {
		e.Seq = seqs[i]
		st.Apply(e)
	}
}

func TestDeliverer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: filepath.Join(dir, "store")})
	require.NoError(t, err)
	defer s.Close()

	path := filepath.Join(dir, "notify")
	all := &receiver{t: t, fail: 3}
	sues := &receiver{t: t}
	allSrv, suesSrv := httptest.NewServer(all), httptest.NewServer(sues)
	defer allSrv.Close()
	defer suesSrv.Close()
	subAll, err := notify.Add(path, notify.Subscription{Product: "shop", URL: allSrv.URL}, time.Now())
	require.NoError(t, err)
	subSue, err := notify.Add(path, notify.Subscription{Product: "shop", URL: suesSrv.URL, Actors: []string{"sue"}}, time.Now())
	require.NoError(t, err)
	all.secret, sues.secret = subAll.Secret, subSue.Secret

	st := domain.NewState("shop")
	decide(t, ctx, s, st, "pam", "", domain.CreateProduct{Name: "Shop", PM: "pam", PO: "olga"})
	decide(t, ctx, s, st, "pam", "asks", domain.AssignRole{Actor: "sam", Role: domain.RoleStakeholder})
	decide(t, ctx, s, st, "pam", "asks", domain.AssignRole{Actor: "sue", Role: domain.RoleStakeholder})
	decide(t, ctx, s, st, "pam", "builds", domain.AssignRole{Actor: "tom", Role: domain.RoleTeam})
	decide(t, ctx, s, st, "sam", "", domain.SubmitRequest{ID: "R1", Title: "Pay by invoice"})
	decide(t, ctx, s, st, "sue", "", domain.SubmitRequest{ID: "R2", Title: "Dark mode"})

	d := notify.NewDeliverer(notify.OpenRegistry(path), s, storeDurables{s}, notify.Options{
		Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Poll: 20 * time.Millisecond})
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(dctx) }()
	defer func() { stop(); <-done }()

	decide(t, ctx, s, st, "olga", "B2B first", domain.AcceptRequest{ID: "R1", Item: "PAY-1"})
	decide(t, ctx, s, st, "olga", "not this year", domain.RejectRequest{ID: "R2", Reason: domain.ReasonLowValue})
	decide(t, ctx, s, st, "tom", "", domain.StartWork{ID: "PAY-1"})
	decide(t, ctx, s, st, "tom", "shipped", domain.DeliverWork{ID: "PAY-1", Release: "4.2"})

	require.Eventually(t, func() bool { return len(all.delivered()) == 3 && len(sues.delivered()) == 1 }, 30*time.Second, 10*time.Millisecond)
	type what struct{ typ, request, requester string }
	var order []what
	for _, g := range all.delivered() {
		order = append(order, what{g.typ, g.request, g.requester})
	}
	assert.Equal(t, []what{{"request.accepted", "R1", "sam"}, {"request.rejected", "R2", "sue"}, {"request.delivered", "R1", "sam"}}, order, "in order")
	tries := all.all()
	require.GreaterOrEqual(t, len(tries), 4)
	for _, g := range tries[:4] {
		assert.Equal(t, tries[3].id, g.id, "the same webhook-id on every retry")
	}
	assert.Equal(t, "request.rejected", sues.delivered()[0].typ)
	assert.Len(t, sues.all(), 1, "sue's subscription hears only of her request")

	_, err = notify.Remove(path, subAll.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		names, err := s.DurableNames(ctx, notify.DurablePrefix)
		return err == nil && len(names) == 1 && names[0] == notify.DurablePrefix+subSue.ID
	}, 30*time.Second, 10*time.Millisecond, "a removed subscription's durable is deleted")

	_, err = notify.Remove(path, subSue.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		names, err := s.DurableNames(ctx, notify.DurablePrefix)
		return err == nil && len(names) == 0
	}, 30*time.Second, 10*time.Millisecond, "the last subscription removed, its durable is deleted too")
}
