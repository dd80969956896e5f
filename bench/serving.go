package bench

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/replay"
	"github.com/decisionledger/ledger/service"
)

// serving is the service as serve runs it: live projections, the query
// facade over them, the command handler and the NATS micro service.
type serving struct {
	live    *query.Live
	q       *query.Service
	handler *command.Handler
	svc     *service.Service
	client  *service.Client
	// svcConn is the connection the client and the service share.
	svcConn *nats.Conn
	stop    func()
	// warmed is closed once every product's write state is caught up;
	// warmErr says why not.
	warmed  chan struct{}
	warmErr error
}

func startServing(ctx context.Context, s *eventstore.Store) (*serving, error) {
	ctx, cancel := context.WithCancel(ctx)
	sv := &serving{handler: command.New(s, nil, command.WithSnapshots(s.WriteStates(), command.DefaultSnapshotEvery))}
	sv.live = query.NewLive(s, s.Snapshots(), replay.DefaultEvery, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sv.live.Run(ctx)
	}()
	sv.q = query.New(s, s.Snapshots())
	sv.q.UseLive(sv.live, sv.handler.LastSeq)
	svc, err := service.Start(s.Conn(), sv.handler, sv.q, service.Options{})
	if err != nil {
		cancel()
		<-done
		return nil, err
	}
	sv.svc, sv.client, sv.svcConn = svc, service.NewClient(s.Conn()), s.Conn()
	// As serve does when it starts: every product's write state caught
	// up (and snapshotted) in the background.
	sv.warmed = make(chan struct{})
	go func() {
		defer close(sv.warmed)
		sv.warmErr = sv.handler.CatchUpAll(ctx, s)
	}()
	sv.stop = func() {
		svc.Stop()
		cancel()
		<-done
		<-sv.warmed
		sv.handler.Wait()
	}
	return sv, nil
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
