package query

import (
	"sort"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// A pending request's age, "waiting", is the PO's first triage question.
// It is counted from its submission to the moment the answer is about:
// the as-of position's time, or the query's clock for now (SetClock), to
// the minute. The projections keep no clock: the age is the view's, so
// the same events and the same clock give the same answer, and an answer
// for now stays exact for the minute it was counted in (WaitingAt), which
// is what lets an edge keep its encoding that long.

// WaitingAt is the minute the waiting of pending requests in an answer for
// now is counted to: the query's clock, to the minute.
func (s *Service) WaitingAt() time.Time { return s.now().UTC().Truncate(time.Minute) }

// waitingAt is the moment the requests answer at pos counts ages to: the
// position's time, the business time of the last event it holds (a
// position by sequence), or the clock (now).
func (s *Service) waitingAt(pos Position, meta Meta) time.Time {
	switch {
	case !pos.At.IsZero():
		return pos.At.UTC().Truncate(time.Minute)
	case pos.IsLatest():
		return s.WaitingAt()
	case meta.At != nil:
		return meta.At.UTC().Truncate(time.Minute)
	}
	return time.Time{}
}

// setWaiting gives every pending request its age at t.
func setWaiting(rs []Request, t time.Time) {
	for i := range rs {
		r := &rs[i]
		if r.Status != domain.StatusPending || t.IsZero() {
			continue
		}
		d := max(t.Sub(r.SubmittedAt), 0)
		secs := d.Seconds()
		r.Waiting, r.WaitingSeconds = Span(d), &secs
	}
}

// RequestSorts are the orders SortRequests knows: submitted (the view's
// own, oldest first) and waiting (the longest waiting pending request
// first, the others after it in the view's order).
var RequestSorts = []string{"submitted", "waiting"}

// SortRequests orders requests by one of RequestSorts ("" keeps the
// view's order); every edge that sorts a requests answer sorts it here.
// An unknown order is an invalid "sort" field.
func SortRequests(rs []Request, by string) error {
	switch by {
	case "", "submitted":
		return nil
	case "waiting":
		sort.SliceStable(rs, func(i, j int) bool {
			wi, wj := rs[i].WaitingSeconds, rs[j].WaitingSeconds
			switch {
			case wi == nil || wj == nil:
				return wi != nil && wj == nil
			}
			return *wi > *wj
		})
		return nil
	}
	return invalidFilter("sort", by, RequestSorts)
}
