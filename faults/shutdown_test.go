package faults

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stopDeadline is how long after SIGTERM "ledger serve" may take to exit,
// whatever it was doing.
const stopDeadline = 10 * time.Second

// TestServeStopsWhateverTheStoreDoes runs "ledger serve" on a NATS server
// whose connection stops carrying bytes (a network that hangs without
// closing, a server that no longer answers) while serve holds work in
// flight: a decision and a view waiting on the store, a request body that
// never ends, event-stream clients that never read, live projections that
// met junk. SIGTERM must end the process within stopDeadline, and serve
// says what it abandoned.
func TestServeStopsWhateverTheStoreDoes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ns := startNATS(t)
	px := newFreezer(t, strings.TrimPrefix(ns.ClientURL(), "nats://"))
	dir := t.TempDir()
	r := runLedger(t, "--data", dir, "audit", "keygen") // so that serve signs checkpoints, a last one as it stops
	require.Equal(t, 0, r.code, "%s", r)

	cmd := exec.Command(ledgerBinary(t), "--data", dir, "--nats", "nats://"+px.addr(), "serve", "--http", "127.0.0.1:0", "--demo")
	cmd.Env = cleanEnv()
	out := &lockedBuffer{}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = out
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	})
	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n"))
			if m := dashboardLine.FindStringSubmatch(sc.Text()); m != nil {
				base <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var url string
	select {
	case url = <-base:
	case <-done:
		require.FailNow(t, "serve exited before serving HTTP", "%s", out.String())
	case <-time.After(60 * time.Second):
		require.FailNow(t, "serve did not serve HTTP within 60 s", "%s", out.String())
	}

	// Junk in the stream, around the ledger.
	nc, err := nats.Connect(ns.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, nc.Publish("ledger.checkout.item.JUNK", []byte{0xff, 0x00}))
	require.NoError(t, nc.Flush())

	// Event-stream clients that never read, and a request body that never ends.
	for range 8 {
		c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		require.NoError(t, err)
		defer c.Close()
		_, err = fmt.Fprintf(c, "GET /api/v1/products/checkout/events?after=0 HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
	}
	slow, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	defer slow.Close()
	_, err = fmt.Fprintf(slow, "POST /api/v1/products/checkout/commands HTTP/1.1\r\nHost: x\r\nX-Ledger-Actor: nina\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"action\":")
	require.NoError(t, err)

	// The store stops answering; a decision and a view go to it.
	px.freeze()
	held := px.held()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, req := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/products/checkout/commands", `{"action":"item.rank","args":{"id":"BNPL-3","top":true,"why":"in flight at shutdown"}}`},
		{http.MethodGet, "/api/v1/products/checkout/backlog?asOf=2026-05-01", ""},
		{http.MethodGet, "/api/v1/products/checkout/log", ""},
	} {
		go func() {
			r, err := http.NewRequestWithContext(ctx, req.method, url+req.path, strings.NewReader(req.body))
			if err != nil {
				return
			}
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Ledger-Actor", "nina")
			if res, err := http.DefaultClient.Do(r); err == nil {
				res.Body.Close()
			}
		}()
	}
	require.Eventually(t, func() bool { return px.held() > held }, 30*time.Second, 10*time.Millisecond,
		"serve sent nothing more to the store: the requests are not in flight")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-done:
	case <-time.After(stopDeadline):
		require.FailNow(t, fmt.Sprintf("serve did not exit within %s of SIGTERM", stopDeadline), "%s", out.String())
	}
	assert.Regexp(t, `ledger: abandoned, not done [0-9.]+s after the signal to stop: \S`, out.String(), "serve says what it did not finish")
}

var dashboardLine = regexp.MustCompile(`dashboard and HTTP API: (http://127\.0\.0\.1:\d+)/`)

// startNATS starts a JetStream server in the test process on a free port.
func startNATS(t testing.TB) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), SyncAlways: true, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	require.True(t, ns.ReadyForConnections(10*time.Second), "the NATS server did not start")
	return ns
}

// freezer is a TCP proxy to a NATS server that, once frozen, keeps every
// connection open but carries no more bytes either way: the store stops
// answering without the client seeing an error.
type freezer struct {
	ln     net.Listener
	frozen atomic.Bool
	thaw   chan struct{} // closed at the end of the test: the copies end
	bytes  atomic.Int64  // bytes from clients held since the freeze
	wg     sync.WaitGroup
}

func newFreezer(t testing.TB, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &freezer{ln: ln, thaw: make(chan struct{})}
	var conns []net.Conn
	var mu sync.Mutex
	f.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			f.wg.Go(func() { f.pipe(up, c, true) })
			f.wg.Go(func() { f.pipe(c, up, false) })
		}
	})
	t.Cleanup(func() {
		close(f.thaw)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *freezer) addr() string { return f.ln.Addr().String() }

// freeze stops carrying bytes.
func (f *freezer) freeze() { f.frozen.Store(true) }

// held is how many bytes clients sent since the freeze.
func (f *freezer) held() int64 { return f.bytes.Load() }

func (f *freezer) pipe(dst, src net.Conn, fromClient bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && f.frozen.Load() {
			if fromClient {
				f.bytes.Add(int64(n))
			}
			for {
				// Keep reading what the client sends, never passing it on.
				select {
				case <-f.thaw:
					return
				default:
				}
				m, err := src.Read(buf)
				if fromClient {
					f.bytes.Add(int64(m))
				}
				if err != nil {
					<-f.thaw
					return
				}
			}
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// lockedBuffer is a strings.Builder safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.WriteString(string(p))
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
