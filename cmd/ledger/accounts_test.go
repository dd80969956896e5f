package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/access"
)

// plainNATS starts a NATS server with JetStream and no accounts, as a
// small team's may be, and returns its URL.
func plainNATS(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	require.True(t, ns.ReadyForConnections(10*time.Second))
	return ns.ClientURL()
}

// accountsNATS starts a NATS server configured with what "ledger
// accounts" prints, with the passwords an operator puts in the
// environment, and returns a URL maker for its users.
func accountsNATS(t *testing.T) func(user string) string {
	t.Helper()
	pw := map[string]string{"ledger-serve": "s3rve", "ledger-copier": "c0pier", "nina": "n1na", "importer": "imp0rter"}
	t.Setenv("LEDGER_SERVE_PASSWORD", pw["ledger-serve"])
	t.Setenv("LEDGER_COPIER_PASSWORD", pw["ledger-copier"])
	t.Setenv("NINA_PASSWORD", pw["nina"])
	t.Setenv("IMPORTER_PASSWORD", pw["importer"])
	c := newCLI(t)
	conf := c.ok("accounts")
	opts := &server.Options{}
	require.NoError(t, opts.ProcessConfigString(conf), conf)
	opts.Host, opts.Port, opts.JetStream, opts.StoreDir, opts.NoLog, opts.NoSigs = "127.0.0.1", server.RANDOM_PORT, true, t.TempDir(), true, true
	ns, err := server.NewServer(opts)
	require.NoError(t, err)
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	require.True(t, ns.ReadyForConnections(10*time.Second))
	host := strings.TrimPrefix(ns.ClientURL(), "nats://")
	return func(user string) string { return fmt.Sprintf("nats://%s:%s@%s", user, pw[user], host) }
}

// TestOperatorAccounts runs the ledger on a NATS server of its own with
// the operator's configuration "ledger accounts" prints: serve in the
// store account, keeping the clients' copies as ledger-copier; a person
// (nina) and an importer in the clients' account, who call the service,
// read the copies, and decide as themselves (the importer, whom the
// tokens file grants --on-behalf, for others too).
func TestOperatorAccounts(t *testing.T) {
	url := accountsNATS(t)
	c := newCLI(t)
	_, _, err := access.AddToken(c.data+"/tokens", "importer", true, time.Now())
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--data", c.data, "--nats", url("ledger-serve"), "serve", "--clients-nats", url("ledger-copier"), "--http", "off", "--demo"},
			strings.NewReader(""), &out, &errb)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), `NATS service "ledger"`) },
		20*time.Second, 20*time.Millisecond, "serve did not start: %s", errb.String())
	defer func() { cancel(); <-done }()
	assert.NotContains(t, out.String(), "s3rve", "passwords are not printed")

	// nina reads through the service and decides as herself.
	nina := url("nina")
	assert.Contains(t, c.ok("--nats", nina, "show", "backlog"), "BNPL-3")
	assert.Contains(t, c.ok("--nats", nina, "item", "rank", "BNPL-3", "--top", "--why", "Sandbox is back"), "by nina (po) at")
	o := c.run("--nats", nina, "item", "rank", "BNPL-3", "--bottom", "--why", "x", "--as", "olga")
	assert.Equal(t, exitRefused, o.code, "nina may not act as olga")
	assert.Contains(t, o.err.Error(), "nina may not act as olga")
	// The importer relays, and the event says so.
	assert.Contains(t, c.ok("--nats", url("importer"), "request", "submit", "IMP-1", "--title", "From the tracker", "--why", "Imported", "--as", "sally"),
		"by sally (stakeholder) via importer")

	// nina's account holds a read-only copy of the ledger, and nothing
	// she sends reaches the store.
	nc, err := nats.Connect(nina)
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	var msgs uint64
	var made time.Time
	require.Eventually(t, func() bool {
		st, err := js.Stream(ctx, "LEDGER")
		if err != nil {
			return false
		}
		msgs, made = st.CachedInfo().State.Msgs, st.CachedInfo().Created
		return st.CachedInfo().Config.Mirror != nil && msgs >= 165
	}, 20*time.Second, 50*time.Millisecond, "nina's copy: %d messages", msgs)
	require.NoError(t, nc.PublishMsg(&nats.Msg{Subject: "$JS.API.DIRECT.GET.LEDGER", Reply: "$JS.API.STREAM.DELETE.LEDGER", Data: []byte(`{"seq":99999999}`)}))
	require.NoError(t, nc.Flush())
	// The copy made again (a later creation), not the one the trick has
	// yet to delete: the delete reaches the server when it will.
	require.Eventually(t, func() bool {
		st, err := js.Stream(ctx, "LEDGER")
		return err == nil && st.CachedInfo().Created.After(made) && st.CachedInfo().State.Msgs == msgs
	}, 20*time.Second, 50*time.Millisecond, "serve restores the copy")
	assert.Contains(t, c.ok("--nats", nina, "log", "--json"), "Sandbox is back", "the ledger is whole")
	o = c.run("--nats", nina, "demo")
	assert.Equal(t, exitRefused, o.code, "the demo's decisions are pam's and olga's, not nina's")
	assert.Contains(t, o.err.Error(), "nina may not act as")
}
