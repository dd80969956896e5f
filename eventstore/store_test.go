package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

func TestOpen_ServingOwnerSharesDirectory(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	a, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer func() { require.NoError(t, a.Close()) }()
	require.True(t, a.Embedded())
	require.True(t, strings.HasPrefix(a.ClientURL(), "nats://127.0.0.1:"), a.ClientURL())
	assert.NotEqual(t, "nats://127.0.0.1:0", a.ClientURL(), "port 0 reports the real port")

	var o owner
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &o))
	assert.Equal(t, os.Getpid(), o.PID)
	assert.Equal(t, a.ClientURL(), o.URL)
	assert.False(t, o.Started.IsZero())

	assert.NotEmpty(t, o.Token, "the local credential, for the CLI on this machine")
	st, err := os.Stat(filepath.Join(dir, ownerFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "whoever reads it may act as anyone")

	// The same process opens the directory again: the flock of another
	// open file conflicts, so it connects to the owner, signs in with the
	// local credential and reads the clients' copy.
	seqs, err := a.Append(ctx, []domain.Event{productCreated("shared", "s1")}, 0)
	require.NoError(t, err)
	c, err := Open(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	assert.False(t, c.Embedded())
	assert.Equal(t, a.ClientURL(), c.ClientURL())
	require.Eventually(t, func() bool {
		got, err := c.LastSeq(ctx, "shared")
		return err == nil && got == seqs[0]
	}, 10*time.Second, 10*time.Millisecond)
	_, err = c.Append(ctx, []domain.Event{itemAdded("shared", "s2", 0)}, seqs[0])
	require.ErrorIs(t, err, ErrReadOnly, "writes go through serve's service")
	require.NoError(t, c.Close())

	require.NoError(t, a.Close())
	_, err = os.Stat(filepath.Join(dir, ownerFile))
	assert.ErrorIs(t, err, os.ErrNotExist, "Close removes owner.json")
}

func TestOpen_NonServingOwnerIsInUse(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(testCtx(t), Options{DataDir: dir})
	require.NoError(t, err)
	assert.Empty(t, a.ClientURL())

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Open(ctx, Options{DataDir: dir})
	require.ErrorIs(t, err, ErrInUse)
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "it waits for the owner")
	assert.Regexp(t, fmt.Sprintf(`^data directory %q is busy: process %d \(not serving\) held it, and 0 other processes waited for it, for all of [0-9.]+m?s: retry, or run "ledger serve" to share it$`, regexp.QuoteMeta(dir), os.Getpid()), err.Error())
	assert.ErrorIs(t, err, domain.ErrConflict, "contention is a conflict (exit 4), not a failure")

	// A waiter that died leaves a ticket nobody holds: it is skipped.
	stale := filepath.Join(dir, queueDir, "00000000000000000001-0000001-0")
	require.NoError(t, os.WriteFile(stale, nil, 0o600))

	// Once the owner is done, the directory is free.
	require.NoError(t, a.Close())
	b, err := Open(testCtx(t), Options{DataDir: dir, LockWait: time.Second})
	require.NoError(t, err)
	assert.True(t, b.Embedded())
	require.NoError(t, b.Close())
	entries, err := os.ReadDir(filepath.Join(dir, queueDir))
	require.NoError(t, err)
	assert.Empty(t, entries, "every ticket is gone: the stale one and the waiters' own")
}

func TestOpen_WaitersTakeTurns(t *testing.T) {
	dir := t.TempDir()
	first, err := takeTicket(dir)
	require.NoError(t, err)
	second, err := takeTicket(dir)
	require.NoError(t, err)
	assert.Equal(t, 0, first.ahead())
	assert.Equal(t, 1, second.ahead(), "the second waits behind the first")
	first.release()
	assert.Equal(t, 0, second.ahead(), "and goes next once the first leaves")
	second.release()
	second.release() // twice is harmless
}

func TestOpen_WaitsForOwnerToFinish(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(testCtx(t), Options{DataDir: dir})
	require.NoError(t, err)
	opened := make(chan error, 1)
	go func() {
		b, err := Open(testCtx(t), Options{DataDir: dir})
		if err == nil {
			err = b.Close()
		}
		opened <- err
	}()
	require.NoError(t, a.Close())
	select {
	case err := <-opened:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Open did not take over the directory")
	}
}

func TestLockDir_ConflictsWithinOneProcess(t *testing.T) {
	dir := t.TempDir()
	l, err := lockDir(dir)
	require.NoError(t, err)
	_, err = lockDir(dir)
	require.ErrorIs(t, err, errLocked, "flock belongs to the open file, not the process")
	require.NoError(t, l.release())
	l, err = lockDir(dir)
	require.NoError(t, err)
	require.NoError(t, l.release())
}

func TestOpen_Durable(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	s, err := Open(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	events := append([]domain.Event{productCreated("dur", "d1")}, itemsAdded("dur", "d2", 3)...)
	first, err := s.Append(ctx, events[:1], 0)
	require.NoError(t, err)
	_, err = s.Append(ctx, events[1:], first[0])
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = Open(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	got := readAll(t, s, "dur")
	require.Len(t, got, len(events))
	for i, e := range got {
		assert.Equal(t, events[i].ID, e.ID)
		assert.Equal(t, uint64(i+1), e.Seq)
	}
}

func TestOpen_WeakerStreamNamesEverySetting(t *testing.T) {
	tests := map[string]struct {
		weaken func(*jetstream.StreamConfig)
		want   []string
	}{
		"DenyDeleteOff": {func(c *jetstream.StreamConfig) { c.DenyDelete = false }, []string{"deny_delete is off"}},
		"DenyPurgeOff":  {func(c *jetstream.StreamConfig) { c.DenyPurge = false }, []string{"deny_purge is off"}},
		"RollupAllowed": {func(c *jetstream.StreamConfig) { c.DenyPurge, c.AllowRollup = false, true },
			[]string{"deny_purge is off", "rollups are allowed"}},
		"MaxAge":     {func(c *jetstream.StreamConfig) { c.MaxAge = 24 * time.Hour }, []string{"max_age 24h0m0s"}},
		"MaxMsgs":    {func(c *jetstream.StreamConfig) { c.MaxMsgs = 1000 }, []string{"max_msgs 1000"}},
		"MaxBytes":   {func(c *jetstream.StreamConfig) { c.MaxBytes = 1 << 20 }, []string{"max_bytes 1048576"}},
		"AtomicOff":  {func(c *jetstream.StreamConfig) { c.AllowAtomicPublish = false }, []string{"atomic publish is off"}},
		"WorkQueue":  {func(c *jetstream.StreamConfig) { c.Retention = jetstream.WorkQueuePolicy }, []string{"retention is WorkQueue"}},
		"MessageTTL": {func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true }, []string{"per-message TTLs are allowed"}},
		"Everything": {
			func(c *jetstream.StreamConfig) {
				*c = jetstream.StreamConfig{Name: StreamName, Subjects: []string{"ledger.>"}, Storage: jetstream.FileStorage, AllowRollup: true, MaxAge: time.Hour}
			},
			[]string{"deny_delete is off", "deny_purge is off", "rollups are allowed", "max_age 1h0m0s", "atomic publish is off"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := streamConfig(1)
			tc.weaken(&cfg)
			createStream(t, dir, cfg)

			_, err := Open(testCtx(t), Options{DataDir: dir})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "stream LEDGER exists but is weaker than the ledger requires")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			_, err = os.Stat(filepath.Join(dir, ownerFile))
			assert.ErrorIs(t, err, os.ErrNotExist, "a refused Open leaves no owner")
		})
	}
}

func TestWeaknesses_MemoryStorage(t *testing.T) {
	// A memory stream does not survive the restart that Open would need
	// to meet it in a data directory, so it is checked directly.
	cfg := streamConfig(1)
	cfg.Storage = jetstream.MemoryStorage
	assert.Equal(t, []string{"storage is Memory (want file)"}, weaknesses(cfg, streamConfig(1)))
	assert.Empty(t, weaknesses(streamConfig(3), streamConfig(3)))
	assert.Equal(t, []string{"replicas 1 (want 3)"}, weaknesses(streamConfig(1), streamConfig(3)))
}

// createStream creates a stream in dir with a plain embedded server,
// bypassing eventstore.
func createStream(t *testing.T, dir string, cfg jetstream.StreamConfig) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: dir, DontListen: true, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go ns.Start()
	defer func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	}()
	require.True(t, ns.ReadyForConnections(10*time.Second))
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.CreateStream(testCtx(t), cfg)
	require.NoError(t, err)
}

func TestOpen_Errors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	tests := map[string]struct {
		opt     Options
		withDir bool
		want    string
	}{
		"Unreachable":   {opt: Options{URL: "nats://127.0.0.1:1"}, want: "cannot reach NATS at nats://127.0.0.1:1"},
		"NoDirectory":   {opt: Options{}, want: "no data directory and no NATS URL"},
		"ReplicasInDir": {opt: Options{Replicas: 3}, withDir: true, want: "an embedded server cannot hold 3 replicas"},
		"BadReplicas":   {opt: Options{URL: "nats://127.0.0.1:1", Replicas: 7}, want: "replicas must be between 1 and 5"},
		"BadListen":     {opt: Options{Listen: "4222"}, withDir: true, want: `listen address "4222"`},
		"ListenInUse":   {opt: Options{Listen: busy.Addr().String()}, withDir: true, want: "cannot listen on " + busy.Addr().String()},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.withDir {
				tc.opt.DataDir = t.TempDir()
			}
			_, err := Open(testCtx(t), tc.opt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			if tc.withDir {
				l, err := lockDir(tc.opt.DataDir)
				require.NoError(t, err, "a failed Open releases the directory")
				require.NoError(t, l.release())
			}
		})
	}
}

func TestOpen_UnreachableSaysWhatToCheck(t *testing.T) {
	_, err := Open(testCtx(t), Options{URL: "nats://127.0.0.1:1"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is the server running? check --nats")
}

func TestAppend_Invalid(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	tests := map[string][]domain.Event{
		"TwoProducts":  {itemAdded("a", "c", 0), itemAdded("b", "c", 1)},
		"NoID":         {func() domain.Event { e := itemAdded("a", "c", 0); e.ID = ""; return e }()},
		"SameIDTwice":  {itemAdded("a", "c", 0), itemAdded("a", "c", 0)},
		"BadProduct":   {itemAdded("a.b", "c", 0)},
		"BadAggregate": {func() domain.Event { e := itemAdded("a", "c", 0); e.Aggregate.ID = "x>"; return e }()},
		"NoData":       {func() domain.Event { e := itemAdded("a", "c", 0); e.Data = nil; return e }()},
		"TooMany":      itemsAdded("a", "c", MaxBatch+1),
	}
	for name, events := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := s.Append(ctx, events, 0)
			require.Error(t, err)
			last, err := s.LastSeq(ctx, "a")
			require.NoError(t, err)
			assert.Zero(t, last, "nothing stored")
		})
	}
	_, err := s.Append(ctx, itemsAdded("a", "c", 2), 0)
	assert.NoError(t, err)
}

// TestLastMsgForSubject_Wildcard pins the server behaviour LastSeq relies
// on: the last message of a wildcard filter, through both the leader's
// message get (what LastSeq uses) and the direct get.
func TestLastMsgForSubject_Wildcard(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	a, err := s.Append(ctx, []domain.Event{productCreated("wa", "w1")}, 0)
	require.NoError(t, err)
	_, err = s.Append(ctx, []domain.Event{productCreated("wb", "w2")}, 0)
	require.NoError(t, err)
	b, err := s.Append(ctx, itemsAdded("wa", "w3", 2), a[0])
	require.NoError(t, err)

	last, err := s.LastSeq(ctx, "wa")
	require.NoError(t, err)
	assert.Equal(t, b[1], last)
	st, err := s.JetStream().Stream(ctx, StreamName)
	require.NoError(t, err)
	m, err := st.GetLastMsgForSubject(ctx, domain.ProductSubjects("wa"))
	require.NoError(t, err)
	assert.Equal(t, b[1], m.Sequence)
	_, err = st.GetLastMsgForSubject(ctx, domain.ProductSubjects("none"))
	assert.ErrorIs(t, err, jetstream.ErrMsgNotFound)
	last, err = s.LastSeq(ctx, "none")
	require.NoError(t, err)
	assert.Zero(t, last)
}

func TestDuplicateIDOfAnotherEventRefused(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	a := productCreated("dup-a", "same")
	_, err := s.Append(ctx, []domain.Event{a}, 0)
	require.NoError(t, err)
	b := productCreated("dup-b", "same")
	b.ID = a.ID // a hand-made id clash across products
	_, err = s.Append(ctx, []domain.Event{b}, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already used at sequence 1 by another event")
}

func TestServedStoreProtectsHistory(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	owner, err := Open(ctx, Options{DataDir: dir, Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer owner.Close()
	_, err = owner.Append(ctx, []domain.Event{productCreated("prot", "c1")}, 0)
	require.NoError(t, err)

	client, err := Open(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	defer client.Close()
	require.False(t, client.Embedded(), "the second store talks to the owner")

	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	require.Error(t, client.JetStream().DeleteStream(short, StreamName), "a client of serve cannot delete the stream")
	info, err := owner.StreamInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), info.Messages)
	assert.True(t, info.DenyDelete)

	// Clients read; they write through the service, not the stream.
	assert.Len(t, readAll(t, client, "prot"), 1)
	start := time.Now()
	_, err = client.Append(ctx, []domain.Event{itemAdded("prot", "c2", 0)}, 1)
	require.ErrorIs(t, err, ErrReadOnly)
	assert.Less(t, time.Since(start), time.Second, "refused at once, not timed out")
	assert.Equal(t, fmt.Sprintf(`the data directory %q is served by "ledger serve" (pid %d): writes go through its service`, dir, os.Getpid()), err.Error())
	_, err = owner.Append(ctx, []domain.Event{itemAdded("prot", "c2", 0)}, 1)
	require.NoError(t, err, "the owner writes on its in-process connection")
	// The client reads its copy, which follows the stream a moment later
	// (an answer that must hold a write just made comes from the service).
	assert.Eventually(t, func() bool { return len(readAll(t, client, "prot")) == 2 }, 10*time.Second, 20*time.Millisecond,
		"the client's copy holds the owner's write")
}
