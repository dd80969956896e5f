package service_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// TestDecisionGoesToTheOwner: two instances of the service on one store,
// each with its own handler and its own lease on the products it takes.
// A decision about a product the first owns, made through the second
// (its Do, as the second's HTTP API does), is decided by the first: the
// answer comes back with its events, who relays it travels with it, and
// the second's handler never saw the product. The first's refusal comes
// back as the same domain error.
func TestDecisionGoesToTheOwner(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := eventstore.Open(ctx, eventstore.Options{DataDir: filepath.Join(t.TempDir(), "data")})
	require.NoError(t, err)
	defer s.Close()
	start := func(id string) (*service.Service, *command.Handler) {
		o, err := s.Owners(ctx, id, 0)
		require.NoError(t, err)
		t.Cleanup(o.Close)
		h := command.New(s, nil)
		svc, err := service.Start(s.Conn(), h, query.New(s, s.Snapshots()), service.Options{Logf: t.Logf, Owners: o})
		require.NoError(t, err)
		t.Cleanup(svc.Stop)
		return svc, h
	}
	a, ha := start("a")
	b, hb := start("b")
	// a takes "checkout" by writing it first.
	_, err = a.Do(ctx, command.Request{Action: "product.create", Product: "checkout", Actor: "pam", CommandID: "create",
		Args: json.RawMessage(`{"name":"Checkout","pm":"pam","po":"olga"}`)})
	require.NoError(t, err)

	out, err := b.Do(ctx, command.Request{Action: "item.add", Product: "checkout", Actor: "olga", RelayedBy: "tracker-bot", CommandID: "add-1",
		Args: json.RawMessage(`{"id":"PAY-1","title":"Pay by card"}`)})
	require.NoError(t, err)
	require.Len(t, out.Events, 1)
	assert.Equal(t, "BacklogItemAdded", out.Events[0].Event.Type)
	assert.Equal(t, "tracker-bot", out.Events[0].Event.RelayedBy, "who relays the decision travels with it to the owner")
	assert.Equal(t, out.Events[0].Seq, ha.LastSeq("checkout"), "the owner decided it")
	assert.Zero(t, hb.LastSeq("checkout"), "the instance that sent it on never decided about the product")

	_, err = b.Do(ctx, command.Request{Action: "item.add", Product: "checkout", Actor: "sam", CommandID: "add-2",
		Args: json.RawMessage(`{"id":"PAY-2","title":"Pay later"}`)})
	require.Error(t, err)
	assert.Equal(t, domain.KindUnauthorized, domain.KindOf(err), "the owner's refusal comes back as it was: %v", err)
}
