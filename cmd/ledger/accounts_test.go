package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLeastPrivilegeAccounts runs the ledger on a NATS server of its own
// with the users the README's Guarantees section shows: a service user,
// the only one that may publish to ledger.> and write the ledger's
// streams and buckets, and a read-only user for dashboards and auditors
// who may call the service and read, never write.
func TestLeastPrivilegeAccounts(t *testing.T) {
	readOnly := &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"ledgerapi.>", "$SRV.>", // call the ledger's service, discover it
			"$JS.API.INFO", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.LIST", "$JS.API.STREAM.NAMES",
			"$JS.API.STREAM.MSG.GET.*", "$JS.API.DIRECT.GET.>",
			"$JS.API.CONSUMER.CREATE.>", "$JS.API.CONSUMER.MSG.NEXT.>", "$JS.API.CONSUMER.DELETE.>", "$JS.API.CONSUMER.INFO.>",
			"$JS.FC.>", "$JS.ACK.>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
		Users: []*server.User{
			{Username: "ledger-service", Password: "s3rvice"}, // every permission: it is the ledger
			{Username: "auditor", Password: "read0nly", Permissions: readOnly},
		}}
	ns, err := server.NewServer(opts)
	require.NoError(t, err)
	go ns.Start()
	require.True(t, ns.ReadyForConnections(10*time.Second))
	defer ns.Shutdown()
	addr := strings.TrimPrefix(ns.ClientURL(), "nats://")
	service := "nats://ledger-service:s3rvice@" + addr
	auditor := "nats://auditor:read0nly@" + addr

	c := newCLI(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--nats", service, "serve", "--http", "off", "--demo"}, strings.NewReader(""), &out, &errb)
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), `NATS service "ledger"`) },
		20*time.Second, 20*time.Millisecond, "serve did not start: %s", errb.String())
	defer func() { cancel(); <-done }()

	// The auditor reads through the service, and can record nothing
	// around it.
	assert.Contains(t, c.ok("--nats", auditor, "show", "backlog"), "BNPL-3")
	assert.Contains(t, c.ok("--nats", auditor, "why", "CARD-2"), "PSD2")
	nc, err := nats.Connect(auditor)
	require.NoError(t, err)
	defer nc.Close()
	errs := make(chan error, 4)
	nc.SetErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err })
	require.NoError(t, nc.Publish("ledger.checkout.item.BNPL-3", []byte(`{}`)))
	require.NoError(t, nc.Flush())
	select {
	case err := <-errs:
		assert.Contains(t, strings.ToLower(err.Error()), "permissions violation")
	case <-time.After(5 * time.Second):
		t.Fatal("the auditor's publish to ledger.> was not refused")
	}
	_, err = nc.Subscribe("ledgerapi.>", func(*nats.Msg) {})
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	select {
	case err := <-errs:
		assert.Contains(t, strings.ToLower(err.Error()), "permissions violation", "the auditor cannot answer for the service")
	case <-time.After(5 * time.Second):
		t.Fatal("the auditor's subscription to ledgerapi.> was not refused")
	}
	// A decision by the auditor's login still goes through the rules.
	o := c.run("--nats", auditor, "item", "rank", "BNPL-3", "--top", "--why", "x", "--as", "olga")
	assert.Equal(t, exitRefused, o.code, "olga is no longer PO in the demo: the service decided, and refused")
}
