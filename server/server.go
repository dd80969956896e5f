package server

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/hook"
	"github.com/decisionledger/ledger/httpapi"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// Options say what to start.
type Options struct {
	// Handler is the one write path both edges share (required): the
	// service and the HTTP API send their decisions to it, counted by the
	// metrics, and the query facade waits for its writes (read your
	// writes).
	Handler *command.Handler
	// SnapshotEvery is the events between two snapshots of the live
	// projections (replay.DefaultEvery when 0).
	SnapshotEvery int
	// Now is the clock compare and the dashboard read; time.Now when nil.
	Now func() time.Time
	// Logf hears of failures that stop nothing; silent when nil.
	Logf func(format string, args ...any)
	// Access checks the callers' tokens on both edges; nil is local mode
	// (the caller names the actor).
	Access *access.Registry
	// NoService leaves the NATS service out (a test of the HTTP API alone).
	NoService bool
	// HTTP is the address the HTTP API and dashboard listen on; empty or
	// "off" builds the server (Ledger.HTTP, for a test's httptest server)
	// without listening.
	HTTP string
	// NoHTTP leaves the HTTP API out altogether.
	NoHTTP bool
	// Checkpoints signs an audit checkpoint when a caller asks the
	// service for one (ledger audit checkpoint while serve runs); nil
	// answers that serve has no key.
	Checkpoints service.Signer
	// Owners, with several serve instances on one NATS system, holds the
	// leases of the products whose decisions this instance writes: the
	// service sends a decision about another product to its owner, and so
	// does the HTTP API, through the service. Start takes it over: it is
	// closed (the leases given back) after the service stops, or when
	// Start fails. Nil on an embedded store, the only writer.
	Owners *eventstore.Owners
	// MaxEventStreams and MaxImport are the HTTP API's bounds (its
	// defaults when 0).
	MaxEventStreams int
	MaxImport       int64
	// Notify is the subscriptions file of the outgoing webhooks
	// ("ledger notify add"), re-read while serve runs; empty for none.
	Notify string
	// Hooks is the hooks file (<data dir>/hooks) whose trackers' webhooks
	// the HTTP API takes (POST /hooks/...); "" takes none. HookMaxAge is
	// how old a delivery with a signed time may be (hook.DefaultMaxAge
	// when 0; negative: no check, for a replay of old history).
	Hooks      string
	HookMaxAge time.Duration
}

// Ledger is the running composition.
type Ledger struct {
	Live    *query.Live
	Query   *query.Service
	Handler *command.Handler
	Metrics *httpapi.Metrics
	// Service is the NATS service, nil with NoService.
	Service *service.Service
	// HTTP is the HTTP API and dashboard, nil with NoHTTP; Addr is where
	// it listens, nil when it does not.
	HTTP *httpapi.Server
	Addr net.Addr
	// Warmed is closed once every product's write state is caught up (and
	// snapshotted) in the background; WarmErr then says why not.
	Warmed  <-chan struct{}
	WarmErr error

	steps []Step
}

// Step is one part of the composition to stop, named for a report of
// what a shutdown waited for.
type Step struct {
	Name string
	Stop func()
}

// Start starts the composition over s until ctx ends or Stop. On error
// nothing it started is left running.
func Start(ctx context.Context, s *eventstore.Store, o Options) (*Ledger, error) {
	if o.Handler == nil {
		return nil, errors.New("server: no command handler")
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &Ledger{Handler: o.Handler}
	l.Live = query.NewLive(s, s.Snapshots(), o.SnapshotEvery, o.Logf)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = l.Live.Run(ctx)
	}()
	// The write state of every product is caught up now, in the
	// background, rather than by the first decision about it: on a long
	// history without a write-state snapshot (after an import, say) that
	// first decision would otherwise wait for the whole history, and the
	// catch-up stores a snapshot so that the next start does not.
	warmed := make(chan struct{})
	l.Warmed = warmed
	go func() {
		defer close(warmed)
		if err := o.Handler.CatchUpAll(ctx, s); err != nil && ctx.Err() == nil {
			l.WarmErr = err
			o.Logf("%v", err)
		}
	}()
	live := Step{"the live projections and the write states' catch-up", func() { cancel(); <-done; <-warmed }}
	l.Query = query.New(s, s.Snapshots())
	l.Query.SetClock(o.Now)
	l.Query.UseLive(l.Live, o.Handler.LastSeq)
	// Both edges share the handler, counted so that /metrics sees the
	// refusals of every edge.
	l.Metrics = httpapi.NewMetrics()
	cmds := l.Metrics.Commander(o.Handler)
	var steps []Step
	if !o.NoService {
		opt := service.Options{Logf: o.Logf, Access: o.Access, Imports: o.Handler, Checkpoints: o.Checkpoints}
		if o.Owners != nil {
			opt.Owners = o.Owners
		}
		svc, err := service.Start(s.Conn(), cmds, l.Query, opt)
		if err != nil {
			closeOwners(o.Owners)
			live.Stop()
			return nil, err
		}
		l.Service = svc
		// The service waits for its requests in flight (up to its 30 s
		// timeout each); then the products' leases are given back, for
		// the other instances to take.
		steps = append(steps, Step{"the NATS service's requests in flight", func() {
			svc.Stop()
			closeOwners(o.Owners)
		}})
		if o.Owners != nil {
			// With several instances, the HTTP API's decisions go to the
			// product's owner too.
			cmds = svc
		}
	} else {
		closeOwners(o.Owners)
	}
	steps = append(steps, live)
	if !o.NoHTTP {
		stopHTTP, err := l.startHTTP(ctx, s, cmds, o)
		if err != nil {
			stopAll(steps)
			return nil, err
		}
		// The HTTP server waits for its requests in flight (5 s).
		steps = append([]Step{{"the HTTP requests and event streams in flight", stopHTTP}}, steps...)
	}
	if o.Notify != "" {
		steps = append([]Step{startNotify(ctx, s, o.Notify, o)}, steps...)
	}
	l.steps = steps
	return l, nil
}

func (l *Ledger) startHTTP(ctx context.Context, s *eventstore.Store, cmds httpapi.Commander, o Options) (stop func(), err error) {
	cfg := httpapi.Config{Commands: cmds, Imports: o.Handler, Views: l.Query, Metrics: l.Metrics, Logf: o.Logf, Now: o.Now,
		Access: o.Access, MaxEventStreams: o.MaxEventStreams, MaxImport: o.MaxImport}
	if o.Hooks != "" {
		if cfg.Hooks, err = startHooks(ctx, s, o); err != nil {
			return nil, err
		}
	}
	srv, err := httpapi.New(cfg)
	if err != nil {
		return nil, err
	}
	l.HTTP = srv
	if o.HTTP == "" || o.HTTP == "off" {
		return func() {}, nil
	}
	ln, err := srv.Listen(o.HTTP)
	if err != nil {
		return nil, err
	}
	l.Addr = ln.Addr()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
			o.Logf("HTTP server stopped: %v", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}

// Steps are the parts to stop, in the order to stop them when one after
// another: the HTTP API, the NATS service, the live projections. Each
// lets its work in flight finish; a caller with a deadline may run them
// side by side.
func (l *Ledger) Steps() []Step { return append([]Step(nil), l.steps...) }

// Stop stops every part, one after another, and waits for the command
// handler's snapshots being stored.
func (l *Ledger) Stop() {
	stopAll(l.steps)
	l.Handler.Wait()
}

// closeOwners gives the leases back, when there are any.
func closeOwners(o *eventstore.Owners) {
	if o != nil {
		o.Close()
	}
}

func stopAll(steps []Step) {
	for _, s := range steps {
		s.Stop()
	}
}

// hooks is the receiver as the HTTP API sees it.
type hooks struct{ r *hook.Receiver }

func (h hooks) Deliver(ctx context.Context, d httpapi.HookDelivery) (any, error) {
	return h.r.Deliver(ctx, hook.Delivery{Tracker: d.Tracker, Hook: d.Hook, Header: d.Header, Query: d.Query, Body: d.Body})
}

// startHooks makes the receiver of the hooks file's webhooks, which
// records through the handler as an import does.
func startHooks(ctx context.Context, s *eventstore.Store, o Options) (httpapi.Hooks, error) {
	reg, err := hook.Open(o.Hooks)
	if err != nil {
		return nil, err
	}
	d, err := s.Deliveries(ctx)
	if err != nil {
		return nil, err
	}
	age := o.HookMaxAge
	switch {
	case age == 0:
		age = hook.DefaultMaxAge
	case age < 0:
		age = 0
	}
	return hooks{hook.NewReceiver(reg, d, o.Handler, hook.Options{MaxAge: age, Now: o.Now})}, nil
}
