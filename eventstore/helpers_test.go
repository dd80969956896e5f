package eventstore

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// at is the business time of the test events.
var at = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// testCtx is a context that ends with the test, bounded so that a hung
// server fails the test instead of the whole run.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// itemAdded builds the i-th event of command cmd: a backlog item added to
// product.
func itemAdded(product, cmd string, i int) domain.Event {
	item := fmt.Sprintf("ITEM-%d", i)
	return domain.Event{
		ID:         domain.EventID(product, cmd, at, i),
		Type:       domain.TypeBacklogItemAdded,
		Schema:     domain.SchemaV1,
		Product:    product,
		Aggregate:  domain.Aggregate{Kind: domain.KindItem, ID: item},
		Actor:      domain.Actor{ID: "olga", Role: domain.RolePO},
		OccurredAt: at,
		Data:       domain.BacklogItemAdded{Title: "item " + item, Kind: domain.ItemStory},
		CommandID:  cmd,
	}
}

// itemsAdded builds n events of one command.
func itemsAdded(product, cmd string, n int) []domain.Event {
	es := make([]domain.Event, n)
	for i := range es {
		es[i] = itemAdded(product, cmd, i)
	}
	return es
}

// productCreated builds the event that starts product.
func productCreated(product, cmd string) domain.Event {
	return domain.Event{
		ID:         domain.EventID(product, cmd, at, 0),
		Type:       domain.TypeProductCreated,
		Schema:     domain.SchemaV1,
		Product:    product,
		Aggregate:  domain.Aggregate{Kind: domain.KindProduct, ID: product},
		Actor:      domain.Actor{ID: "paula"},
		OccurredAt: at,
		Data:       domain.ProductCreated{Name: "Product " + product, PM: "paula", PO: "olga"},
		CommandID:  cmd,
	}
}

// openTemp opens an in-process store on a new data directory.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(testCtx(t), Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// readAll reads every event of product, checks what the store says about
// each beside its envelope, and returns the envelopes.
func readAll(t testing.TB, s *Store, product string) []domain.Event {
	t.Helper()
	es, _ := readStored(t, s, product)
	return es
}

// readStored reads every event of product and returns the envelopes and,
// apart, what the stream says of each.
func readStored(t testing.TB, s *Store, product string) ([]domain.Event, []*domain.Stored) {
	t.Helper()
	var es []domain.Event
	var st []*domain.Stored
	_, err := s.Read(testCtx(t), product, 0, func(e domain.Event) error {
		require.NotNil(t, e.Stored, "seq %d", e.Seq)
		require.NotEmpty(t, e.Stored.Data)
		require.False(t, e.Stored.Time.IsZero())
		if e.Type != "" {
			require.Equal(t, e.Subject(), e.Stored.Subject)
		}
		st = append(st, e.Stored)
		e.Stored = nil
		es = append(es, e)
		return nil
	})
	require.NoError(t, err)
	return es, st
}

// freePorts reserves n distinct TCP ports on 127.0.0.1. They are released
// before use, so another process could take one; the window is short.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// startCluster starts a 3-node JetStream cluster of in-process servers,
// each with its own store directory, and returns the client URLs joined by
// commas once the cluster has a meta leader.
func startCluster(t testing.TB) string {
	t.Helper()
	var urls []string
	for _, ns := range startClusterWith(t, nil) {
		urls = append(urls, ns.ClientURL())
	}
	return strings.Join(urls, ",")
}

// startClusterWith starts a 3-node JetStream cluster whose servers start
// from the options configure makes (nil: none), once it has a meta leader
// and every server has caught up.
func startClusterWith(t testing.TB, configure func(t testing.TB) *server.Options) []*server.Server {
	t.Helper()
	const size = 3
	ports := freePorts(t, size)
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	servers := make([]*server.Server, size)
	for i := range servers {
		opts := &server.Options{}
		if configure != nil {
			opts = configure(t)
		}
		opts.ServerName = fmt.Sprintf("n%d", i+1)
		opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
		opts.JetStream, opts.StoreDir = true, t.TempDir()
		opts.NoLog, opts.NoSigs = true, true
		opts.Cluster = server.ClusterOpts{Name: "ledger-test", Host: "127.0.0.1", Port: ports[i]}
		opts.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		ns, err := server.NewServer(opts)
		require.NoError(t, err)
		go ns.Start()
		t.Cleanup(func() {
			ns.Shutdown()
			ns.WaitForShutdown()
		})
		require.True(t, ns.ReadyForConnections(10*time.Second), "server %d did not start", i+1)
		servers[i] = ns
	}
	require.Eventually(t, func() bool {
		for _, ns := range servers {
			if ns.JetStreamIsLeader() {
				return true
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "the cluster elected no meta leader")
	require.Eventually(t, func() bool {
		for _, ns := range servers {
			if !ns.JetStreamIsCurrent() {
				return false
			}
		}
		return true
	}, 20*time.Second, 20*time.Millisecond, "the cluster's servers did not catch up")
	return servers
}

// accountsCluster is a 3-node cluster configured with the operator's
// accounts (OperatorAccounts), and the URLs of its users.
type accountsCluster struct {
	serveURL, copierURL, clientURL string
}

// startAccountsCluster starts a 3-node JetStream cluster whose servers
// run the configuration "ledger accounts" prints, with passwords from the
// environment as an operator would set them.
func startAccountsCluster(t *testing.T) accountsCluster {
	t.Helper()
	pw := map[string]string{"LEDGER_SERVE_PASSWORD": "s3rve", "LEDGER_COPIER_PASSWORD": "c0pier", "NINA_PASSWORD": "n1na", "IMPORTER_PASSWORD": "imp0rter"}
	for k, v := range pw {
		t.Setenv(k, v)
	}
	servers := startClusterWith(t, func(t testing.TB) *server.Options {
		opts := &server.Options{}
		require.NoError(t, opts.ProcessConfigString(OperatorAccounts()))
		return opts
	})
	var hosts []string
	for _, ns := range servers {
		hosts = append(hosts, strings.TrimPrefix(ns.ClientURL(), "nats://"))
	}
	url := func(user, pass string) string {
		var us []string
		for _, h := range hosts {
			us = append(us, fmt.Sprintf("nats://%s:%s@%s", user, pass, h))
		}
		return strings.Join(us, ",")
	}
	return accountsCluster{
		serveURL:  url(serveUser, pw["LEDGER_SERVE_PASSWORD"]),
		copierURL: url(copierUser, pw["LEDGER_COPIER_PASSWORD"]),
		clientURL: url("nina", pw["NINA_PASSWORD"]),
	}
}

// openSibling opens another Store on the owner's embedded server, in the
// store account as the owner's own connection is: a second writer of the
// same stream, as several serve instances are on a cluster.
func openSibling(t testing.TB, owner *Store) (*Store, error) {
	t.Helper()
	s := &Store{connClosed: make(chan struct{}), warnf: owner.warnf}
	nc, err := nats.Connect("", nats.InProcessServer(owner.natsServer()), nats.UserInfo(serveUser, owner.auth.servePass),
		nats.ClosedHandler(func(*nats.Conn) { close(s.connClosed) }))
	if err != nil {
		return nil, err
	}
	s.nc = nc
	if err := s.setup(testCtx(t), 1, false); err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

// startPlainServer starts a single JetStream server with no accounts, as
// an operator's NATS may be, and returns its URL.
func startPlainServer(t testing.TB) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	require.True(t, ns.ReadyForConnections(10*time.Second))
	return ns.ClientURL()
}
