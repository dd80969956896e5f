package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/httpapi"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// extraCommands are the read commands: projections, replay and audit.
func (a *app) extraCommands() []*cobra.Command {
	audit := a.auditCommand()
	audit.GroupID = "run"
	token := a.tokenCommand()
	token.GroupID = "run"
	bench := a.benchCommand()
	bench.GroupID = "run"
	return append([]*cobra.Command{a.showCommand(), a.whyCommand(), a.decisionsCommand(), a.productsCommand(), audit, token, a.importCommand(), bench}, a.replayCommands()...)
}

// startBackground starts what serve runs beside the store: the live
// projections, the ledger service and the HTTP API over them and the
// command handler, and the checkpoints. It returns the steps that stop
// them (see stopTogether): each ends its part, letting its work in flight
// finish for as long as the caller waits.
func (a *app) startBackground(ctx context.Context) (stops []stopStep, err error) {
	s := a.store
	ctx, cancel := context.WithCancel(ctx)
	a.live = query.NewLive(s, s.Snapshots(), a.snapshotEvery, func(format string, args ...any) {
		a.warnf(format, args...)
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.live.Run(ctx)
	}()
	// The write state of every product is caught up now, in the
	// background, rather than by the first decision about it: on a long
	// history without a write-state snapshot (after an import, say) that
	// first decision would otherwise wait for the whole history, and the
	// catch-up stores a snapshot so that the next start does not.
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		if err := a.handler.CatchUpAll(ctx, s); err != nil && ctx.Err() == nil {
			a.warnf("%v", err)
		}
	}()
	live := stopStep{"the live projections and the write states' catch-up", func() { cancel(); <-done; <-warmed }}
	q := query.New(s, s.Snapshots())
	q.SetClock(a.now)
	q.UseLive(a.live, a.handler.LastSeq)
	// Both edges share the handler, counted so that /metrics sees the
	// refusals of every edge.
	metrics := httpapi.NewMetrics()
	cmds := metrics.Commander(a.handler)
	// One signer of checkpoints for the schedule and for the callers who
	// ask for one (ledger audit checkpoint while serve runs).
	signer := a.serveSigner(s)
	opt := service.Options{Logf: a.warnf, Access: a.access, Imports: a.handler, Checkpoints: signer}
	var owners *eventstore.Owners
	if !s.Embedded() {
		// Several serve instances may share this NATS system: each
		// product's decisions go to the one instance that holds its lease,
		// taken over by another within the lease's TTL when it dies.
		if owners, err = s.Owners(ctx, command.NewID(), eventstore.DefaultOwnerTTL); err != nil {
			live.stop()
			return nil, err
		}
		opt.Owners, a.instance = owners, owners.ID()
	}
	svc, err := service.Start(s.Conn(), cmds, q, opt)
	if err != nil {
		if owners != nil {
			owners.Close()
		}
		live.stop()
		return nil, err
	}
	// The service waits for its requests in flight (up to its 30 s
	// timeout each), the HTTP server for its own (5 s); then the
	// products' leases are given back, for the other instances to take.
	nats := stopStep{"the NATS service's requests in flight", func() {
		svc.Stop()
		if owners != nil {
			owners.Close()
		}
	}}
	// With several instances, the HTTP API's decisions go to the
	// product's owner too.
	httpCmds := cmds
	if owners != nil {
		httpCmds = svc
	}
	stopHTTP, err := a.startHTTP(ctx, httpCmds, a.handler, q, metrics)
	if err != nil {
		stopTogether([]stopStep{nats, live}, time.Time{})
		return nil, err
	}
	stops = []stopStep{{"the HTTP requests and event streams in flight", stopHTTP}, nats, live}
	if a.checkpointEvery <= 0 && a.checkpointInterval <= 0 {
		return stops, nil
	}
	stopCheckpoints, err := signer.start(ctx, a.checkpointEvery, a.checkpointInterval)
	if err != nil {
		stopTogether(stops, time.Time{})
		return nil, err
	}
	return append(stops, stopStep{"the last checkpoint", stopCheckpoints}), nil
}
