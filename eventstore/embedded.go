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

// openEmbedded starts a nats-server on the locked data directory, connects
// to it in-process, verifies the stream and records the owner.
func openEmbedded(ctx context.Context, opt Options, l *dirLock) (*Store, error) {
	var servicePass string
	if opt.Listen != "" && opt.Protect {
		var err error
		if servicePass, err = randomPassword(); err != nil {
			return nil, err
		}
	}
	ns, lg, err := startServer(ctx, opt, servicePass)
	if err != nil {
		return nil, err
	}
	s := &Store{ns: ns, log: lg, lock: l, servicePass: servicePass, connClosed: make(chan struct{}), sign: opt.Sign, verify: opt.Verify}
	if opt.Listen != "" {
		s.clientURL = ns.ClientURL()
	}
	login := nats.UserInfo("", "")
	if servicePass != "" {
		login = nats.UserInfo(serviceUser, servicePass)
	}
	nc, err := nats.Connect("",
		nats.InProcessServer(ns),
		login,
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
	if err := l.writeOwner(s.clientURL, servicePass != ""); err != nil {
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
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

// startServer starts the embedded server and waits until it accepts
// connections with JetStream enabled.
func startServer(ctx context.Context, opt Options, servicePass string) (*server.Server, *serverLog, error) {
	dir, err := filepath.Abs(opt.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("data directory %q: %w", opt.DataDir, err)
	}
	so := &server.Options{
		ServerName: "ledger",
		// Views of a long history are megabytes (a backlog of 5,000
		// items, 2.5 MB): the embedded server carries messages up to
		// 8 MiB, the most NATS advises, rather than its default 1 MiB.
		MaxPayload: MaxMessage,
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
			return nil, nil, err
		}
		so.Host, so.Port = host, port
		if port != server.RANDOM_PORT {
			// The server only logs a failure to listen; find out first.
			ln, err := net.Listen("tcp", opt.Listen)
			if err != nil {
				return nil, nil, fmt.Errorf("cannot listen on %s: %w (is another \"ledger serve\" running? choose another --nats-listen)", opt.Listen, err)
			}
			ln.Close()
		}
	}
	if servicePass != "" {
		// Only the store's own in-process connection (and the service on
		// it) writes; clients of the listener (other ledger commands, the
		// nats CLI) read and call the service. In-process connections are
		// authenticated like any other, so the store logs in as a second
		// user whose password is made up here and never leaves the process,
		// and which the server accepts on in-process connections only.
		so.Users = []*server.User{
			{Username: serviceUser, Password: servicePass, AllowedConnectionTypes: map[string]struct{}{connTypeInProcess: {}}},
			{Username: listenerUser, Permissions: listenerPermissions()},
		}
		so.NoAuthUser = listenerUser
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot configure the embedded NATS server: %w", err)
	}
	lg := &serverLog{debug: opt.Debug}
	ns.SetLogger(lg, false, false)
	go ns.Start()

	deadline := time.Now().Add(startTimeout)
	for !ns.ReadyForConnections(50 * time.Millisecond) {
		if err := lg.fatal(); err != nil {
			ns.Shutdown()
			return nil, nil, fmt.Errorf("the embedded NATS server on %q failed: %w", opt.DataDir, err)
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			ns.Shutdown()
			return nil, nil, fmt.Errorf("the embedded NATS server on %q did not start: %w", opt.DataDir, errors.Join(ctx.Err(), lg.lastError()))
		}
	}
	if err := lg.fatal(); err != nil || !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, nil, fmt.Errorf("JetStream did not start on data directory %q: %w", opt.DataDir, lg.lastError())
	}
	return ns, lg, nil
}

// MaxMessage is the largest message the embedded server carries.
const MaxMessage = 8 << 20

// listenerUser is the identity of every client of a served store: the
// server's no-auth user, so clients need no credentials.
const listenerUser = "ledger"

// serviceUser is the identity of the store's own in-process connection
// when the listener is protected: the only one that writes.
const serviceUser = "ledger-service"

// connTypeInProcess is the server's name for in-process connections
// (jwt.ConnectionTypeInProcess): the service user is refused on any other,
// so its password would be of no use on the listener even if it leaked.
const connTypeInProcess = "IN_PROCESS"

// randomPassword makes the service user's password, new for every start of
// the server.
func randomPassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot make a password for the embedded NATS server: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Subjects of the JetStream API and of the buckets, as the server names
// them (server/jetstream_api.go, nats.go's kv.go and object.go).
const (
	snapshotStream      = "OBJ_" + SnapshotBucket
	snapshotIndexStream = "KV_" + SnapshotIndexBucket
	serviceSubjects     = "ledgerapi.>"
)

// listenerPermissions is what a client of a protected listener may do:
// read everything the ledger stores and call its service, nothing else.
// The allow lists name what reading needs; the deny lists repeat what must
// never be allowed, so that widening an allow rule later cannot open it.
func listenerPermissions() *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				// Requests to the ledger's service: the one way to write.
				serviceSubjects,
				// Service discovery (nats micro ls/info/stats); answering
				// discovery is the service's, so subscribing is denied.
				"$SRV.>",
				// Read-only JetStream API: account and stream info, stream
				// and consumer listings, message get and direct get (what
				// LastSeq and key-value reads use).
				"$JS.API.INFO",
				"$JS.API.STREAM.NAMES",
				"$JS.API.STREAM.LIST",
				"$JS.API.STREAM.INFO.*",
				"$JS.API.STREAM.MSG.GET.*",
				"$JS.API.DIRECT.GET.>",
				// Consumers, for ordered reads (Read, Follow, object
				// gets) and nats stream view: a consumer reads a stream
				// and cannot change it. Deleting one ends a read early
				// at worst; the store deletes its own when done.
				"$JS.API.CONSUMER.CREATE.>",
				"$JS.API.CONSUMER.INFO.>",
				"$JS.API.CONSUMER.NAMES.*",
				"$JS.API.CONSUMER.LIST.*",
				"$JS.API.CONSUMER.MSG.NEXT.>",
				"$JS.API.CONSUMER.DELETE.>",
				// Acknowledgements and flow control of those consumers.
				"$JS.ACK.>",
				"$JS.FC.>",
			},
			Deny: protectedPublish(),
		},
		Subscribe: &server.SubjectPermission{
			// Replies to the client's own requests, and push consumers'
			// deliveries (object store gets use one), arrive on inboxes.
			Allow: []string{"_INBOX.>"},
			Deny: []string{
				// Seeing a publish to ledger.> is enough to answer it
				// first with a forged acknowledgement.
				streamSubjects, checkpointSubjects,
				// Whoever subscribes here can answer other clients'
				// requests to the service, or its discovery, as if it
				// were the ledger.
				serviceSubjects, "$SRV.>",
				// Likewise the JetStream API: a subscriber could answer
				// stream info or acks in the server's place.
				"$JS.API.>",
			},
		},
	}
}

// protectedPublish lists the subjects no client of a protected listener
// may publish to, with the reason for each.
func protectedPublish() []string {
	out := []string{
		// Events and audit records are written by the ledger alone: a
		// publish here would be stored as history.
		streamSubjects, checkpointSubjects,
		// Replies travel to inboxes: a client that may publish there can
		// forge anyone's reply, an acknowledgement or a service answer.
		"_INBOX.>",
		// The snapshot buckets are written with plain publishes to these
		// subjects: a forged snapshot would be served as state.
		"$O." + SnapshotBucket + ".>",
		"$KV." + SnapshotIndexBucket + ".>",
		// A stream made by a client that captured ledgerapi.> or ledger.>
		// would acknowledge publishes meant for the ledger.
		"$JS.API.STREAM.CREATE.>",
		// Durable consumers outlive the reader; ordered reads need none.
		"$JS.API.CONSUMER.DURABLE.CREATE.>",
	}
	// The stream's deny settings do not cover deleting it whole, updating
	// its settings or, for buckets, purging and deleting messages.
	for _, stream := range []string{StreamName, CheckpointStreamName, snapshotStream, snapshotIndexStream} {
		for _, op := range []string{"DELETE", "UPDATE", "PURGE", "MSG.DELETE"} {
			out = append(out, "$JS.API.STREAM."+op+"."+stream)
		}
	}
	return append(out,
		// Snapshots and restores rewrite a stream wholesale; moving or
		// stepping down leaders is the operator's.
		"$JS.API.STREAM.SNAPSHOT.>", "$JS.API.STREAM.RESTORE.>",
		"$JS.API.STREAM.LEADER.>", "$JS.API.STREAM.PEER.>",
		"$JS.API.META.>", "$JS.API.ACCOUNT.>",
	)
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
