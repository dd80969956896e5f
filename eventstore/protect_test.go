package eventstore

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/snapshot"
)

// served is a protected served store holding one event, one snapshot and
// one checkpoint, so that every stream and bucket exists.
type served struct {
	dir   string
	owner *Store
	snap  SnapshotInfo
}

func serveProtected(t *testing.T) *served {
	t.Helper()
	ctx := testCtx(t)
	dir := t.TempDir()
	owner, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0", Protect: true})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, owner.Close()) })
	seqs, err := owner.Append(ctx, []domain.Event{productCreated("checkout", "p1")}, 0)
	require.NoError(t, err, "the owner writes on its privileged in-process connection")
	snap, err := owner.Snapshots().Put(ctx, snapshot.Info{Product: "checkout", Kind: "backlog", Seq: seqs[0], Version: "v1"}, []byte(`{"items":[]}`))
	require.NoError(t, err, "the owner writes snapshots")
	_, err = owner.PublishCheckpoint(ctx, []byte("signed note"))
	require.NoError(t, err, "the owner writes checkpoints")
	return &served{dir: dir, owner: owner, snap: snap}
}

// client is a plain nats.go client of the listener that collects the
// permission violations the server reports.
type client struct {
	nc *nats.Conn
	js jetstream.JetStream

	mu   sync.Mutex
	errs []string
}

func connectClient(t *testing.T, url string) *client {
	t.Helper()
	c := &client{}
	nc, err := nats.Connect(url, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		c.mu.Lock()
		c.errs = append(c.errs, err.Error())
		c.mu.Unlock()
	}))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	c.nc, c.js = nc, js
	return c
}

// refused waits for the server to report a permission violation naming
// want, such as `Publish to "ledger.>"`.
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

// short is a context for a request the server will not answer.
func short(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
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
		c := connectClient(t, srv.owner.ClientURL())
		_, err := c.js.Publish(short(t), "ledger.checkout.item.X", []byte(`{}`))
		require.Error(t, err)
		c.refused(t, `Publish to "ledger.checkout.item.X"`)
		assert.Equal(t, uint64(1), messages(), "nothing stored")
	})
	t.Run("PublishCheckpoint", func(t *testing.T) {
		c := connectClient(t, srv.owner.ClientURL())
		require.NoError(t, c.nc.Publish("ledger-checkpoints.note", []byte("forged")))
		c.refused(t, `Publish to "ledger-checkpoints.note"`)
		var n int
		require.NoError(t, srv.owner.ReadCheckpoints(ctx, func(CheckpointRecord) error { n++; return nil }))
		assert.Equal(t, 1, n)
	})
	t.Run("AnswerPublishToLedger", func(t *testing.T) {
		c := connectClient(t, srv.owner.ClientURL())
		var answered sync.WaitGroup
		sub, err := c.nc.Subscribe("ledger.>", func(m *nats.Msg) {
			answered.Add(1)
			_ = m.Respond([]byte(`{"stream":"LEDGER","seq":999999}`))
		})
		require.NoError(t, err)
		c.refused(t, `Subscription to "ledger.>"`)
		require.NoError(t, sub.Unsubscribe())
		last, err := srv.owner.LastSeq(ctx, "checkout")
		require.NoError(t, err)
		seqs, err := srv.owner.Append(ctx, []domain.Event{itemAdded("checkout", "p2", 0)}, last)
		require.NoError(t, err)
		assert.Greater(t, seqs[0], last, "the stream's own acknowledgement")
	})
	for _, subject := range []string{"ledgerapi.>", "ledgerapi.v1.command", "$SRV.>", "$JS.API.>", "$JS.API.STREAM.INFO.LEDGER"} {
		t.Run("Subscribe "+subject, func(t *testing.T) {
			c := connectClient(t, srv.owner.ClientURL())
			_, err := c.nc.SubscribeSync(subject)
			require.NoError(t, err, "refused asynchronously")
			c.refused(t, `Subscription to "`+subject+`"`)
		})
	}
	t.Run("PublishToInbox", func(t *testing.T) {
		c := connectClient(t, srv.owner.ClientURL())
		require.NoError(t, c.nc.Publish("_INBOX.x", []byte(`{"stream":"LEDGER","seq":1}`)))
		c.refused(t, `Publish to "_INBOX.x"`)
	})
	// Each refusal below waits for a request the server never answers:
	// they wait together.
	t.Run("Buckets and streams", func(t *testing.T) {
		t.Run("ObjectPut", func(t *testing.T) {
			t.Parallel()
			c := connectClient(t, srv.owner.ClientURL())
			obs, err := c.js.ObjectStore(ctx, SnapshotBucket)
			require.NoError(t, err, "binding the bucket only reads")
			_, err = obs.PutBytes(short(t), "checkout/backlog/forged", []byte(`{}`))
			require.Error(t, err)
			c.refused(t, `Publish to "$O.`+SnapshotBucket+`.`)
			list, err := srv.owner.Snapshots().List(ctx, "checkout", "backlog")
			require.NoError(t, err)
			assert.Equal(t, []SnapshotInfo{srv.snap}, list)
		})
		t.Run("KVDelete", func(t *testing.T) {
			t.Parallel()
			c := connectClient(t, srv.owner.ClientURL())
			kv, err := c.js.KeyValue(ctx, SnapshotIndexBucket)
			require.NoError(t, err)
			require.Error(t, kv.Delete(short(t), "checkout.backlog"))
			c.refused(t, `Publish to "$KV.`+SnapshotIndexBucket+`.checkout.backlog"`)
			_, err = kv.Get(ctx, "checkout.backlog")
			require.NoError(t, err, "the index entry is still there")
		})
		for _, stream := range []string{StreamName, CheckpointStreamName, "OBJ_" + SnapshotBucket, "KV_" + SnapshotIndexBucket} {
			t.Run("Delete "+stream, func(t *testing.T) {
				t.Parallel()
				c := connectClient(t, srv.owner.ClientURL())
				require.Error(t, c.js.DeleteStream(short(t), stream))
				c.refused(t, `Publish to "$JS.API.STREAM.DELETE.`+stream+`"`)
			})
			t.Run("Purge "+stream, func(t *testing.T) {
				t.Parallel()
				c := connectClient(t, srv.owner.ClientURL())
				st, err := c.js.Stream(ctx, stream)
				require.NoError(t, err, "stream info is a read")
				require.Error(t, st.Purge(short(t)))
				c.refused(t, `Publish to "$JS.API.STREAM.PURGE.`+stream+`"`)
			})
			t.Run("Update "+stream, func(t *testing.T) {
				t.Parallel()
				c := connectClient(t, srv.owner.ClientURL())
				st, err := c.js.Stream(ctx, stream)
				require.NoError(t, err)
				cfg := st.CachedInfo().Config
				cfg.Description = "changed"
				_, err = c.js.UpdateStream(short(t), cfg)
				require.Error(t, err)
				c.refused(t, `Publish to "$JS.API.STREAM.UPDATE.`+stream+`"`)
			})
		}
		t.Run("DeleteMsg", func(t *testing.T) {
			t.Parallel()
			c := connectClient(t, srv.owner.ClientURL())
			st, err := c.js.Stream(ctx, StreamName)
			require.NoError(t, err)
			require.Error(t, st.DeleteMsg(short(t), 1))
			c.refused(t, `Publish to "$JS.API.STREAM.MSG.DELETE.LEDGER"`)
		})
		t.Run("CreateStream", func(t *testing.T) {
			t.Parallel()
			c := connectClient(t, srv.owner.ClientURL())
			_, err := c.js.CreateStream(short(t), jetstream.StreamConfig{Name: "CAPTURE", Subjects: []string{"ledgerapi.>"}})
			require.Error(t, err)
			c.refused(t, `Publish to "$JS.API.STREAM.CREATE.CAPTURE"`)
		})
	})
	t.Run("ServiceUserOverTCP", func(t *testing.T) {
		// Even with the password the service user is in-process only.
		_, err := nats.Connect(srv.owner.ClientURL(), nats.UserInfo(serviceUser, srv.owner.servicePass))
		require.Error(t, err)
		assert.Contains(t, strings.ToLower(err.Error()), "authorization")
	})
	info, err := srv.owner.StreamInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), info.Messages, "the owner's event is all that was added")
}

func TestServedListener_Reads(t *testing.T) {
	srv := serveProtected(t)
	ctx := testCtx(t)

	t.Run("NATSClient", func(t *testing.T) {
		c := connectClient(t, srv.owner.ClientURL())
		st, err := c.js.Stream(ctx, StreamName)
		require.NoError(t, err)
		assert.Equal(t, uint64(1), st.CachedInfo().State.Msgs)
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
		list, err := s.Snapshots().List(ctx, "checkout", "backlog")
		require.NoError(t, err)
		assert.Equal(t, []SnapshotInfo{srv.snap}, list)
		b, err := s.Snapshots().Get(ctx, srv.snap)
		require.NoError(t, err)
		assert.JSONEq(t, `{"items":[]}`, string(b))
		var records int
		require.NoError(t, s.ReadCheckpoints(ctx, func(CheckpointRecord) error { records++; return nil }))
		assert.Equal(t, 1, records)

		// Follow sees what the owner writes next.
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
	owner, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0", Protect: true})
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

// TestServedListener_NatsCLI shows the refusals to the nats CLI, which
// users reach for first.
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

	out, _ := nats("pub", "ledger.checkout.item.X", "{}")
	assert.Contains(t, out, `Permissions Violation for Publish to "ledger.checkout.item.X"`)
	out, err = nats("stream", "info", StreamName)
	require.NoError(t, err, out)
	assert.Contains(t, out, "Messages: 1")
	out, err = nats("stream", "rm", "-f", StreamName)
	require.Error(t, err, out)
	info, err := srv.owner.StreamInfo(testCtx(t))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), info.Messages, "nothing stored, nothing removed")
}
