package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/server"
)

// extraCommands are the read commands: projections, replay and audit.
func (a *app) extraCommands() []*cobra.Command {
	audit := a.auditCommand()
	audit.GroupID = "run"
	token := a.tokenCommand()
	token.GroupID = "run"
	bench := a.benchCommand()
	bench.GroupID = "run"
	return append([]*cobra.Command{a.showCommand(), a.whyCommand(), a.decisionsCommand(), a.productsCommand(), audit, token, a.hookCommand(), a.importCommand(), bench, a.notifyCommand()}, a.replayCommands()...)
}

// startBackground starts what serve runs beside the store, as the
// server package composes it: the live projections, the ledger service
// and the HTTP API over them and the command handler; and the
// checkpoints. It returns the steps that stop them (see stopTogether):
// each ends its part, letting its work in flight finish for as long as
// the caller waits.
func (a *app) startBackground(ctx context.Context) (stops []stopStep, err error) {
	s := a.store
	// One signer of checkpoints for the schedule and for the callers who
	// ask for one (ledger audit checkpoint while serve runs).
	signer := a.serveSigner(s)
	opt := server.Options{Handler: a.handler, SnapshotEvery: a.snapshotEvery, Now: a.now, Logf: a.warnf, Access: a.access,
		Checkpoints: signer, HTTP: a.web.addr, NoHTTP: a.web.addr == "off" || a.web.addr == "", Notify: a.notifyFile(), Hooks: filepath.Join(a.dataDir, "hooks")}
	if !s.Embedded() {
		// Several serve instances may share this NATS system: each
		// product's decisions go to the one instance that holds its lease,
		// taken over by another within the lease's TTL when it dies.
		owners, err := s.Owners(ctx, command.NewID(), eventstore.DefaultOwnerTTL)
		if err != nil {
			return nil, err
		}
		opt.Owners, a.instance = owners, owners.ID()
	}
	l, err := server.Start(ctx, s, opt)
	if err != nil {
		return nil, err
	}
	if l.Addr != nil {
		fmt.Fprintf(a.stdout, "dashboard and HTTP API: http://%s/   (API under /api/v1, /metrics for Prometheus)\n", l.Addr)
	}
	for _, st := range l.Steps() {
		stops = append(stops, stopStep{st.Name, st.Stop})
	}
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
