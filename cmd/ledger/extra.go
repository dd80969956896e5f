package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
)

// extraCommands are the read commands: projections, replay and audit.
func (a *app) extraCommands() []*cobra.Command {
	audit := a.auditCommand()
	audit.GroupID = "run"
	return []*cobra.Command{a.showCommand(), a.whyCommand(), audit}
}

// asOfFunc answers "as of" questions over the store.
func (a *app) asOfFunc(s *eventstore.Store) query.AsOfFunc {
	return nil
}

// startBackground starts what serve runs beside the store (live
// projections, checkpoints); stop ends it.
func (a *app) startBackground(ctx context.Context) (stop func(), err error) {
	if a.checkpointEvery <= 0 && a.checkpointInterval <= 0 {
		return func() {}, nil
	}
	return a.auditCheckpointer(ctx, a.store, a.checkpointEvery, a.checkpointInterval)
}
