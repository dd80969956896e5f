package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamName is the name of the JetStream stream that holds the ledger.
const StreamName = "LEDGER"

// streamSubjects is the subject space of the stream; domain.Subject builds
// every event's subject inside it.
const streamSubjects = "ledger.>"

const (
	// defaultTimeout bounds a single JetStream request when the caller's
	// context has no deadline, so that a lost server cannot hang a command.
	defaultTimeout = 10 * time.Second
	// connectTimeout bounds dialling a NATS server.
	connectTimeout = 5 * time.Second
	// drainTimeout bounds Close's wait for in-flight messages.
	drainTimeout = 10 * time.Second
)

// Options configures Open.
type Options struct {
	// DataDir is, in embedded mode, the directory of the JetStream file
	// storage (created if missing). One process owns it at a time. Ignored
	// when URL is set.
	DataDir string
	// URL connects to an existing NATS server or cluster (comma-separated
	// URLs) instead of embedding one.
	URL string
	// Replicas is the number of stream replicas used when the stream is
	// created (0 means 1). An existing stream with fewer replicas is refused.
	Replicas int
	// Listen is, in embedded mode only, the "host:port" on which to accept
	// NATS clients (used by `ledger serve`, for example 127.0.0.1:4222; port
	// 0 picks a free port). "" keeps the server in-process, with no listener.
	Listen string
	// Name is the client connection name shown by the server; "" means "ledger".
	Name string
	// Debug writes the embedded server's log to stderr.
	Debug bool
	// Sign, when set, signs every event the store appends: it returns the
	// signature of domain.SignedMessage(subject, data) (the audit key's
	// Ed25519 signature), carried in the Ledger-Signature header.
	Sign func(msg []byte) ([]byte, error)
	// Verify, when set, checks the signature of every event read (the
	// audit verifier key): the validating fold quarantines an event whose
	// signature it rejects, and, once a product has signed events, one
	// without. Without it signatures are read but not checked.
	Verify func(msg, sig []byte) bool
	// LockWait bounds, in embedded mode, the wait for other processes
	// that own the data directory without serving it (one-shot commands)
	// to finish; they are served in order of arrival. 0 means 10 s. A wait
	// that runs out is an *InUseError, which is also a domain conflict.
	LockWait time.Duration
	// Clients decides who the clients of the listener are, by their
	// tokens; nil lets in only clients without credentials (local mode)
	// and the local credential. Clients of the listener belong to the
	// clients' account (accounts.go): they call the ledger's service and
	// read copies of the streams, and nothing they do reaches the store.
	Clients Authenticator
	// LocalUser is the actor name of the local credential that serve
	// keeps in owner.json for the CLI on the same machine ("local" when
	// empty).
	LocalUser string
	// Token authenticates this process to a NATS server it connects to:
	// the owner's listener when another process serves DataDir, or the
	// server at URL. With User it is the password; alone, a NATS token.
	// Empty: the local credential of the serve that owns DataDir, or no
	// credentials.
	Token, User string
	// ClientsURL, with URL, connects serve to the clients' account of the
	// same NATS system (a user allowed to manage the copies, as
	// OperatorAccounts configures it): serve then keeps the clients'
	// read-only copies there. Empty: serve keeps none (the embedded
	// server's are kept whenever it listens).
	ClientsURL string
	// Warnf hears of what the store repairs behind the scenes (a copy a
	// client changed); nil discards it.
	Warnf func(format string, args ...any)
}

func (o Options) warnf() func(string, ...any) {
	if o.Warnf != nil {
		return o.Warnf
	}
	return func(string, ...any) {}
}

// Store is the ledger's event store on one NATS connection. It is safe for
// concurrent use; Close releases it.
type Store struct {
	nc *nats.Conn
	js jetstream.JetStream

	sign   func([]byte) ([]byte, error) // Options.Sign
	verify func(msg, sig []byte) bool   // Options.Verify

	// ns is the embedded server, nil when connected by URL. It is
	// replaced when the store restarts it after a full disk (disk.go):
	// read it with natsServer. opt and listen are what it was started
	// with, listen with the port it got.
	ns     atomic.Pointer[server.Server]
	opt    Options
	listen string
	log    *serverLog // its log, nil when connected by URL

	// recoverMu serialises JetStream restarts after a full disk;
	// recoveredAt is the last one, limitHit says that JetStream refused a
	// write for its storage limit since.
	recoverMu   sync.Mutex
	recoveredAt time.Time
	limitHit    bool
	closing     chan struct{} // closed by Close: background work stops
	background  sync.WaitGroup
	lock        *dirLock // the data directory's lock, nil when connected by URL
	clientURL   string

	// auth is the embedded server's authentication, nil without a
	// listener.
	auth *listenerAuth
	// copies keeps the clients' read-only copies, nil when this store
	// keeps none; stopCopies ends it.
	copies     *copier
	copiesStop context.CancelFunc
	copiesDone chan struct{}
	warnf      func(format string, args ...any)
	// readOnly, when set, refuses writes: the store reads the clients'
	// copy of the ledger, in the clients' account, where nothing can
	// write to the ledger.
	readOnly *ReadOnlyError

	// The hub every Follow shares (hub.go), its lifetime.
	hubOnce sync.Once
	hub     *hub
	hubMu   sync.Mutex
	hubCtxV context.Context
	hubStop context.CancelFunc

	// chain is what this store knows of where the stream ends (chain.go).
	chain chain

	connClosed chan struct{} // closed when nc is closed
	closeOnce  sync.Once
	closeErr   error
}

// Open opens the event store: it connects to Options.URL, or owns
// Options.DataDir with an embedded server, or, when a serving process owns
// DataDir, connects to that process. It creates the LEDGER stream if it is
// missing and returns an error naming every setting of an existing LEDGER
// stream that is weaker than the ledger requires.
func Open(ctx context.Context, opt Options) (*Store, error) {
	if opt.Replicas < 0 || opt.Replicas > 5 {
		return nil, fmt.Errorf("replicas must be between 1 and 5, not %d", opt.Replicas)
	}
	if opt.Replicas == 0 {
		opt.Replicas = 1
	}
	if opt.Name == "" {
		opt.Name = "ledger"
	}
	if opt.URL != "" {
		s, err := openURL(ctx, opt, opt.URL, "is the server running? check --nats", false)
		if err != nil {
			return nil, err
		}
		if opt.ClientsURL != "" && s.readOnly == nil {
			cnc, err := connect(ctx, opt.ClientsURL, opt.Name+" copies", "", "")
			if err != nil {
				_ = s.Close()
				return nil, &unreachableError{fmt.Errorf("cannot reach the clients' account at %s: %w (check --clients-nats)", opt.ClientsURL, err)}
			}
			if err := s.startCopies(cnc); err != nil {
				cnc.Close()
				_ = s.Close()
				return nil, err
			}
		}
		return s, nil
	}
	if opt.DataDir == "" {
		return nil, errors.New("no data directory and no NATS URL: set --data or --nats")
	}
	if opt.Replicas > 1 {
		return nil, fmt.Errorf("an embedded server cannot hold %d replicas: connect to a cluster with --nats", opt.Replicas)
	}
	return openDir(ctx, opt)
}

// openURL connects to a running server and verifies the stream. hint
// tells the user what to check when the server cannot be reached. A
// client of a serve that owns the data directory reads the clients' copy
// and never sets anything up.
func openURL(ctx context.Context, opt Options, url, hint string, client bool) (*Store, error) {
	s := &Store{connClosed: make(chan struct{}), sign: opt.Sign, verify: opt.Verify, warnf: opt.warnf()}
	nc, err := connect(ctx, url, opt.Name, opt.User, opt.Token, nats.ClosedHandler(func(*nats.Conn) { close(s.connClosed) }))
	if err != nil {
		if errors.Is(err, nats.ErrAuthorization) {
			return nil, fmt.Errorf("NATS at %s refused this client's credentials: %w (give a token with --token or LEDGER_TOKEN: \"ledger token add ACTOR\" makes one)", url, err)
		}
		return nil, &unreachableError{fmt.Errorf("cannot reach NATS at %s: %w (%s)", url, err, hint)}
	}
	s.nc, s.clientURL = nc, url
	if err := s.setup(ctx, opt.Replicas, client); err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

// connect dials a NATS server with the ledger's settings.
func connect(ctx context.Context, url, name, user, token string, extra ...nats.Option) (*nats.Conn, error) {
	timeout := connectTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = max(time.Until(d), 100*time.Millisecond)
	}
	opts := append([]nats.Option{
		nats.Name(name),
		nats.Timeout(timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DrainTimeout(drainTimeout),
	}, extra...)
	switch {
	case user != "":
		opts = append(opts, nats.UserInfo(user, token))
	case token != "":
		opts = append(opts, nats.Token(token))
	}
	return nats.Connect(url, opts...)
}

// unreachableError marks a failure to connect, as opposed to a server that
// answered but refused.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// setup creates the JetStream context and verifies the stream. A client
// finds the clients' copy of the ledger, a mirror, and reads it: it sets
// nothing up and refuses writes.
func (s *Store) setup(ctx context.Context, replicas int, client bool) error {
	// An append that waits no longer (its caller gave up) leaves its
	// acknowledgement pending with the publisher until this bound.
	js, err := jetstream.New(s.nc, jetstream.WithDefaultTimeout(defaultTimeout), jetstream.WithPublishAsyncTimeout(time.Minute))
	if err != nil {
		return fmt.Errorf("cannot use JetStream: %w", err)
	}
	s.js = js
	// On a cluster JetStream checks a product's expected sequence before
	// it replicates a write, counting the writes in flight that expect
	// the same product; a write expecting the stream's last message is
	// not among them, so the two must not mix there (chain.go).
	s.chain.clustered = s.nc.ConnectedClusterName() != ""
	if client {
		s.readOnly = &ReadOnlyError{URL: s.clientURL}
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	st, err := js.Stream(rctx, StreamName)
	cancel()
	if err == nil && st.CachedInfo().Config.Mirror != nil {
		s.readOnly = &ReadOnlyError{URL: s.clientURL}
		return nil
	}
	return ensureStream(ctx, js, replicas)
}

// Close drains the connection, shuts the embedded server down cleanly and
// releases the data directory. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stopCopies()
		s.stopHub()
		if s.closing != nil {
			close(s.closing)
		}
		s.background.Wait()
		var errs []error
		if err := s.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("draining the NATS connection: %w", err))
		}
		select {
		case <-s.connClosed:
		case <-time.After(drainTimeout + time.Second):
			s.nc.Close()
		}
		if ns := s.natsServer(); ns != nil {
			ns.Shutdown()
			ns.WaitForShutdown()
		}
		if s.lock != nil {
			if err := s.lock.release(); err != nil {
				errs = append(errs, err)
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// ClientURL returns the URL other processes can connect to: the embedded
// server's listener, or the URL this store connected to; "" for an
// embedded server without a listener.
func (s *Store) ClientURL() string { return s.clientURL }

// Embedded reports whether this store runs its own nats-server in-process.
func (s *Store) Embedded() bool { return s.natsServer() != nil }

// natsServer returns the embedded server, nil when connected by URL.
func (s *Store) natsServer() *server.Server { return s.ns.Load() }

// Conn returns the store's NATS connection: for serve, its connection in
// the store account, on which the ledger's NATS service is registered;
// for a client, its connection in the clients' account. Callers must not
// close it; Close does.
func (s *Store) Conn() *nats.Conn { return s.nc }

// writable returns the error for a write the store must refuse, or nil.
func (s *Store) writable() error {
	if s.readOnly != nil {
		return s.readOnly
	}
	return nil
}

// JetStream returns the store's JetStream client: an escape hatch for
// sibling concerns that must live next to the LEDGER stream on the same
// server (a snapshots key-value bucket, a checkpoints stream). Callers must
// not publish to ledger.> through it, nor change the LEDGER stream; events
// go through Append so that ids, headers and concurrency checks hold.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// withTimeout gives ctx the default deadline when it has none.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, defaultTimeout)
}

// validToken reports whether s can be one token of a subject: ids are
// validated by the domain before events are built, this only guards the
// store's own subject filters.
func validToken(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".*> \t\r\n")
}
