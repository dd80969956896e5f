package bench

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/httpapi"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/replay"
	"github.com/decisionledger/ledger/server"
	"github.com/decisionledger/ledger/service"
)

// serving is the service as serve runs it (the server package's
// composition): live projections, the query facade over them, the
// command handler, the NATS micro service and the HTTP API (built, not
// listening: the HTTP row serves it beside its baseline).
type serving struct {
	live    *query.Live
	q       *query.Service
	handler *command.Handler
	svc     *service.Service
	http    *httpapi.Server
	client  *service.Client
	// svcConn is the connection the client and the service share.
	svcConn *nats.Conn
	stop    func()
	// warmed is closed once every product's write state is caught up;
	// warmErr says why not.
	warmed  <-chan struct{}
	warmErr func() error
}

func startServing(ctx context.Context, s *eventstore.Store) (*serving, error) {
	h := command.New(s, nil, command.WithSnapshots(s.WriteStates(), command.DefaultSnapshotEvery))
	l, err := server.Start(ctx, s, server.Options{Handler: h, SnapshotEvery: replay.DefaultEvery})
	if err != nil {
		return nil, err
	}
	return &serving{live: l.Live, q: l.Query, handler: h, svc: l.Service, http: l.HTTP, client: service.NewClient(s.Conn()), svcConn: s.Conn(),
		stop: l.Stop, warmed: l.Warmed, warmErr: func() error { return l.WarmErr }}, nil
}

// waitLive waits until the live projections follow every product at its
// last sequence.
func (sv *serving) waitLive(ctx context.Context, last map[string]uint64) error {
	for {
		ready := true
		for p, seq := range last {
			if sv.live.Position(p) < seq {
				ready = false
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
