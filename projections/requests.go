package projections

import (
	"sort"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// RequestsVersion is the version of the Requests fold; bump it whenever
// Apply changes.
const RequestsVersion = "requests/1"

// Request is a stakeholder request and its fate.
type Request struct {
	ID           string               `json:"id"`
	Requester    string               `json:"requester"`
	Title        string               `json:"title"`
	Detail       string               `json:"detail,omitempty"`
	BusinessCase string               `json:"businessCase,omitempty"`
	Status       domain.RequestStatus `json:"status"`
	SubmittedAt  time.Time            `json:"submittedAt"`
	// DecidedAt, DecidedBy, DecidedRole, Reason and Why come from the
	// latest deciding event: accepted, rejected, deferred or withdrawn.
	DecidedAt   *time.Time        `json:"decidedAt,omitempty"`
	DecidedBy   string            `json:"decidedBy"`
	DecidedRole domain.Role       `json:"decidedRole"`
	Reason      domain.ReasonCode `json:"reason"`
	Why         string            `json:"why"`
	// DeferredUntil is the date a deferred request is due again (while
	// deferred).
	DeferredUntil string `json:"deferredUntil,omitempty"`
	// Item is the backlog item the request became.
	Item string `json:"item"`
	// Wait is the time from submission to the first accept, reject or
	// defer decision, in nanoseconds; nil while none was taken.
	Wait *time.Duration `json:"wait,omitempty"`
	// Repeats is the earlier request this one submits again.
	Repeats string `json:"repeats,omitempty"`
	// Comeback is set when Repeats named a request rejected at the time.
	Comeback bool `json:"comeback,omitempty"`
}

func (r *Request) clone() Request {
	c := *r
	c.DecidedAt = clonePtr(r.DecidedAt)
	c.Wait = clonePtr(r.Wait)
	return c
}

// RequestFilter selects requests; a zero field matches all.
type RequestFilter struct {
	Status    domain.RequestStatus
	Requester string
}

// Comeback counts how often a requester came back after a rejection: a
// submission repeating a request that was rejected at the time.
type Comeback struct {
	Requester string `json:"requester"`
	Count     int    `json:"count"`
}

// Requests is every request of the product with its fate. The zero value
// is empty and ready to use.
type Requests struct {
	st requestsState
}

type requestsState struct {
	Cursor    cursor              `json:"cursor"`
	Requests  map[string]*Request `json:"requests"`
	Comebacks map[string]int      `json:"comebacks"`
}

var _ Projection = (*Requests)(nil)

// NewRequests returns an empty Requests projection.
func NewRequests() *Requests { return &Requests{} }

// Version returns RequestsVersion.
func (q *Requests) Version() string { return RequestsVersion }

// Reset empties the projection.
func (q *Requests) Reset() { q.st = requestsState{} }

// Position is the Seq of the last event applied, 0 if none.
func (q *Requests) Position() uint64 { return q.st.Cursor.Pos }

// Skipped returns how many events had a payload this version cannot read,
// and the Seq of the first of them.
func (q *Requests) Skipped() (count int, firstSeq uint64) {
	return q.st.Cursor.Skipped, q.st.Cursor.FirstSkipped
}

// Apply folds one event into the requests.
func (q *Requests) Apply(e domain.Event) {
	if !q.st.Cursor.admit(e) {
		return
	}
	requestsFold.Apply(q, e)
}

// requestsFold is the requests' case for each event type: a request's
// submission, and the decisions on its fate.
var requestsFold = domain.NewFold("the requests (Requests.Apply)",
	domain.On(func(q *Requests, e domain.Event, p domain.RequestSubmitted) { q.submit(e.Aggregate.ID, p, e) }),
	fate(domain.StatusAccepted, func(r *Request, p domain.RequestAccepted) {
		if p.Item != "" {
			r.Item = p.Item
		}
	}),
	fate[domain.RequestRejected](domain.StatusRejected, nil),
	fate(domain.StatusDeferred, func(r *Request, p domain.RequestDeferred) { r.DeferredUntil = p.Until }),
	fate[domain.RequestWithdrawn](domain.StatusWithdrawn, nil),
	domain.SkipKinds[*Requests](domain.KindProduct, domain.KindRoadmap, domain.KindItem),
)

// fate is the requests' case of a decision on a request's fate: it
// gives the request status, who decided, when and why, and how long it
// waited, then what else the decision says (also).
func fate[P domain.Payload](status domain.RequestStatus, also func(*Request, P)) domain.Case[*Requests] {
	return domain.On(func(q *Requests, e domain.Event, p P) {
		r := q.st.Requests[e.Aggregate.ID]
		if r == nil {
			return
		}
		r.Status = status
		r.DecidedAt, r.DecidedBy, r.DecidedRole = timePtr(e.OccurredAt), e.Actor.ID, e.Actor.Role
		r.Reason, r.Why = e.Reason, e.Why
		r.DeferredUntil = ""
		if also != nil {
			also(r, p)
		}
		if r.Wait == nil && status != domain.StatusWithdrawn {
			w := e.OccurredAt.Sub(r.SubmittedAt)
			r.Wait = &w
		}
	})
}

func (q *Requests) submit(id string, p domain.RequestSubmitted, e domain.Event) {
	if id == "" || q.st.Requests[id] != nil {
		return
	}
	if q.st.Requests == nil {
		q.st.Requests = map[string]*Request{}
	}
	requester := p.Requester
	if requester == "" {
		requester = e.Actor.ID
	}
	r := &Request{ID: id, Requester: requester, Title: p.Title, Detail: p.Detail,
		BusinessCase: p.BusinessCase, Status: domain.StatusPending,
		SubmittedAt: e.OccurredAt, Repeats: p.Repeats}
	if prev := q.st.Requests[p.Repeats]; prev != nil && prev.Status == domain.StatusRejected {
		r.Comeback = true
		if q.st.Comebacks == nil {
			q.st.Comebacks = map[string]int{}
		}
		q.st.Comebacks[requester]++
	}
	q.st.Requests[id] = r
}

// Requests returns the requests that match f, by submission time then id.
func (q *Requests) Requests(f RequestFilter) []Request {
	out := []Request{}
	for _, r := range q.st.Requests {
		if (f.Status == "" || r.Status == f.Status) && (f.Requester == "" || r.Requester == f.Requester) {
			out = append(out, r.clone())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].SubmittedAt.Equal(out[j].SubmittedAt) {
			return out[i].SubmittedAt.Before(out[j].SubmittedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Request returns the request with the given id and whether it exists.
func (q *Requests) Request(id string) (Request, bool) {
	r := q.st.Requests[id]
	if r == nil {
		return Request{}, false
	}
	return r.clone(), true
}

// Comebacks returns, per requester with at least one, how often they
// came back after a rejection, sorted by requester.
func (q *Requests) Comebacks() []Comeback {
	out := make([]Comeback, 0, len(q.st.Comebacks))
	for who, n := range q.st.Comebacks {
		out = append(out, Comeback{Requester: who, Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Requester < out[j].Requester })
	return out
}

// ComebacksOf returns how often requester came back after a rejection.
func (q *Requests) ComebacksOf(requester string) int { return q.st.Comebacks[requester] }

// MarshalSnapshot writes the whole state, deterministically.
func (q *Requests) MarshalSnapshot() ([]byte, error) {
	return marshalSnapshot(RequestsVersion, &q.st)
}

// UnmarshalSnapshot replaces the state with a snapshot's. A snapshot of
// another fold version fails with ErrSnapshotVersion and leaves the
// projection unchanged.
func (q *Requests) UnmarshalSnapshot(data []byte) error {
	var st requestsState
	if err := unmarshalSnapshot(RequestsVersion, data, &st); err != nil {
		return err
	}
	q.st = st
	return nil
}
