package command

import (
	"context"

	"github.com/decisionledger/ledger/domain"
)

// Recorded is a stored event with its sequence (domain.Recorded).
type Recorded = domain.Recorded

// Output is what a write answers on every edge (the CLI's --json, the
// NATS service, the HTTP API): {"duplicate":false,"events":[...]}, or for
// a retry of a recorded command {"duplicate":true,"firstSeq":N,"events":[]}.
type Output struct {
	Duplicate bool       `json:"duplicate"`
	FirstSeq  uint64     `json:"firstSeq,omitempty"`
	Events    []Recorded `json:"events"`
}

// Output returns the result as edges print it.
func (r Result) Output() Output {
	out := Output{Duplicate: r.Duplicate, Events: make([]Recorded, len(r.Events))}
	if r.Duplicate {
		out.FirstSeq = r.FirstSeq
	}
	for i, e := range r.Events {
		out.Events[i] = Recorded{Seq: e.Seq, Event: e}
	}
	return out
}

// Result turns an output back into a result (for clients of a service).
func (o Output) Result() Result {
	r := Result{Duplicate: o.Duplicate, FirstSeq: o.FirstSeq}
	for _, e := range o.Events {
		ev := e.Event
		ev.Seq = e.Seq
		r.Events = append(r.Events, ev)
	}
	if !r.Duplicate && len(r.Events) > 0 {
		r.FirstSeq = r.Events[0].Seq
	}
	return r
}

// Do decodes a request and executes it: the one entry for every edge.
func (h *Handler) Do(ctx context.Context, r Request) (Output, error) {
	c, err := Decode(r)
	if err != nil {
		return Output{}, err
	}
	res, err := h.Execute(ctx, c)
	if err != nil {
		return Output{}, err
	}
	return res.Output(), nil
}
