package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// Name is the micro service's name: `nats micro info ledger`.
const Name = "ledger"

// Version is the service's API version.
const Version = "1.0.0"

// The subjects of the API.
const (
	Prefix         = "ledgerapi.v1"
	CommandSubject = Prefix + ".command"
	ViewPrefix     = Prefix + ".view."
)

// Commander records decisions; *command.Handler is one.
type Commander interface {
	// Do decodes and executes one request, returning once it is durable.
	// Errors are *domain.Error values where the user is at fault. Safe for
	// concurrent use.
	Do(ctx context.Context, r command.Request) (command.Output, error)
}

// Viewer answers views; *query.Service is one.
type Viewer interface {
	// View answers the named view with its options; an unknown view or
	// option is a KindMalformed error. Safe for concurrent use.
	View(ctx context.Context, name string, o query.Options) (any, error)
}

// Options tune a running service; the zero value is usable.
type Options struct {
	// Timeout bounds the work on one request (default 30 s).
	Timeout time.Duration
	// Concurrency bounds the requests worked on at once (default 64).
	Concurrency int
	// Logf hears of failures to reply.
	Logf func(format string, args ...any)
	// Access says who the callers are and whom they may act for. A
	// request that crossed from the clients' account carries the
	// identity NATS authenticated (Nats-Request-Info, shared by the
	// service import): it decides as that actor, or relays for the actor
	// it names when that identity may. A request from the store's own
	// account (serve itself, another instance) carries none and decides
	// as the actor it names. Nil trusts every request's actor (tests).
	// An import needs the right to act for others (access.Relay).
	Access *access.Registry
	// Imports records imports (ledgerapi.v1.import); nil takes the
	// Commander when it is an Importer too.
	Imports Importer
	// ImportTimeout bounds the work on one import (default
	// command.ImportTimeout).
	ImportTimeout time.Duration
	// UploadIdle is how long an upload waits for its next part (default
	// UploadIdle); MaxUploads bounds the bytes of the uploads held at
	// once (default command.MaxImport).
	UploadIdle time.Duration
	MaxUploads int
	// PageLimit bounds the elements of a list view one answer holds
	// (default query.PageSize): a caller that asks for more, or for no
	// limit, gets a page and its next cursor.
	PageLimit int
	// Checkpoints signs audit checkpoints when asked on
	// CheckpointSubject (a caller with the right to audit); nil answers
	// that this service signs none.
	Checkpoints Signer
	// Owners, with several instances on one NATS system, says which one
	// writes each product's decisions: a decision about a product another
	// instance owns is sent on to it (OwnerPrefix). Nil: this instance
	// writes every product (the embedded store, one serve).
	Owners Owners
}

// Service is a running ledger service.
type Service struct {
	nc     *nats.Conn
	svc    micro.Service
	cmd    Commander
	imp    Importer
	views  Viewer
	opt    Options
	sem    chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	up uploads
	// partSubject is where the parts of this instance's uploads go.
	partSubject string
}

// Start registers the ledger service on nc. Several processes may start
// it on one NATS system: requests are spread over them (one queue group).
func Start(nc *nats.Conn, cmd Commander, views Viewer, opt Options) (*Service, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 64
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	if opt.ImportTimeout <= 0 {
		opt.ImportTimeout = command.ImportTimeout
	}
	if opt.UploadIdle <= 0 {
		opt.UploadIdle = UploadIdle
	}
	if opt.MaxUploads <= 0 {
		opt.MaxUploads = command.MaxImport
	}
	if opt.PageLimit <= 0 {
		opt.PageLimit = query.PageSize
	}
	s := &Service{nc: nc, cmd: cmd, views: views, opt: opt, sem: make(chan struct{}, opt.Concurrency)}
	s.imp, _ = cmd.(Importer)
	if opt.Imports != nil {
		s.imp = opt.Imports
	}
	s.up.open = map[string]*upload{}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	svc, err := micro.AddService(nc, micro.Config{
		Name:        Name,
		Version:     Version,
		Description: "Decision Ledger: record decisions (command), import a tracker's history (import), read views (view.<name>)",
		QueueGroup:  "ledger",
	})
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("cannot register the ledger service: %w", err)
	}
	s.svc = svc
	g := svc.AddGroup(Prefix)
	if err := g.AddEndpoint("command", s.handler(s.command), micro.WithEndpointMetadata(map[string]string{
		"description": "record a decision: {\"action\",\"product\",\"actor\",\"commandId\",\"at\",\"args\"}; actions: " + strings.Join(command.Actions(), ", "),
	})); err != nil {
		s.Stop()
		return nil, fmt.Errorf("cannot add the command endpoint: %w", err)
	}
	// The decisions other instances send on to this one, for the
	// products it owns: its own subject.
	if opt.Owners != nil {
		if err := g.AddEndpoint("command-owned", s.handler(s.command), micro.WithEndpointSubject(strings.TrimPrefix(OwnerPrefix, Prefix+".")+opt.Owners.ID()),
			micro.WithEndpointMetadata(map[string]string{"description": "the decisions about the products this instance writes, sent on by the other instances"})); err != nil {
			s.Stop()
			return nil, fmt.Errorf("cannot add the owned-command endpoint: %w", err)
		}
	}
	// An upload's parts go to the instance that opened it: its own
	// subject, which only it serves.
	s.partSubject = UploadSubject + "." + svc.Info().ID
	for _, e := range []struct {
		name, subject string
		timeout       time.Duration
		fn            func(context.Context, micro.Request) (any, error)
		description   string
	}{
		{"import", "import", opt.ImportTimeout, s.importOne,
			"import a tracker's history: {\"format\",\"product\",\"map\",\"files\",\"dryRun\"}, the map and the export files as base64; formats: " + strings.Join(command.ImportFormats(), ", ")},
		{"import-upload", "import.upload", s.opt.Timeout, s.openUpload,
			"open the upload of an import over 1 MiB: {\"size\":N}; the answer names the subject its parts go to"},
		{"import-part", strings.TrimPrefix(s.partSubject, Prefix+"."), opt.ImportTimeout, s.part,
			"a part of an upload (headers Ledger-Upload and Ledger-Part); the part that completes it answers the import"},
		{"audit-checkpoint", "audit.checkpoint", s.opt.Timeout, s.checkpoint,
			"sign an audit checkpoint of the ledger now with serve's key (needs the right to audit); the body is empty or {}"},
	} {
		if err := g.AddEndpoint(e.name, s.handlerFor(e.timeout, e.fn), micro.WithEndpointSubject(e.subject),
			micro.WithEndpointMetadata(map[string]string{"description": e.description})); err != nil {
			s.Stop()
			return nil, fmt.Errorf("cannot add the %s endpoint: %w", e.name, err)
		}
	}
	// One endpoint per view of the catalogue.
	for _, v := range query.Catalogue() {
		name := v.Name
		if err := g.AddEndpoint("view-"+name, s.handler(func(ctx context.Context, req micro.Request) (any, error) {
			if _, err := s.caller(req); err != nil {
				return nil, err
			}
			return s.view(ctx, name, req.Data())
		}), micro.WithEndpointSubject("view."+name), micro.WithEndpointMetadata(map[string]string{
			"description": viewDescription(v),
		})); err != nil {
			s.Stop()
			return nil, fmt.Errorf("cannot add the %s view endpoint: %w", name, err)
		}
	}
	// Subscriptions reach the server asynchronously: without a round
	// trip, a client told that the service runs (serve prints so once
	// Start returns) could still be answered "no responders".
	if err := nc.Flush(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("cannot register the ledger service: %w", err)
	}
	return s, nil
}

// Stop unregisters the service, waits for the requests in flight and
// drops the uploads not complete.
func (s *Service) Stop() {
	if s.svc != nil {
		_ = s.svc.Stop()
	}
	s.wg.Wait()
	s.cancel()
	s.dropUploads()
}

// handler runs fn on its own goroutine, bounded by the concurrency limit
// and the request timeout, and replies with its JSON or its error.
func (s *Service) handler(fn func(ctx context.Context, req micro.Request) (any, error)) micro.Handler {
	return s.handlerFor(s.opt.Timeout, fn)
}

// handlerFor is handler with its own bound on the work of one request.
func (s *Service) handlerFor(timeout time.Duration, fn func(ctx context.Context, req micro.Request) (any, error)) micro.Handler {
	return micro.HandlerFunc(func(req micro.Request) {
		s.sem <- struct{}{}
		s.wg.Add(1)
		go func() {
			defer func() { <-s.sem; s.wg.Done() }()
			ctx, cancel := context.WithTimeout(s.ctx, timeout)
			defer cancel()
			defer func() {
				// One request that panics must not stop the service: it is
				// answered as an internal error and logged.
				if p := recover(); p != nil {
					s.opt.Logf("ledger service: request on %s panicked: %v", req.Subject(), p)
					_, b := body(fmt.Errorf("internal error: %v", p))
					_ = replyError(req, 500, "internal error", b)
				}
			}()
			var v any
			var err error
			if n := len(req.Data()); n > MaxRequest {
				// The embedded server carries 8 MiB for the answers; a
				// request is a command, a view's options or a part of
				// an upload, and one larger than the HTTP API's command
				// bodies is refused unread.
				err = domain.Malformed("", "the request is %s, over the %s a request may be (an import over it is uploaded in parts: see %s)", sizeText(int64(n)), sizeText(MaxRequest), UploadSubject)
			} else {
				v, err = fn(ctx, req)
			}
			if f, ok := v.(forwarded); ok && err == nil {
				if rerr := respondForwarded(req, f); rerr != nil {
					s.opt.Logf("ledger service: reply to %s: %v", req.Subject(), rerr)
				}
				return
			}
			if err == nil {
				b, isRaw := v.(json.RawMessage) // a view's page, encoded to fit already
				if !isRaw {
					b, err = json.Marshal(v)
				}
				if err == nil {
					err = s.fits(req.Subject(), len(b))
				}
				if err == nil {
					if rerr := req.Respond(b); rerr != nil {
						s.opt.Logf("ledger service: reply to %s: %v", req.Subject(), rerr)
					}
					return
				}
			}
			code, b := body(err)
			if rerr := replyError(req, code, oneLine(err.Error()), b); rerr != nil {
				s.opt.Logf("ledger service: error reply to %s: %v", req.Subject(), rerr)
			}
		}()
	})
}

func (s *Service) command(ctx context.Context, req micro.Request) (any, error) {
	r, err := DecodeRequest(req.Data())
	if err != nil {
		return nil, err
	}
	caller, err := s.caller(req)
	if err != nil {
		return nil, err
	}
	if s.opt.Access != nil {
		if r.Actor, r.RelayedBy, err = access.Act(caller, r.Actor); err != nil {
			return nil, err
		}
	}
	if caller == nil {
		// From the store's own account: another instance sending on a
		// decision it authenticated, with who relays it.
		r.RelayedBy = req.Headers().Get(relayedByHeader)
	}
	if s.opt.Owners != nil {
		return s.toOwner(ctx, r)
	}
	return s.cmd.Do(ctx, r)
}

// viewDescription is what `nats micro info ledger` says of a view's
// endpoint: what it answers and the options its body takes.
func viewDescription(v *query.View) string {
	var opts []string
	if !v.Ledger {
		opts = append(opts, "product")
	}
	for _, p := range v.Params {
		opts = append(opts, p.Name)
	}
	d := "the " + v.Name + " view: " + v.Doc
	if len(opts) > 0 {
		d += "; the body is its options as JSON: " + strings.Join(opts, ", ")
	}
	return d
}

// requestInfo is what the NATS server says of a requester in the
// Nats-Request-Info header when a request crosses a service import that
// shares it: the account and the user it authenticated.
type requestInfo struct {
	Account string `json:"acc"`
	User    string `json:"user"`
}

// caller returns who sent req: nil for a request from the store's own
// account (it carries no Nats-Request-Info: the server sets that header
// on every request that crosses the import, whatever the client sent) or
// any caller in local mode; the identity the server authenticated
// otherwise. A request without credentials once tokens
// exist is refused.
func (s *Service) caller(req micro.Request) (*access.Identity, error) {
	if s.opt.Access == nil {
		return nil, nil
	}
	h := req.Headers().Get(requestInfoHeader)
	if h == "" {
		return nil, nil
	}
	var ri requestInfo
	if err := json.Unmarshal([]byte(h), &ri); err != nil {
		return nil, fmt.Errorf("the NATS server's %s header cannot be read: %w", requestInfoHeader, err)
	}
	if s.opt.Access.Local() {
		// Local mode: one user, who names whoever decides; nothing is
		// relayed.
		return nil, nil
	}
	if ri.User == "" {
		return nil, &domain.Error{Kind: domain.KindUnauthorized, Msg: "this ledger needs a token now that tokens exist: reconnect with --token (ledger token add ACTOR makes one)"}
	}
	id := s.opt.Access.Identify(ri.User)
	return &id, nil
}

// requestInfoHeader is the header in which the NATS server names the
// requester of a request that crossed a service import sharing it
// (server.ClientInfoHdr).
const requestInfoHeader = "Nats-Request-Info"

// view answers a view. A list view answers one page of at most
// PageLimit elements, fewer when they would not fit in one NATS message:
// no answer depends on the size of the list, and the page's next cursor
// says where to go on.
func (s *Service) view(ctx context.Context, name string, data []byte) (any, error) {
	o, err := query.DecodeOptions(data)
	if err != nil {
		return nil, err
	}
	v, ok := query.Lookup(name)
	if !ok || !v.Paged() {
		return s.views.View(ctx, name, o)
	}
	if o.Limit == 0 || o.Limit > s.opt.PageLimit { // a negative one is the view's to refuse
		o.Limit = s.opt.PageLimit
	}
	room := s.room()
	for {
		a, err := s.views.View(ctx, name, o)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		n, isList := v.Len(a)
		if !isList || room <= 0 || int64(len(b)) <= room || n <= 1 {
			return json.RawMessage(b), nil // fits, or cannot be split (fits then says so)
		}
		// Too large for one message: ask again for as many elements as
		// fit, with a margin, as the answer's size per element says.
		o.Limit = max(1, min(n-1, int(float64(n)*float64(room)/float64(len(b))*0.9)))
	}
}

// room is the largest answer one NATS message carries on this connection,
// 0 when it cannot tell.
func (s *Service) room() int64 {
	if limit := s.nc.MaxPayload(); limit > replyRoom {
		return limit - replyRoom
	}
	return 0
}

// MaxRequest is the largest request the service reads, as the HTTP API's
// largest body.
const MaxRequest = 1 << 20

// replyRoom is what a reply leaves of the server's message limit for
// its headers and the protocol around it.
const replyRoom = 8 << 10

// fits refuses an answer too large for one NATS message, which the
// server would drop without a word and leave the caller waiting until it
// gives up: it says how large the answer is, what the limit is and what
// to do instead.
func (s *Service) fits(subject string, n int) error {
	limit := s.nc.MaxPayload()
	if limit <= 0 || int64(n) <= limit-replyRoom {
		return nil
	}
	// A list view's page is made to fit (see view): what is left is a
	// view that is no list, or one element over the limit.
	what := "this answer"
	if name, ok := strings.CutPrefix(subject, ViewPrefix); ok {
		what = "the " + name + " view"
	}
	return domain.Invalid("", "%s is %s, over the %s this NATS server allows in one message (max_payload): "+
		"narrow it (a status filter, one item, a date range), read it over the HTTP API (ledger serve --http), "+
		"or raise max_payload on the NATS server", what, sizeText(int64(n)), sizeText(limit-replyRoom))
}

// sizeText is a byte count for people.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// replyError sends an error reply with micro's error headers. It does not
// use Request.Error: that records the error on the request, which micro
// reads once the handler returns, and this service answers from its own
// goroutine after that (a data race). The wire form is the same.
func replyError(req micro.Request, code int, description string, data []byte) error {
	return req.Respond(data, micro.WithHeaders(micro.Headers{
		micro.ErrorHeader:     []string{description},
		micro.ErrorCodeHeader: []string{strconv.Itoa(code)},
	}))
}

// DecodeRequest reads a command request strictly: unknown fields, values
// of the wrong type and trailing data are KindMalformed errors naming the
// field.
func DecodeRequest(data []byte) (command.Request, error) {
	var r command.Request
	if len(bytes.TrimSpace(data)) == 0 {
		return r, domain.Malformed("", "the request is empty: send {\"action\",\"product\",\"actor\",\"commandId\",\"at\",\"args\"}")
	}
	err := domain.DecodeStrict(data, &r, "the request", func(name string) string {
		return fmt.Sprintf("unknown field %q: a request has action, product, actor, commandId, at and args", name)
	})
	return r, err
}

// oneLine folds a message into one header-safe line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
