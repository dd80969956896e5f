package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// Commander records decisions; *command.Handler is one.
type Commander interface {
	// Do decodes and executes one request, returning once it is durable.
	// Refusals are *domain.Error values. Safe for concurrent use.
	Do(ctx context.Context, r command.Request) (command.Output, error)
}

// Viewer answers views and streams new events; *query.Service is one.
type Viewer interface {
	// View answers the named view with its options; errors are
	// *domain.Error values for what the caller got wrong. Safe for
	// concurrent use.
	View(ctx context.Context, name string, o query.Options) (any, error)
	// Follow calls fn for every message of product after the sequence
	// after, as the log shows it, then for each new one as it is stored,
	// until ctx ends (returning nil) or fn fails (returning its error).
	Follow(ctx context.Context, product string, after uint64, fn func(query.LogEntry) error) error
	// Head returns the product's last stored sequence and the last one
	// the live projections applied (0, 0 for an unknown product).
	Head(ctx context.Context, product string) (head, applied uint64, err error)
}

// Config is what a Server serves.
type Config struct {
	Commands Commander
	Views    Viewer
	// Imports records imports (POST .../imports); nil takes Commands
	// when it is an Importer too. An import needs a token that may act
	// for others (access.Relay), or local mode.
	Imports Importer
	// MaxImport bounds the body of an import, in bytes (MaxImportBody
	// when 0).
	MaxImport int64
	// Access checks the callers' tokens. Once it holds one (and for the
	// rest of the run), every route but the health checks and static
	// assets needs a token, and a request decides as the token's actor,
	// or relays for the one X-Ledger-Actor names when the token may act
	// for others. Until then (and when nil) the server is a single-user
	// local tool: it must listen on loopback (Listen refuses anything
	// else) and takes the actor from X-Ledger-Actor.
	Access *access.Registry
	// Metrics is where the server counts; nil makes a fresh registry.
	Metrics *Metrics
	// Logf hears of server faults; it never sees a token.
	Logf func(format string, args ...any)
	// Now is the clock of the dashboard (time.Now when nil).
	Now func() time.Time
	// MaxEventStreams bounds the event streams served at once
	// (DefaultMaxEventStreams when 0); a client over it gets 503.
	MaxEventStreams int
	// Hooks takes the trackers' webhooks (POST /hooks/...); nil: none.
	Hooks Hooks
}

// Server is the HTTP edge. Create it with New, mount Handler, and run
// Watch beside it for the event metrics.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	routes  []route
	metrics *Metrics
	pages   *pages
	views   viewCache

	readyMu sync.Mutex
	ready   bool

	// streams holds a token per event stream being served.
	streams chan struct{}

	// sessions are the requests in flight by the token they came with,
	// so that revoking a token ends them (an event stream) at once.
	sessMu   sync.Mutex
	sessions map[string]map[*session]struct{}
}

// session is one authenticated request in flight.
type session struct{ cancel context.CancelFunc }

// local reports whether the server runs in local mode: no token exists.
func (s *Server) local() bool { return s.cfg.Access == nil || s.cfg.Access.Local() }

// Revoke ends, at once, every request in flight that came with the token
// id (an event stream, a slow view): a revoked token must not keep what
// it opened.
func (s *Server) Revoke(tokenID string) int {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	n := 0
	for ss := range s.sessions[tokenID] {
		ss.cancel()
		n++
	}
	delete(s.sessions, tokenID)
	return n
}

// track registers a request made with a token until it ends.
func (s *Server) track(r *http.Request, tokenID string) (*http.Request, func()) {
	ctx, cancel := context.WithCancel(r.Context())
	ss := &session{cancel: cancel}
	s.sessMu.Lock()
	if s.sessions == nil {
		s.sessions = map[string]map[*session]struct{}{}
	}
	if s.sessions[tokenID] == nil {
		s.sessions[tokenID] = map[*session]struct{}{}
	}
	s.sessions[tokenID][ss] = struct{}{}
	s.sessMu.Unlock()
	return r.WithContext(ctx), func() {
		cancel()
		s.sessMu.Lock()
		delete(s.sessions[tokenID], ss)
		if len(s.sessions[tokenID]) == 0 {
			delete(s.sessions, tokenID)
		}
		s.sessMu.Unlock()
	}
}

// MaxBody bounds a request body.
const MaxBody = 1 << 20

// New returns a server over cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Commands == nil || cfg.Views == nil {
		return nil, errors.New("httpapi: Commands and Views are required")
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.MaxEventStreams <= 0 {
		cfg.MaxEventStreams = DefaultMaxEventStreams
	}
	if cfg.Imports == nil {
		cfg.Imports, _ = cfg.Commands.(Importer)
	}
	if cfg.MaxImport <= 0 {
		cfg.MaxImport = MaxImportBody
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: cfg.Metrics, streams: make(chan struct{}, cfg.MaxEventStreams)}
	s.metrics.watchViews(cfg.Views)
	p, err := newPages(s)
	if err != nil {
		return nil, err
	}
	s.pages = p
	if cfg.Access != nil {
		// A revoked token ends what it opened at once (Access.Watch tells).
		cfg.Access.OnRevoke(func(t access.Token) { s.Revoke(t.ID) })
	}
	s.routes = append(append(s.apiRoutes(), s.feedRoutes()...), s.pageRoutes()...)
	for _, rt := range append(s.hookRoutes(), s.routes...) {
		s.mux.Handle(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	return s, nil
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) logf(format string, args ...any) { s.cfg.Logf(format, args...) }

// auth says who may call a route.
type auth int

const (
	public     auth = iota // health checks, static assets, the login page
	caller                 // everything else: a token, or the local actor
	feedReader             // a feed: as caller, or the token as Basic password or ?token= (feedToken)
)

// route is one route of the server: its handler and what the OpenAPI
// document says of it.
type route struct {
	method, pattern string
	auth            auth
	page            bool // a dashboard page: HTML, not in the API document
	doc             opDoc
	h               func(w http.ResponseWriter, r *http.Request)
}

type ctxKey int

const (
	actorKey ctxKey = iota
	identityKey
)

// actorOf returns the caller's actor: the token's, or in local mode the
// X-Ledger-Actor header's (empty when not given).
func actorOf(r *http.Request) string {
	a, _ := r.Context().Value(actorKey).(string)
	return a
}

// identityOf returns the identity the caller's token speaks for, nil in
// local mode.
func identityOf(r *http.Request) *access.Identity {
	id, _ := r.Context().Value(identityKey).(*access.Identity)
	return id
}

// wrap adds to a route what every route has: security headers, the host
// check of local mode, authentication and the latency histogram.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.metrics.httpDuration.WithLabelValues(rt.method+" "+rt.pattern, fmt.Sprint(sw.status)).Observe(time.Since(start).Seconds())
		}()
		h := sw.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if s.local() && !loopbackHost(r.Host) {
			// A local server answers only to its own names, so that a web
			// page cannot reach it by pointing a domain at 127.0.0.1.
			s.fail(sw, r, rt, &domain.Error{Kind: domain.KindUnauthorized, Field: "Host",
				Msg: fmt.Sprintf("this ledger serves loopback only and answers to localhost, not to %q; give serve --tokens to serve other hosts", r.Host)})
			return
		}
		if rt.auth != public {
			id, err := s.authenticate(r, rt)
			if err != nil {
				s.fail(sw, r, rt, err)
				return
			}
			if id == nil {
				r = r.WithContext(context.WithValue(r.Context(), actorKey, strings.TrimSpace(r.Header.Get("X-Ledger-Actor"))))
			} else {
				ctx := context.WithValue(context.WithValue(r.Context(), actorKey, id.Actor), identityKey, id)
				var end func()
				r, end = s.track(r.WithContext(ctx), id.TokenID)
				defer end()
			}
		}
		rt.h(sw, r)
	})
}

// fail answers an error the way the route speaks: JSON for the API, a
// page for the dashboard.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rt route, err error) {
	if rt.auth == feedReader && Status(err) == http.StatusUnauthorized {
		// A feed reader asks its user for credentials when told it may.
		w.Header().Add("WWW-Authenticate", `Basic realm="ledger feeds", charset="UTF-8"`)
	}
	if rt.page {
		s.pages.error(w, r, err)
		return
	}
	s.writeError(w, r, err)
}

// authenticate finds who the caller is: nil in local mode; with tokens,
// the identity of the bearer token or, for reads and the dashboard's
// forms (which carry a CSRF token), of the cookie the login page set;
// never a token in the URL, which would end up in logs, but for a feed,
// whose reader may send no header (feedToken).
func (s *Server) authenticate(r *http.Request, rt route) (*access.Identity, error) {
	if s.local() {
		return nil, nil
	}
	tok, fromHeader := bearer(r)
	if tok == "" && rt.auth == feedReader {
		if ft := feedToken(r); ft != "" {
			tok, fromHeader = ft, true
		}
	}
	if !fromHeader && (rt.page || r.Method == http.MethodGet) {
		if c, err := r.Cookie(tokenCookie); err == nil {
			tok = c.Value
		}
	}
	if tok == "" {
		return nil, unauthenticated("this ledger needs a token: send Authorization: Bearer <token> (make one with \"ledger token add ACTOR\")")
	}
	id, ok := s.cfg.Access.Authenticate("", tok)
	if !ok {
		return nil, unauthenticated("the token is not known or was revoked: make a new one with \"ledger token add ACTOR\"")
	}
	return &id, nil
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(tok), true
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// CheckListen refuses an address a server without tokens must not listen
// on: anything but a loopback address.
func CheckListen(addr string, tokens bool) error {
	if tokens {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--http %q is not host:port: %w", addr, err)
	}
	if host == "" || !loopbackHost(host) {
		return fmt.Errorf("--http %s is not a loopback address: without --tokens the API trusts X-Ledger-Actor, so anyone who can reach it could decide as anyone; listen on 127.0.0.1, or make tokens with \"ledger token add ACTOR\" and pass --tokens", addr)
	}
	return nil
}

// Listen opens addr for Serve, refusing, without tokens, any address
// but loopback (see CheckListen).
func (s *Server) Listen(addr string) (net.Listener, error) {
	if err := CheckListen(addr, !s.local()); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s for HTTP: %w", addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then shuts down, letting requests in
// flight finish for up to five seconds; event streams end with ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	<-errc
	return nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush lets server-sent events through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
