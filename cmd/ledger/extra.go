package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/query"
)

// extraCommands are the read commands: projections, replay and audit.
func (a *app) extraCommands() []*cobra.Command {
	audit := a.auditCommand()
	audit.GroupID = "run"
	return append([]*cobra.Command{a.showCommand(), a.whyCommand(), audit}, a.replayCommands()...)
}

// startBackground starts what serve runs beside the store (live
// projections, checkpoints); stop ends it.
func (a *app) startBackground(ctx context.Context) (stop func(), err error) {
	snaps, err := a.snapshotStore(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	a.live = query.NewLive(a.store, snaps, a.snapshotEvery, func(format string, args ...any) {
		a.warnf(format, args...)
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.live.Run(ctx)
	}()
	stopLive := func() { cancel(); <-done }
	if a.checkpointEvery <= 0 && a.checkpointInterval <= 0 {
		return stopLive, nil
	}
	stopCheckpoints, err := a.auditCheckpointer(ctx, a.store, a.checkpointEvery, a.checkpointInterval)
	if err != nil {
		stopLive()
		return nil, err
	}
	return func() { stopCheckpoints(); stopLive() }, nil
}
