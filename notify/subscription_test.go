package notify_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/notify"
	"github.com/decisionledger/ledger/query"
)

func TestSubscriptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	now := time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC)
	reg := notify.OpenRegistry(path)
	subs, err := reg.Subscriptions()
	require.NoError(t, err)
	assert.Empty(t, subs, "no file, no subscription")

	a, err := notify.Add(path, notify.Subscription{Product: "shop", URL: "https://crm.example.com/hook"}, now)
	require.NoError(t, err)
	assert.Regexp(t, `^whsec_`, a.Secret)
	b, err := notify.Add(path, notify.Subscription{Product: "shop", URL: "http://127.0.0.1:9000/x", Actors: []string{"sam"}, Types: []string{"request.rejected"}}, now)
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the file holds the secrets")

	listed, err := notify.List(path)
	require.NoError(t, err)
	require.Len(t, listed, 2)
	for _, s := range listed {
		assert.Empty(t, s.Secret, "list never shows a secret")
	}
	subs, err = reg.Subscriptions()
	require.NoError(t, err)
	require.Len(t, subs, 2)
	assert.Equal(t, a.Secret, subs[0].Secret, "serve reads the secrets")

	rejected := query.Notification{Type: "request.rejected", Requester: "sam"}
	assert.True(t, subs[1].Wants(rejected))
	assert.False(t, subs[1].Wants(query.Notification{Type: "request.accepted", Requester: "sam"}))
	assert.False(t, subs[1].Wants(query.Notification{Type: "request.rejected", Requester: "sue"}))
	assert.True(t, subs[0].Wants(query.Notification{Type: "request.delivered", Requester: "sue"}))

	gone, err := notify.Remove(path, a.ID)
	require.NoError(t, err)
	assert.Equal(t, a.URL, gone.URL)
	_, err = notify.Remove(path, a.ID)
	assert.ErrorIs(t, err, domain.ErrNotFound)
	subs, err = reg.Subscriptions()
	require.NoError(t, err)
	require.Len(t, subs, 1, "the registry reads the file again when it changed")
	assert.Equal(t, b.ID, subs[0].ID)

	for _, tc := range []struct {
		name string
		sub  notify.Subscription
	}{
		{"ErrURL", notify.Subscription{Product: "shop", URL: "ftp://x/y"}},
		{"ErrNoProduct", notify.Subscription{URL: "http://x/y"}},
		{"ErrType", notify.Subscription{Product: "shop", URL: "http://x/y", Types: []string{"RequestRejected"}}},
		{"ErrActor", notify.Subscription{Product: "shop", URL: "http://x/y", Actors: []string{"a b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.Add(path, tc.sub, now)
			assert.ErrorIs(t, err, domain.ErrInvalid)
		})
	}
}
