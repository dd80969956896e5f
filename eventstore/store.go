package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
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
	// Protect, with Listen, makes the serving process the only writer:
	// clients of the listener (other ledger commands, the nats CLI) may
	// read the streams and buckets and call the ledger's service
	// (ledgerapi.>), but not publish events or audit records, write
	// snapshots, answer requests, or delete, purge or reconfigure any of
	// the ledger's streams (their deny settings do not cover deleting them
	// whole). The store's own in-process connection, Conn, keeps every
	// right. A store that opens the directory as a client of a protected
	// serve refuses writes with a ReadOnlyError.
	Protect bool
}

// Store is the ledger's event store on one NATS connection. It is safe for
// concurrent use; Close releases it.
type Store struct {
	nc *nats.Conn
	js jetstream.JetStream

	sign   func([]byte) ([]byte, error) // Options.Sign
	verify func(msg, sig []byte) bool   // Options.Verify

	ns  *server.Server // the embedded server, nil when connected by URL
	log *serverLog     // its log, nil when connected by URL

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

	// servicePass is the service user's password on a protected embedded
	// server; it never leaves the process.
	servicePass string
	// readOnly, when set, refuses writes: the store is a client of a
	// protected serve, whose listener would refuse them anyway.
	readOnly *ReadOnlyError

	// The hub every Follow shares (hub.go), its lifetime.
	hubOnce sync.Once
	hub     *hub
	hubMu   sync.Mutex
	hubCtxV context.Context
	hubStop context.CancelFunc

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
		return openURL(ctx, opt, opt.URL, "is the server running? check --nats")
	}
	if opt.DataDir == "" {
		return nil, errors.New("no data directory and no NATS URL: set --data or --nats")
	}
	if opt.Replicas > 1 {
		return nil, fmt.Errorf("an embedded server cannot hold %d replicas: connect to a cluster with --nats", opt.Replicas)
	}
	return openDir(ctx, opt)
}

// openURL connects to a running server and verifies the stream. hint tells
// the user what to check when the server cannot be reached.
func openURL(ctx context.Context, opt Options, url, hint string) (*Store, error) {
	s := &Store{connClosed: make(chan struct{}), sign: opt.Sign, verify: opt.Verify}
	timeout := connectTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = max(time.Until(d), 100*time.Millisecond)
	}
	nc, err := nats.Connect(url,
		nats.Name(opt.Name),
		nats.Timeout(timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.DrainTimeout(drainTimeout),
		nats.ClosedHandler(func(*nats.Conn) { close(s.connClosed) }),
	)
	if err != nil {
		return nil, &unreachableError{fmt.Errorf("cannot reach NATS at %s: %w (%s)", url, err, hint)}
	}
	s.nc, s.clientURL = nc, url
	if err := s.setup(ctx, opt.Replicas); err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

// unreachableError marks a failure to connect, as opposed to a server that
// answered but refused.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// setup creates the JetStream context and verifies the stream.
func (s *Store) setup(ctx context.Context, replicas int) error {
	js, err := jetstream.New(s.nc, jetstream.WithDefaultTimeout(defaultTimeout))
	if err != nil {
		return fmt.Errorf("cannot use JetStream: %w", err)
	}
	s.js = js
	return ensureStream(ctx, js, replicas)
}

// Close drains the connection, shuts the embedded server down cleanly and
// releases the data directory. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
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
		if s.ns != nil {
			s.ns.Shutdown()
			s.ns.WaitForShutdown()
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
func (s *Store) Embedded() bool { return s.ns != nil }

// Conn returns the store's NATS connection: for a served store, the
// privileged in-process one, on which the ledger's NATS service is
// registered. Callers must not close it; Close does.
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
