package eventstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// openEmbedded starts a nats-server on the locked data directory with the
// ledger's accounts, connects to it in-process, verifies the stream and
// records the owner.
func openEmbedded(ctx context.Context, opt Options, l *dirLock) (*Store, error) {
	if err := moveGlobalAccount(opt.DataDir); err != nil {
		return nil, err
	}
	auth, err := newListenerAuth(opt.Clients)
	if err != nil {
		return nil, err
	}
	var localPass string
	if opt.Listen != "" {
		if localPass, err = randomPassword(); err != nil {
			return nil, err
		}
		auth.local, auth.localUser = localPass, opt.LocalUser
		if auth.localUser == "" {
			auth.localUser = "local"
		}
	}
	lg := &serverLog{debug: opt.Debug}
	ns, err := startServer(ctx, opt, opt.Listen, auth, lg)
	if err != nil {
		return nil, err
	}
	s := &Store{log: lg, lock: l, connClosed: make(chan struct{}), sign: opt.Sign, verify: opt.Verify, warnf: opt.warnf(), opt: opt}
	s.ns.Store(ns)
	s.auth = auth
	if opt.Listen != "" {
		s.clientURL = ns.ClientURL()
		// A restart after a full disk listens where this one does,
		// also when it was given port 0.
		s.listen = ns.Addr().String()
	}
	shutdown := func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	}
	nc, err := nats.Connect("",
		s.inProcess(),
		nats.UserInfo(serveUser, auth.servePass),
		nats.Name(opt.Name),
		nats.DrainTimeout(drainTimeout),
		nats.ClosedHandler(func(*nats.Conn) { close(s.connClosed) }),
	)
	if err != nil {
		shutdown()
		return nil, fmt.Errorf("cannot connect to the embedded NATS server: %w", err)
	}
	s.nc = nc
	if err := s.setup(ctx, opt.Replicas, false); err != nil {
		nc.Close()
		shutdown()
		return nil, err
	}
	if opt.Listen != "" {
		cnc, err := nats.Connect("", s.inProcess(), nats.UserInfo(copierUser, auth.copierPass), nats.Name(opt.Name+" copies"))
		if err != nil {
			nc.Close()
			shutdown()
			return nil, fmt.Errorf("cannot connect to the embedded NATS server's clients account: %w", err)
		}
		if err := s.startCopies(cnc); err != nil {
			cnc.Close()
			nc.Close()
			shutdown()
			return nil, err
		}
	}
	if err := l.writeOwner(s.clientURL, localPass); err != nil {
		s.stopCopies()
		nc.Close()
		shutdown()
		return nil, err
	}
	s.closing = make(chan struct{})
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		s.watchSpace()
	}()
	return s, nil
}

// inProcess connects in-process to whichever server the store runs: the
// one it started, or the one it restarted after a full disk, to which
// the connection goes back at once, as often as it takes, and with its
// subscriptions.
func (s *Store) inProcess() nats.Option {
	return func(o *nats.Options) error {
		o.InProcessServer = currentServer{s}
		o.MaxReconnect = -1
		o.ReconnectWait = 20 * time.Millisecond
		return nil
	}
}

// currentServer is a nats.InProcessConnProvider for the store's server
// of the moment.
type currentServer struct{ s *Store }

func (c currentServer) InProcessConn() (net.Conn, error) {
	ns := c.s.natsServer()
	if ns == nil {
		return nil, errors.New("the embedded NATS server is gone")
	}
	return ns.InProcessConn()
}

// moveGlobalAccount moves a data directory written before the ledger had
// accounts: JetStream kept its streams under the global account ($G),
// and they belong to the store account now. The move is a rename of one
// directory, done before the server starts.
func moveGlobalAccount(dataDir string) error {
	js := filepath.Join(dataDir, "jetstream")
	old, now := filepath.Join(js, "$G"), filepath.Join(js, StoreAccount)
	if _, err := os.Stat(old); err != nil {
		return nil // nothing to move
	}
	if _, err := os.Stat(now); err == nil {
		return fmt.Errorf("data directory %q holds streams of the global account ($G) and of the account %s: move one of %s and %s away", dataDir, StoreAccount, old, now)
	}
	if err := os.Rename(old, now); err != nil {
		return fmt.Errorf("cannot move the streams of data directory %q into the account %s: %w", dataDir, StoreAccount, err)
	}
	return nil
}

// startServer starts the embedded server with the ledger's accounts,
// listening on listen (none when empty), logging to lg, and waits until
// it accepts connections with JetStream enabled.
func startServer(ctx context.Context, opt Options, listen string, auth *listenerAuth, lg *serverLog) (*server.Server, error) {
	dir, err := filepath.Abs(opt.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", opt.DataDir, err)
	}
	so := &server.Options{}
	// The clients' account keeps its copies only while serve listens: a
	// one-shot command has no clients, and the copies wait, unchanged,
	// for the next serve.
	if err := so.ProcessConfigString(accountsConfig(false, listen != "")); err != nil {
		return nil, fmt.Errorf("cannot configure the embedded NATS server's accounts: %w", err)
	}
	so.ServerName = "ledger"
	// Views of a long history are megabytes (a backlog of 5,000 items,
	// 2.5 MB): the embedded server carries messages up to 8 MiB, the most
	// NATS advises, rather than its default 1 MiB.
	so.MaxPayload = MaxMessage
	so.JetStream = true
	so.StoreDir = dir
	// Every write is fsynced before it is acknowledged: an event the
	// ledger reported as recorded survives a power cut.
	so.SyncAlways = true
	so.NoSigs = true
	so.DontListen = listen == ""
	// Who connects, and into which account, is decided by the ledger:
	// serve's in-process connections, and listener clients by their token.
	so.CustomClientAuthentication = auth
	if listen != "" {
		host, port, err := splitListen(listen)
		if err != nil {
			return nil, err
		}
		so.Host, so.Port = host, port
		if port != server.RANDOM_PORT {
			// The server only logs a failure to listen; find out first.
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return nil, fmt.Errorf("cannot listen on %s: %w (is another \"ledger serve\" running? choose another --nats-listen)", listen, err)
			}
			ln.Close()
		}
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("cannot configure the embedded NATS server: %w", err)
	}
	auth.setServer(ns)
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

// MaxMessage is the largest message the embedded server carries.
const MaxMessage = 8 << 20

// randomPassword makes a password of serve's own connections, new for
// every start of the server, and the local credential.
func randomPassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot make a password for the embedded NATS server: %w", err)
	}
	return hex.EncodeToString(b), nil
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

	spaceAt  time.Time
	spaceMsg string
	spaceCh  chan struct{}
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

// Errorf records the error for a failed start to report, and when it
// is a write that failed for lack of space, when that happened.
func (l *serverLog) Errorf(format string, v ...any) {
	l.print("[ERR]", format, v...)
	err := fmt.Errorf(format, v...)
	l.mu.Lock()
	l.last = err
	if isSpaceError(err.Error()) {
		l.spaceAt, l.spaceMsg = time.Now(), err.Error()
		if l.spaceCh != nil {
			close(l.spaceCh)
			l.spaceCh = nil
		}
	}
	l.mu.Unlock()
}

// spaceSignal returns a channel closed when the server next logs a write
// that failed for lack of space.
func (l *serverLog) spaceSignal() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.spaceCh == nil {
		l.spaceCh = make(chan struct{})
	}
	return l.spaceCh
}

// spaceError returns when the server last failed a write for lack of
// space, and its message; the zero time when it never did.
func (l *serverLog) spaceError() (time.Time, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.spaceAt, l.spaceMsg
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
