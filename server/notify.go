package server

import (
	"context"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/notify"
)

// startNotify starts the webhook deliveries of the subscriptions in the
// file at path, on durable consumers that serve's own connection (the
// store's account) makes, and returns what stops them.
func startNotify(ctx context.Context, s *eventstore.Store, path string, o Options) Step {
	d := notify.NewDeliverer(notify.OpenRegistry(path), s, durables{s}, notify.Options{Logf: o.Logf})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	return Step{"the webhook deliveries in flight", func() { cancel(); <-done }}
}

// durables are the store's durable consumers, as notify asks for them:
// the product's requests and backlog items, where its notifications
// come from.
type durables struct{ s *eventstore.Store }

func (d durables) Consume(ctx context.Context, n notify.Durable, fn func(context.Context, domain.Event, func()) error) error {
	return d.s.ConsumeDurable(ctx, eventstore.Durable{Name: n.Name, Product: n.Product, Since: n.Since, AckWait: n.AckWait,
		Kinds: []domain.AggregateKind{domain.KindRequest, domain.KindItem}}, fn)
}

func (d durables) Names(ctx context.Context, prefix string) ([]string, error) {
	return d.s.DurableNames(ctx, prefix)
}

func (d durables) Delete(ctx context.Context, name string) error { return d.s.DeleteDurable(ctx, name) }
