package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// startCluster starts a 3-node JetStream cluster of in-process servers on
// loopback, as eventstore's conformance test does, and returns the
// servers and their client URLs joined by commas once the cluster has a
// meta leader and every server is current.
func startCluster(t testing.TB) ([]*server.Server, string) {
	t.Helper()
	const size = 3
	ports := freePorts(t, size)
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	servers := make([]*server.Server, size)
	var urls []string
	for i := range servers {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			SyncAlways: true, // as the embedded store: an acknowledgement is on disk
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "ledger-faults", Host: "127.0.0.1", Port: ports[i]},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		}
		ns, err := server.NewServer(opts)
		require.NoError(t, err)
		go ns.Start()
		t.Cleanup(func() {
			ns.Shutdown()
			ns.WaitForShutdown()
		})
		servers[i] = ns
	}
	for i, ns := range servers {
		require.True(t, ns.ReadyForConnections(10*time.Second), "server %d did not start", i+1)
		urls = append(urls, ns.ClientURL())
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
	return servers, strings.Join(urls, ",")
}

// freePorts reserves n distinct TCP ports on 127.0.0.1 and releases them
// for the caller to use; another process could take one meanwhile, the
// window is short.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close() // held until all are chosen, so that they differ
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// instance is what one "ledger serve --nats" runs: its own connection
// (store), command handler, live projections, query service and NATS
// service.
type instance struct {
	store *eventstore.Store
	h     *command.Handler
	q     *query.Service
}

func startInstance(t *testing.T, urls, name string) *instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := eventstore.Open(ctx, eventstore.Options{URL: urls, Replicas: 3, Name: name})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	h := command.New(s, nil)
	live := query.NewLive(s, s.Snapshots(), 100, t.Logf)
	lctx, stopLive := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = live.Run(lctx)
	}()
	q := query.New(s, s.Snapshots())
	q.UseLive(live, h.LastSeq)
	svc, err := service.Start(s.Conn(), h, q, service.Options{Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(func() { svc.Stop(); stopLive(); <-done })
	return &instance{store: s, h: h, q: q}
}

// TestClusterLeaderStopped writes continuously through two instances'
// command handlers on a 3-node cluster with 3 replicas, stops the
// server that leads the LEDGER stream, and requires that writes resume
// after the election, that every acknowledged write is stored exactly
// once, that a replicated wrong-last-sequence (10164) is a domain
// conflict, and that both instances answer the same.
func TestClusterLeaderStopped(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	servers, urls := startCluster(t)
	a := startInstance(t, urls, "serve-a")
	b := startInstance(t, urls, "serve-b")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const product = "clustered"
	_, err := a.h.Do(ctx, command.Request{Action: "product.create", Product: product, Actor: "pam", CommandID: "create",
		Args: json.RawMessage(`{"name":"Clustered","pm":"pam","po":"olga"}`)})
	require.NoError(t, err)

	var (
		mu        sync.Mutex
		acked     = map[string]bool{}
		failed    = map[string]int{} // attempts that failed, by message, retried with the same id
		conflicts int
		stop      atomic.Bool
		wg        sync.WaitGroup
	)
	ackedCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst := []*instance{a, b}[w%2]
			for i := 0; !stop.Load(); i++ {
				item := fmt.Sprintf("K%d-%d", w, i)
				id := "cluster-" + item
				args, _ := json.Marshal(map[string]string{"id": item, "title": "Item " + item})
				for attempt := 0; attempt < 100; attempt++ {
					actx, acancel := context.WithTimeout(ctx, 5*time.Second)
					_, err := inst.h.Do(actx, command.Request{Action: "item.add", Product: product, Actor: "olga", CommandID: id, Args: args})
					acancel()
					mu.Lock()
					if err == nil {
						acked[id] = true
					} else if errors.Is(err, domain.ErrConflict) {
						conflicts++
					} else {
						msg := err.Error()
						if len(msg) > 100 {
							msg = msg[:100]
						}
						failed[msg]++
					}
					mu.Unlock()
					if err == nil {
						break
					}
				}
			}
		}()
	}
	require.Eventually(t, func() bool { return ackedCount() >= 30 }, 30*time.Second, 10*time.Millisecond, "no writes before the stop")

	leader := -1
	require.Eventually(t, func() bool {
		for i, ns := range servers {
			if ns.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, eventstore.StreamName) {
				leader = i
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "no server leads the LEDGER stream")
	before := ackedCount()
	stopped := time.Now()
	servers[leader].Shutdown()
	servers[leader].WaitForShutdown()
	require.Eventually(t, func() bool { return ackedCount() >= before+30 }, 60*time.Second, 10*time.Millisecond, "writes did not resume after the stream leader stopped")
	resumed := time.Since(stopped)
	stop.Store(true)
	wg.Wait()

	// Every acknowledged write is stored exactly once.
	var survivors []string
	for i, ns := range servers {
		if i != leader {
			survivors = append(survivors, ns.ClientURL())
		}
	}
	perCmd := map[string]int{}
	_, err = a.store.Read(ctx, product, 0, func(e domain.Event) error {
		perCmd[e.CommandID]++
		return nil
	})
	require.NoError(t, err)
	for id := range acked {
		assert.Equal(t, 1, perCmd[id], "acknowledged command %s", id)
	}
	for id, n := range perCmd {
		assert.Equal(t, 1, n, "command %s recorded %d times", id, n)
	}
	t.Logf("cluster: stream leader n%d stopped after %d acknowledged writes; %d more acknowledged %s after the stop; %d writes in all, none lost or doubled; conflicts %d; failed attempts retried with the same id: %v",
		leader+1, before, len(acked)-before, resumed.Round(time.Millisecond), len(acked), conflicts, failed)

	t.Run("SameAnswers", func(t *testing.T) {
		// One more write through the service: either instance may take it.
		c := service.NewClient(b.store.Conn())
		out, err := c.Do(ctx, command.Request{Action: "item.add", Product: product, Actor: "olga", CommandID: "after",
			Args: json.RawMessage(`{"id":"AFTER","title":"After the election"}`)})
		require.NoError(t, err)
		require.NotEmpty(t, out.Events)
		seq := out.Events[0].Seq
		var answers [2]string
		require.Eventually(t, func() bool {
			for i, inst := range []*instance{a, b} {
				v, err := inst.q.View(ctx, query.ViewBacklog, query.Options{Product: product, Status: "all", MinSeq: seq})
				if err != nil {
					return false
				}
				var bl backlogItems
				raw, _ := json.Marshal(v)
				if json.Unmarshal(raw, &bl) != nil || bl.Position != seq {
					return false
				}
				answers[i] = string(bl.Items)
			}
			return true
		}, 30*time.Second, 20*time.Millisecond, "both instances reach the last write")
		assert.JSONEq(t, answers[0], answers[1], "two instances on one cluster give the same backlog")
		var viaService query.Backlog
		require.NoError(t, c.View(ctx, query.ViewBacklog, query.Options{Product: product, Status: "all", MinSeq: seq}, &viaService))
		assert.Equal(t, seq, viaService.Position)
		assert.Len(t, viaService.Items, len(perCmd)) // every item added, the product's creation aside, plus AFTER
	})
	t.Run("ReplicatedConflict", func(t *testing.T) {
		nc, err := nats.Connect(strings.Join(survivors, ","))
		require.NoError(t, err)
		defer nc.Close()
		js, err := jetstream.New(nc)
		require.NoError(t, err)
		last, err := a.store.LastSeq(ctx, product)
		require.NoError(t, err)
		event := func(n string) domain.Event {
			return domain.Event{
				ID: domain.EventID(product, n, time.Now(), 0), Type: domain.TypeBacklogItemAdded, Schema: domain.SchemaV1,
				Product: product, Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: strings.ToUpper(n)},
				Actor: domain.Actor{ID: "olga", Role: domain.RolePO}, OccurredAt: time.Now().UTC(),
				Data: domain.BacklogItemAdded{Title: n, Kind: domain.ItemStory}, CommandID: n,
			}
		}
		// A burst of publishes that all expect the same last sequence:
		// the first is stored; the leader refuses the others with 10164
		// while the first is still being replicated, with 10071 after.
		const burst = 8
		var futures []jetstream.PubAckFuture
		for i := range burst {
			ev := event(fmt.Sprintf("raw-%d", i))
			data, err := domain.Encode(ev)
			require.NoError(t, err)
			m := nats.NewMsg(ev.Subject())
			m.Data = data
			m.Header.Set(jetstream.MsgIDHeader, ev.ID)
			m.Header.Set("Nats-Expected-Last-Subject-Sequence", strconv.FormatUint(last, 10))
			m.Header.Set("Nats-Expected-Last-Subject-Sequence-Subject", domain.ProductSubjects(product))
			f, err := js.PublishMsgAsync(m)
			require.NoError(t, err)
			futures = append(futures, f)
		}
		codes := map[jetstream.ErrorCode]int{}
		stored := 0
		for _, f := range futures {
			select {
			case <-f.Ok():
				stored++
			case err := <-f.Err():
				var apiErr *jetstream.APIError
				require.ErrorAs(t, err, &apiErr)
				codes[apiErr.ErrorCode]++
			case <-ctx.Done():
				require.FailNow(t, "no answer to a publish")
			}
		}
		assert.Equal(t, 1, stored, "one of the burst is stored")
		t.Logf("a burst of %d publishes expecting sequence %d: %d stored, refusals by code %v", burst, last, stored, codes)
		for code := range codes {
			assert.Contains(t, []jetstream.ErrorCode{jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant}, code)
		}

		// The same race through the ledger: every loser is a conflict.
		last, err = a.store.LastSeq(ctx, product)
		require.NoError(t, err)
		errs := make([]error, burst)
		var wg sync.WaitGroup
		for i := range burst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = []*instance{a, b}[i%2].store.Append(ctx, []domain.Event{event(fmt.Sprintf("race-%d", i))}, last)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
				continue
			}
			assert.ErrorIs(t, err, domain.ErrConflict, "a replicated wrong last sequence is the domain's conflict")
			assert.Equal(t, 409, service.Code(err))
		}
		assert.Equal(t, 1, won, "one append of the race is stored")
	})
}
