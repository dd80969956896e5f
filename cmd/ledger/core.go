package main

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// core is the ledger as a command sees it: the one way to record a
// decision and the one way to read a view. It is the local handler and
// query facade over the store this process opened, or the ledger service
// of the `ledger serve` that owns the data directory (or runs on the NATS
// given with --nats): commands never read the stream or decide themselves.
type core interface {
	// Do records one decision.
	Do(ctx context.Context, r command.Request) (command.Output, error)
	// View answers the named view into out, a pointer to its type.
	View(ctx context.Context, name string, o query.Options, out any) error
	// Pages calls fn with each page of the named view in turn (a value
	// of the type out points to), o.Limit elements a page (a default
	// page when 0), from o.After to the end of the list, or until fn's
	// first error: a list of any length in bounded memory.
	Pages(ctx context.Context, name string, o query.Options, out any, fn func(page any) error) error
	// Import records a tracker's history.
	Import(ctx context.Context, r command.ImportRequest) (command.ImportSummary, error)
}

// localCore runs the core in this process.
type localCore struct {
	h *command.Handler
	q *query.Service
	// relay is who relays the decisions this process records for
	// others: access.LocalActor once tokens exist (as when serve runs,
	// and this CLI signs in with its local credential), "" in local mode.
	relay string
}

func (c localCore) Do(ctx context.Context, r command.Request) (command.Output, error) {
	r.RelayedBy = c.relay
	return c.h.Do(ctx, r)
}

func (c localCore) Import(ctx context.Context, r command.ImportRequest) (command.ImportSummary, error) {
	r.RelayedBy = c.relay
	return c.h.Import(ctx, r)
}

func (c localCore) View(ctx context.Context, name string, o query.Options, out any) error {
	v, err := c.q.View(ctx, name, o)
	if err != nil {
		return err
	}
	dst := reflect.ValueOf(out).Elem()
	src := reflect.ValueOf(v)
	if src.Type() != dst.Type() && src.Kind() == reflect.Pointer {
		src = src.Elem()
	}
	if src.Type() != dst.Type() {
		return fmt.Errorf("view %s answers %s, not %s", name, src.Type(), dst.Type())
	}
	dst.Set(src)
	return nil
}

func (c localCore) Pages(ctx context.Context, name string, o query.Options, _ any, fn func(page any) error) error {
	return c.q.Pages(ctx, name, o, fn)
}

// serviceProbe bounds the wait for a ledger service to answer a ping.
const serviceProbe = 500 * time.Millisecond

// core returns the ledger's core: the service of the serve process that
// owns the data directory or runs on --nats, when one answers; else the
// handler and queries over the store opened here.
func (a *app) core(ctx context.Context) (core, error) {
	if a.theCore != nil {
		return a.theCore, nil
	}
	s, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	if !s.Embedded() && service.Available(ctx, s.Conn(), serviceProbe) {
		a.theCore = remoteCore{c: a.client(s.Conn()), timeout: a.timeout}
		return a.theCore, nil
	}
	if !s.Embedded() && a.natsURL == "" {
		// The serve that owns --data listens but its service does not
		// answer: it is starting (the service comes last) or it just
		// died. Its store is not ours to read or write: wait for the
		// service, within --timeout, rather than fail later on a dead
		// connection with "context deadline exceeded".
		deadline := time.Now().Add(a.timeout)
		for time.Now().Before(deadline) {
			if service.Available(ctx, s.Conn(), serviceProbe) {
				a.theCore = remoteCore{c: a.client(s.Conn()), timeout: a.timeout}
				return a.theCore, nil
			}
			if s.Conn().IsClosed() {
				break
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond): // no responders comes back at once
			}
		}
		return nil, fmt.Errorf("the \"ledger serve\" that owns data directory %q (at %s) does not answer: it is starting or has stopped; nothing was sent, retry", a.dataDir, s.ClientURL())
	}
	q := query.New(s, s.Snapshots())
	q.SetClock(a.now)
	lc := localCore{h: a.handler, q: q}
	if s.Embedded() {
		// The machine that holds the data directory writes as serve's
		// local credential would: once tokens exist, its decisions say
		// they were relayed by it, with serve running or not.
		reg, err := access.Open(a.tokensFile())
		if err != nil {
			return nil, err
		}
		if !reg.Local() {
			lc.relay = access.LocalActor
		}
	}
	a.theCore = lc
	return a.theCore, nil
}

// remoteCore is the ledger service of another process; each call waits
// at most timeout for its answer.
type remoteCore struct {
	c       *service.Client
	timeout time.Duration
}

func (c remoteCore) Do(ctx context.Context, r command.Request) (command.Output, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.c.Do(ctx, r)
}

// Import waits for serve as long as serve may work on an import
// (command.ImportTimeout), and --timeout beyond: reading, checking and
// storing a large export takes longer than a decision.
func (c remoteCore) Import(ctx context.Context, r command.ImportRequest) (command.ImportSummary, error) {
	ctx, cancel := context.WithTimeout(ctx, command.ImportTimeout+c.timeout)
	defer cancel()
	r.Progress = nil // the service does not report progress
	return c.c.Import(ctx, r)
}

func (c remoteCore) View(ctx context.Context, name string, o query.Options, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.c.View(ctx, name, o, out)
}

// Pages waits at most timeout for each page, however many the list has.
func (c remoteCore) Pages(ctx context.Context, name string, o query.Options, out any, fn func(page any) error) error {
	return c.c.Pages(ctx, name, o, out, fn)
}

// client is the service's client on nc, each request bounded by --timeout.
func (a *app) client(nc *nats.Conn) *service.Client {
	c := service.NewClient(nc)
	c.SetTimeout(a.timeout)
	return c
}

// executor records domain commands through a core (the demo's script).
type executor struct{ c core }

func (e executor) Execute(ctx context.Context, c domain.Command) (command.Result, error) {
	r, err := command.Encode(c)
	if err != nil {
		return command.Result{}, err
	}
	out, err := e.c.Do(ctx, r)
	if err != nil {
		return command.Result{}, err
	}
	return out.Result(), nil
}

// pages asks the core for a view of the current product page after page
// (see core.Pages).
func (a *app) pages(ctx context.Context, name string, o query.Options, out any, fn func(page any) error) error {
	c, err := a.core(ctx)
	if err != nil {
		return err
	}
	if name != query.ViewProducts && o.Product == "" {
		if o.Product, err = a.product(ctx); err != nil {
			return err
		}
	}
	return c.Pages(ctx, name, o, out, fn)
}

// view asks the core for a view of the current product.
func (a *app) view(ctx context.Context, name string, o query.Options, out any) error {
	c, err := a.core(ctx)
	if err != nil {
		return err
	}
	if name != query.ViewProducts && o.Product == "" {
		if o.Product, err = a.product(ctx); err != nil {
			return err
		}
	}
	return c.View(ctx, name, o, out)
}
