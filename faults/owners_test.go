package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/bench"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/service"
)

// natsInstance is a running "ledger serve --nats URL".
type natsInstance struct {
	*serveProc
	id string // its instance id, the value of the leases it holds
}

// startServeNATS starts "ledger serve --nats url" on a data directory of
// its own and returns once its service is registered, with the instance
// id it printed.
func startServeNATS(t testing.TB, url string) *natsInstance {
	t.Helper()
	ids := make(chan string, 1)
	p := launchServe(t, []string{"--data", t.TempDir(), "--nats", url, "serve", "--http", "off"}, "serve --nats", func(line string) {
		if rest, ok := strings.CutPrefix(line, "instance "); ok {
			ids <- strings.TrimSuffix(strings.Fields(rest)[0], ":")
		}
	})
	inst := &natsInstance{serveProc: p}
	select {
	case inst.id = <-ids:
	default:
		require.FailNow(t, "serve --nats did not say its instance id", "%s", p.output())
	}
	return inst
}

// TestOwnerKilled runs three "ledger serve --nats" instances on one NATS
// server, 16 writers adding items to one product through the service
// (the queue group spreads their requests over the three), and SIGKILLs
// the instance that owns the product's writes in the middle of it. The
// product must move to another instance and writes go on; every
// acknowledged decision must be stored exactly once; and the leases must
// have sent every decision to one instance at a time, so that no writer
// ever saw a conflict.
func TestOwnerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS server and three serve processes")
	}
	ns := startNATS(t)
	url := ns.ClientURL()
	instances := []*natsInstance{startServeNATS(t, url), startServeNATS(t, url), startServeNATS(t, url)}
	nc, err := nats.Connect(url)
	require.NoError(t, err)
	defer nc.Close()

	const product = "owned"
	send := func(body map[string]any) error {
		b, _ := json.Marshal(body)
		msg, err := nc.Request(service.CommandSubject, b, 5*time.Second)
		if err != nil {
			return err
		}
		if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
			return fmt.Errorf("%s %s", code, msg.Header.Get(micro.ErrorHeader))
		}
		return nil
	}
	require.NoError(t, send(map[string]any{"action": "product.create", "product": product, "actor": "pam", "commandId": "create",
		"args": map[string]string{"name": "Owned", "pm": "pam", "po": "olga"}}))

	var (
		mu     sync.Mutex
		acked  = map[string]bool{}
		failed = map[string]int{} // failed attempts by message, retried with the same id
		lastOK time.Time
		gap    time.Duration // the longest time without an acknowledgement
		stop   atomic.Bool
		wg     sync.WaitGroup
	)
	ackedCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	for w := range 16 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				item := fmt.Sprintf("O%d-%d", w, i)
				id := "owned-" + item
				for attempt := 0; attempt < 20 && !stop.Load(); attempt++ {
					err := send(map[string]any{"action": "item.add", "product": product, "actor": "olga", "commandId": id,
						"args": map[string]string{"id": item, "title": "Item " + item}})
					mu.Lock()
					if err == nil {
						acked[id] = true
						now := time.Now()
						if !lastOK.IsZero() && now.Sub(lastOK) > gap {
							gap = now.Sub(lastOK)
						}
						lastOK = now
					} else {
						msg := err.Error()
						if len(msg) > 120 {
							msg = msg[:120]
						}
						failed[msg]++
					}
					mu.Unlock()
					if err == nil {
						break
					}
				}
			}
		})
	}
	require.Eventually(t, func() bool { return ackedCount() >= 100 }, time.Minute, 10*time.Millisecond, "no writes before the kill")

	// The owner of the product, from its lease.
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kv, err := js.KeyValue(ctx, eventstore.OwnersBucket)
	require.NoError(t, err)
	e, err := kv.Get(ctx, product)
	require.NoError(t, err)
	owner := -1
	for i, inst := range instances {
		if inst.id == string(e.Value()) {
			owner = i
		}
	}
	require.NotEqual(t, -1, owner, "the lease names %q, none of the instances", e.Value())
	// The other two sent the decisions they were asked for on to the
	// owner: only its own command subject was asked.
	served := ownedRequests(t, nc)
	for i, inst := range instances {
		if i == owner {
			require.Positive(t, served[inst.id], "the owner was sent no decision by the others: %v", served)
		} else {
			require.Zero(t, served[inst.id], "an instance that owns nothing was sent decisions: %v", served)
		}
	}
	before := ackedCount()
	mu.Lock()
	gap = 0 // the stall the kill causes, from here
	mu.Unlock()
	killed := time.Now()
	instances[owner].kill()

	// Writes go on: the product moves to another instance.
	require.Eventually(t, func() bool { return ackedCount() >= before+200 }, 90*time.Second, 10*time.Millisecond,
		"writes did not resume after the owner was killed")
	e, err = kv.Get(ctx, product)
	require.NoError(t, err)
	require.NotEqual(t, instances[owner].id, string(e.Value()), "the killed instance still holds the product")
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	t.Logf("%d acknowledged (%d before the kill), the longest wait for an acknowledgement after the kill %s (%s after it); failed attempts: %v",
		len(acked), before, gap.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond), failed)
	mu.Unlock()

	// Every acknowledged decision is stored, once.
	r := runLedger(t, "--data", t.TempDir(), "--nats", url, "-p", product, "log", "--json")
	require.Equal(t, 0, r.code, "ledger log: %s", r)
	var entries []logEntry
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	for dec.More() {
		var e logEntry
		require.NoError(t, dec.Decode(&e))
		entries = append(entries, e)
	}
	n := checkExactlyOnce(t, entries, acked)
	require.Greater(t, n, before, "decisions were acknowledged after the kill")
	for msg := range failed {
		require.NotContains(t, msg, "409", "a writer lost a race with another instance: the product had two writers at once")
	}
}

// ownedRequests asks every instance of the service for its statistics and
// returns, by instance id, how many requests its own command subject
// (the decisions the other instances send on to it) has had.
func ownedRequests(t *testing.T, nc *nats.Conn) map[string]int {
	t.Helper()
	subject, err := micro.ControlSubject(micro.StatsVerb, service.Name, "")
	require.NoError(t, err)
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	require.NoError(t, err)
	defer func() { _ = sub.Unsubscribe() }()
	require.NoError(t, nc.PublishRequest(subject, inbox, nil))
	out := map[string]int{}
	for {
		msg, err := sub.NextMsg(2 * time.Second)
		if err != nil {
			break // every instance has answered
		}
		var st micro.Stats
		require.NoError(t, json.Unmarshal(msg.Data, &st))
		for _, e := range st.Endpoints {
			if id, ok := strings.CutPrefix(e.Subject, service.OwnerPrefix); ok {
				out[id] = e.NumRequests
			}
		}
	}
	require.Len(t, out, 3, "every instance answers its statistics with its own command subject")
	return out
}

// BenchmarkInstances is issue 20's multi-instance rows as ledger bench's
// instances-1p and instances-3p measure them (bench.StartInstances): 16
// writers adding items through the service of one and of three "ledger
// serve --nats" processes on one NATS server (in this process, fsync on
// every write), to one product and spread over three. Each case starts
// its own server and processes; compare decisions/s across the instances
// for the same products (ledger bench alternates them in one run):
//
//	go test ./faults -run '^$' -bench Instances -benchtime 2000x
func BenchmarkInstances(b *testing.B) {
	for _, products := range []int{1, 3} {
		for _, n := range []int{1, 3} {
			b.Run(fmt.Sprintf("products=%d/instances=%d", products, n), func(b *testing.B) {
				ctx := context.Background()
				in, err := bench.StartInstances(ctx, []string{ledgerBinary(b)}, n, b.TempDir())
				require.NoError(b, err)
				defer in.Close()
				var names []string
				for p := range products {
					names = append(names, fmt.Sprintf("p%d", p))
				}
				require.NoError(b, in.CreateProducts(ctx, names))
				require.NoError(b, in.Warm(ctx, names))
				owned, err := in.Owned(ctx, names)
				require.NoError(b, err)
				owners := 0
				for _, k := range owned {
					owners += min(k, 1)
				}
				cpu0, self0 := in.ServeCPU(), selfCPU()
				b.ResetTimer()
				require.NoError(b, in.Add(ctx, b.N, names))
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
				// Where the CPU goes, per decision: the serve processes, and
				// this one (the NATS server and the writers).
				b.ReportMetric((in.ServeCPU()-cpu0).Seconds()*1000/float64(b.N), "serve-cpu-ms/op")
				b.ReportMetric((selfCPU()-self0).Seconds()*1000/float64(b.N), "nats-cpu-ms/op")
				b.ReportMetric(float64(owners), "owners")
			})
		}
	}
}

// selfCPU is the CPU time this process has used, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
