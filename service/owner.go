package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/decisionledger/ledger/command"
)

// OwnerPrefix is the start of each instance's own command subject: a
// decision about a product that another instance writes is sent on to
// OwnerPrefix + that instance's id, which only it serves.
const OwnerPrefix = Prefix + ".owner."

// relayedByHeader carries, from one instance to the owner of a product,
// who relays the decision: the first instance authenticated its caller,
// and a request from the store's own account is trusted as it names.
const relayedByHeader = "Ledger-Relayed-By"

// ownerPoll is how often a decision sent on to an owner that has not
// answered yet looks whether the product changed hands (the owner died
// and its lease expired): it is then sent to the new owner, under the
// same command id, which makes it recorded once whoever answers.
const ownerPoll = 250 * time.Millisecond

// Owners says which instance writes a product's decisions;
// *eventstore.Owners is one. With several instances on one NATS system,
// the decisions of one product go to one instance at a time rather than
// racing each other's expected sequences.
type Owners interface {
	// ID is this instance's id, the one Owner names it by.
	ID() string
	// Owner returns the instance that writes product's decisions now,
	// taking the product for this instance when no live instance holds
	// it; mine says it is this one. Safe for concurrent use.
	Owner(ctx context.Context, product string) (id string, mine bool, err error)
}

// forwarded is the owner's answer to a decision sent on to it, passed back
// as it came (its error headers included).
type forwarded struct{ msg *nats.Msg }

// toOwner records r on this instance when it owns r's product, and
// otherwise sends it on to the owner and returns the owner's answer. An
// owner that stops answering (killed) loses the product when its lease
// expires; the decision then goes to whoever takes it.
func (s *Service) toOwner(ctx context.Context, r command.Request) (any, error) {
	if r.Product == "" {
		return s.cmd.Do(ctx, r)
	}
	if r.CommandID == "" {
		// Sent again to a new owner, the decision must be recognised as
		// the same one.
		r.CommandID = command.NewID()
	}
	data, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	for {
		id, mine, err := s.opt.Owners.Owner(ctx, r.Product)
		if err != nil {
			return nil, err
		}
		if mine {
			return s.cmd.Do(ctx, r)
		}
		m := nats.NewMsg(OwnerPrefix + id)
		m.Data = data
		if r.RelayedBy != "" {
			m.Header.Set(relayedByHeader, r.RelayedBy)
		}
		reply, err := s.forward(ctx, m, r.Product, id)
		if err != nil {
			return nil, err
		}
		if reply != nil {
			return forwarded{reply}, nil
		}
		// The owner is gone or changed: ask again.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the decision about %q waits for an instance to take the product: %w", r.Product, ctx.Err())
		case <-time.After(ownerPoll):
		}
	}
}

// forward sends m to owner and returns its answer, or nil when the owner
// does not answer and no longer owns product (or has no responders).
func (s *Service) forward(ctx context.Context, m *nats.Msg, product, owner string) (*nats.Msg, error) {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		msg *nats.Msg
		err error
	}
	got := make(chan answer, 1)
	go func() {
		msg, err := s.nc.RequestMsgWithContext(fctx, m)
		got <- answer{msg, err}
	}()
	t := time.NewTicker(ownerPoll)
	defer t.Stop()
	for {
		select {
		case a := <-got:
			switch {
			case a.err == nil:
				return a.msg, nil
			case errors.Is(a.err, nats.ErrNoResponders):
				return nil, nil
			case ctx.Err() != nil:
				return nil, fmt.Errorf("the instance %s that writes %q did not answer: %w", owner, product, ctx.Err())
			}
			return nil, fmt.Errorf("the instance %s that writes %q: %w", owner, product, a.err)
		case <-t.C:
			if id, _, err := s.opt.Owners.Owner(ctx, product); err == nil && id != owner {
				return nil, nil
			}
		}
	}
}

// respondForwarded passes an owner's answer back to the caller.
func respondForwarded(req micro.Request, f forwarded) error {
	return req.Respond(f.msg.Data, micro.WithHeaders(micro.Headers(f.msg.Header)))
}

// Do records r as a command request to this service would be: here when
// this instance owns r's product (or when there are no Owners), else on
// the owner. The instance's other edges (the HTTP API) write through it,
// so that every decision about a product goes to one instance.
func (s *Service) Do(ctx context.Context, r command.Request) (command.Output, error) {
	if s.opt.Owners == nil {
		return s.cmd.Do(ctx, r)
	}
	v, err := s.toOwner(ctx, r)
	if err != nil {
		return command.Output{}, err
	}
	switch v := v.(type) {
	case command.Output:
		return v, nil
	case forwarded:
		if code := v.msg.Header.Get(micro.ErrorCodeHeader); code != "" {
			return command.Output{}, decodeError(code, v.msg.Header.Get(micro.ErrorHeader), v.msg.Data)
		}
		var out command.Output
		if err := json.Unmarshal(v.msg.Data, &out); err != nil {
			return out, fmt.Errorf("ledger service: unreadable answer of the instance that writes %q: %w", r.Product, err)
		}
		return out, nil
	}
	return command.Output{}, fmt.Errorf("ledger service: unexpected answer %T", v)
}
