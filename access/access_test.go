package access_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/domain"
)

var now = time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)

func TestTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	reg, err := access.Open(path)
	require.NoError(t, err)
	assert.True(t, reg.Local(), "no tokens file: local mode")

	tok, info, err := access.AddToken(path, "nina", false, now)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tok, "ldg_"))
	assert.Equal(t, "nina", info.Actor)
	bot, _, err := access.AddToken(path, "bot", true, now)
	require.NoError(t, err)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(b), tok, "only the hash is stored")
	assert.NotContains(t, string(b), strings.TrimPrefix(tok, "ldg_"))
	assert.Contains(t, string(b), " on-behalf\n")
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	ts, err := access.ListTokens(path)
	require.NoError(t, err)
	require.Len(t, ts, 2)
	assert.Equal(t, info.ID, ts[0].ID)
	assert.False(t, ts[0].OnBehalf)
	assert.True(t, ts[1].OnBehalf)

	assert.False(t, reg.Local(), "a token ends local mode")
	id, ok := reg.Authenticate("", tok)
	require.True(t, ok)
	assert.Equal(t, access.Identity{Actor: "nina", TokenID: info.ID}, id)
	_, ok = reg.Authenticate("nina", tok)
	assert.True(t, ok, "NATS's --user ACTOR --password TOKEN")
	_, ok = reg.Authenticate("sally", tok)
	assert.False(t, ok, "a token speaks for its own actor only")
	_, ok = reg.Authenticate("", tok+"x")
	assert.False(t, ok)
	id, ok = reg.Authenticate("", bot)
	require.True(t, ok)
	assert.True(t, id.Relay)

	gone, err := access.RevokeToken(path, info.ID)
	require.NoError(t, err)
	require.Len(t, gone, 1)
	_, ok = reg.Authenticate("", tok)
	assert.False(t, ok, "a revoked token stops working on a running server")
	_, err = access.RevokeToken(path, info.ID)
	assert.Equal(t, domain.KindNotFound, domain.KindOf(err))
	_, _, err = access.AddToken(path, "no one", false, now)
	assert.Error(t, err, "an actor is an id")
	_, _, err = access.AddToken(path, access.LocalActor, false, now)
	assert.Error(t, err, "the local credential's name is taken")

	_, err = access.RevokeToken(path, "bot")
	require.NoError(t, err)
	assert.False(t, reg.Local(), "revoking the last token does not open the ledger to anonymous callers")
}

func TestWatchTellsRevocations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	_, info, err := access.AddToken(path, "nina", false, now)
	require.NoError(t, err)
	reg, err := access.Open(path)
	require.NoError(t, err)
	revoked := make(chan access.Token, 1)
	reg.OnRevoke(func(t access.Token) { revoked <- t })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go reg.Watch(ctx, 10*time.Millisecond)
	_, err = access.RevokeToken(path, "nina")
	require.NoError(t, err)
	select {
	case got := <-revoked:
		assert.Equal(t, info.ID, got.ID)
	case <-time.After(10 * time.Second):
		t.Fatal("no revocation told")
	}
}

func TestAct(t *testing.T) {
	nina := &access.Identity{Actor: "nina", TokenID: "1"}
	bot := &access.Identity{Actor: "bot", TokenID: "2", Relay: true}
	local := &access.Identity{Actor: access.LocalActor, Relay: true}
	for _, tc := range []struct {
		name         string
		caller       *access.Identity
		named        string
		actor, relay string
		kind         domain.Kind
	}{
		{name: "OK LocalMode", caller: nil, named: "pam", actor: "pam"},
		{name: "ErrLocalModeNoActor", caller: nil, named: "", kind: domain.KindInvalid},
		{name: "OK OwnActor", caller: nina, named: "", actor: "nina"},
		{name: "OK OwnActorNamed", caller: nina, named: "nina", actor: "nina"},
		{name: "ErrNotOnBehalf", caller: nina, named: "pam", kind: domain.KindUnauthorized},
		{name: "OK Relay", caller: bot, named: "pam", actor: "pam", relay: "bot"},
		{name: "OK RelayForItself", caller: bot, named: "", actor: "bot"},
		{name: "OK LocalCredential", caller: local, named: "pam", actor: "pam", relay: access.LocalActor},
		{name: "ErrLocalCredentialNoActor", caller: local, named: "", kind: domain.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			actor, relay, err := access.Act(tc.caller, tc.named)
			if tc.kind != 0 {
				require.Error(t, err)
				assert.Equal(t, tc.kind, domain.KindOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.actor, actor)
			assert.Equal(t, tc.relay, relay)
		})
	}
}

func TestRelay(t *testing.T) {
	for _, tc := range []struct {
		name   string
		caller *access.Identity
		relay  string
		err    string
	}{
		{name: "OK LocalMode", caller: nil},
		{name: "OK OnBehalf", caller: &access.Identity{Actor: "importer", TokenID: "2", Relay: true}, relay: "importer"},
		{name: "OK LocalCredential", caller: &access.Identity{Actor: access.LocalActor, Relay: true}, relay: access.LocalActor},
		{name: "ErrOwnActorOnly", caller: &access.Identity{Actor: "nina", TokenID: "1"},
			err: `nina may not import: it records the decisions of other people, which needs the right to act for others; use a token made with "ledger token add nina --on-behalf"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			relay, err := access.Relay(tc.caller, "import")
			if tc.err != "" {
				require.Error(t, err)
				assert.Equal(t, domain.KindUnauthorized, domain.KindOf(err))
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.relay, relay)
		})
	}
}

func TestAudit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		caller *access.Identity
		err    string
	}{
		{name: "OK LocalMode", caller: nil},
		{name: "OK AuditToken", caller: &access.Identity{Actor: "compliance", TokenID: "3", Audit: true}},
		{name: "OK LocalCredential", caller: &access.Identity{Actor: access.LocalActor, Relay: true, Audit: true}},
		{name: "ErrOnBehalfIsNotAudit", caller: &access.Identity{Actor: "importer", TokenID: "2", Relay: true},
			err: `importer may not sign a checkpoint: having serve sign with the ledger's key needs the right to audit; use a token made with "ledger token add importer --audit"`},
		{name: "ErrOwnActorOnly", caller: &access.Identity{Actor: "nina", TokenID: "1"}, err: "nina may not sign a checkpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := access.Audit(tc.caller, "sign a checkpoint")
			if tc.err != "" {
				require.Error(t, err)
				assert.Equal(t, domain.KindUnauthorized, domain.KindOf(err))
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
		})
	}
}

// TestAuditRight: a token made with the right to audit says so in the
// tokens file, and the registry grants it to the actor, as the local
// credential has it; the right to relay does not include it.
func TestAuditRight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	reg, err := access.Open(path)
	require.NoError(t, err)
	reg.EnableLocal()
	tok, info, err := access.AddTokenWith(path, "compliance", access.Rights{Audit: true}, now)
	require.NoError(t, err)
	assert.True(t, info.Audit)
	_, _, err = access.AddTokenWith(path, "bot", access.Rights{OnBehalf: true, Audit: true}, now)
	require.NoError(t, err)
	_, _, err = access.AddToken(path, "importer", true, now)
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), " audit\n")
	assert.Contains(t, string(b), " on-behalf audit\n")

	ts, err := access.ListTokens(path)
	require.NoError(t, err)
	require.Len(t, ts, 3)
	assert.Equal(t, []bool{true, true, false}, []bool{ts[0].Audit, ts[1].Audit, ts[2].Audit})
	assert.Equal(t, []bool{false, true, true}, []bool{ts[0].OnBehalf, ts[1].OnBehalf, ts[2].OnBehalf})

	id, ok := reg.Authenticate("", tok)
	require.True(t, ok)
	assert.True(t, id.Audit)
	assert.False(t, id.Relay)
	assert.False(t, reg.Identify("importer").Audit, "relaying is not auditing")
	assert.True(t, reg.Identify(access.LocalActor).Audit, "the local credential may")

	for name, line := range map[string]string{
		"ErrUnknownRight": "0a1b2c3d x sha256:" + strings.Repeat("ab", 32) + " 2026-11-27T08:30:00Z admin\n",
		"ErrTwice":        "0a1b2c3d x sha256:" + strings.Repeat("ab", 32) + " 2026-11-27T08:30:00Z audit audit\n",
	} {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "tokens")
			require.NoError(t, os.WriteFile(bad, []byte(line), 0o600))
			_, err := access.ListTokens(bad)
			assert.ErrorContains(t, err, "[on-behalf] [audit]")
		})
	}
}
