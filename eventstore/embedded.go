package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startTimeout bounds the embedded server's start, which includes
// recovering the stream's files.
const startTimeout = 60 * time.Second

// openEmbedded starts a nats-server on the locked data directory, connects
// to it in-process, verifies the stream and records the owner.
func openEmbedded(ctx context.Context, opt Options, l *dirLock) (*Store, error) {
	ns, err := startServer(ctx, opt)
	if err != nil {
		return nil, err
	}
	s := &Store{ns: ns, lock: l, connClosed: make(chan struct{})}
	if opt.Listen != "" {
		s.clientURL = ns.ClientURL()
	}
	nc, err := nats.Connect("",
		nats.InProcessServer(ns),
		nats.Name(opt.Name),
		nats.DrainTimeout(drainTimeout),
		nats.ClosedHandler(func(*nats.Conn) { close(s.connClosed) }),
	)
	if err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("cannot connect to the embedded NATS server: %w", err)
	}
	s.nc = nc
	if err := s.setup(ctx, opt.Replicas); err != nil {
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, err
	}
	if err := l.writeOwner(s.clientURL); err != nil {
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, err
	}
	return s, nil
}

// startServer starts the embedded server and waits until it accepts
// connections with JetStream enabled.
func startServer(ctx context.Context, opt Options) (*server.Server, error) {
	dir, err := filepath.Abs(opt.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", opt.DataDir, err)
	}
	so := &server.Options{
		ServerName: "ledger",
		JetStream:  true,
		StoreDir:   dir,
		// Every write is fsynced before it is acknowledged: an event the
		// ledger reported as recorded survives a power cut.
		SyncAlways: true,
		NoSigs:     true,
		DontListen: opt.Listen == "",
	}
	if opt.Listen != "" {
		host, port, err := splitListen(opt.Listen)
		if err != nil {
			return nil, err
		}
		so.Host, so.Port = host, port
		if port != server.RANDOM_PORT {
			// The server only logs a failure to listen; find out first.
			ln, err := net.Listen("tcp", opt.Listen)
			if err != nil {
				return nil, fmt.Errorf("cannot listen on %s: %w (is another \"ledger serve\" running? choose another --nats-listen)", opt.Listen, err)
			}
			ln.Close()
		}
	}
	if opt.Listen != "" && opt.Protect {
		// Clients of the listener (other ledger commands, the nats CLI) may
		// read and append, but not delete, purge or reconfigure the ledger's
		// streams: the deny settings of a stream do not cover deleting the
		// whole stream or updating its settings.
		so.Users = []*server.User{{Username: listenerUser, Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Allow: []string{">"}, Deny: protectedAPI()},
		}}}
		so.NoAuthUser = listenerUser
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("cannot configure the embedded NATS server: %w", err)
	}
	lg := &serverLog{debug: opt.Debug}
	ns.SetLogger(lg, false, false)
	go ns.Start()

	deadline := time.Now().Add(startTimeout)
	for !ns.ReadyForConnections(50 * time.Millisecond) {
		if err := lg.fatal(); err != nil {
			ns.Shutdown()
			return nil, fmt.Errorf("the embedded NATS server on %q failed: %w", opt.DataDir, err)
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			ns.Shutdown()
			return nil, fmt.Errorf("the embedded NATS server on %q did not start: %w", opt.DataDir, errors.Join(ctx.Err(), lg.lastError()))
		}
	}
	if err := lg.fatal(); err != nil || !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, fmt.Errorf("JetStream did not start on data directory %q: %w", opt.DataDir, lg.lastError())
	}
	return ns, nil
}

// listenerUser is the identity of every client of a served store.
const listenerUser = "ledger"

// protectedAPI lists the JetStream API subjects no client of a served
// store may use: they would remove or weaken recorded history.
func protectedAPI() []string {
	var out []string
	for _, stream := range []string{StreamName, CheckpointStreamName} {
		for _, op := range []string{"DELETE", "UPDATE", "PURGE", "MSG.DELETE"} {
			out = append(out, "$JS.API.STREAM."+op+"."+stream)
		}
	}
	return out
}

// splitListen parses "host:port"; port 0 asks for a free port.
func splitListen(listen string) (string, int, error) {
	host, p, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("listen address %q: %w (want host:port, e.g. 127.0.0.1:4222)", listen, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("listen address %q: bad port %q", listen, p)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// serverLog is the embedded server's logger: silent unless debugging, and
// it keeps the errors so that a failed start can say why.
type serverLog struct {
	debug bool
	mu    sync.Mutex
	last  error
	fatl  error
}

func (l *serverLog) print(level, format string, v ...any) {
	if l.debug {
		log.New(os.Stderr, "nats-server ", log.LstdFlags).Printf(level+" "+format, v...)
	}
}

// Noticef, Warnf, Debugf and Tracef implement server.Logger.
func (l *serverLog) Noticef(format string, v ...any) { l.print("[INF]", format, v...) }
func (l *serverLog) Warnf(format string, v ...any)   { l.print("[WRN]", format, v...) }
func (l *serverLog) Debugf(format string, v ...any)  { l.print("[DBG]", format, v...) }
func (l *serverLog) Tracef(format string, v ...any)  { l.print("[TRC]", format, v...) }

// Errorf records the error for a failed start to report.
func (l *serverLog) Errorf(format string, v ...any) {
	l.print("[ERR]", format, v...)
	l.mu.Lock()
	l.last = fmt.Errorf(format, v...)
	l.mu.Unlock()
}

// Fatalf records the error: the server calls it when it cannot start (a
// port in use), and the standard logger would exit the process.
func (l *serverLog) Fatalf(format string, v ...any) {
	l.print("[FTL]", format, v...)
	l.mu.Lock()
	l.fatl = fmt.Errorf(format, v...)
	l.mu.Unlock()
}

func (l *serverLog) fatal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatl
}

func (l *serverLog) lastError() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fatl != nil {
		return l.fatl
	}
	return l.last
}
