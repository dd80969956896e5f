package importer

import (
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Result is what Apply found to record.
type Result struct {
	// Batches are the new events in order, cut into atomic batches of at
	// most the size asked for; a decision's events never span two.
	Batches [][]domain.Event
	// Written counts the events in Batches; Already, the decisions an
	// earlier import recorded (or that the product holds already: it
	// exists, the role is held), left out.
	Written, Already int
}

// Apply decides steps against the product's write state s, in order, and
// returns the events still to record. A step whose command id s
// remembers is recorded already and left out, so importing an export
// twice records nothing the second time and a later export records only
// what is new. The first new step must not be older than the product's
// latest event: then Apply refuses the whole import, naming that change,
// and nothing is to be written. Apply folds what it decides into s (with
// no stream sequence: s.LastSeq stays the expected version of the first
// append), so s is the caller's to throw away or to keep as the state
// after a successful write. now is the time Decide needs; maxBatch the
// most events one atomic append stores.
func Apply(s *domain.State, steps []Step, now time.Time, maxBatch int) (Result, error) {
	var res Result
	var batch []domain.Event
	for _, st := range steps {
		if _, ok := s.Recorded(st.CommandID); ok {
			res.Already++
			continue
		}
		if st.Command != nil && holds(s, st.Command) {
			res.Already++
			continue
		}
		if err := notLater(st, now); err != nil {
			return Result{}, err
		}
		if st.At.Before(s.LastAt) {
			return Result{}, fmt.Errorf("%w: nothing was imported", domain.Invalid("at", "%s", fmt.Sprintf(
				"this import is older than product %q's latest event (%s): its first new change, %s, is at %s; import a later export, or into another product",
				s.Product.ID, s.LastAt.Format(time.RFC3339), describe(st.Source), st.At.UTC().Format(time.RFC3339))))
		}
		var evs []domain.Event
		if st.Command != nil {
			decided, err := domain.Decide(s, *st.Command, now)
			if err != nil {
				return Result{}, fmt.Errorf("recording %s: %w", describe(st.Source), err)
			}
			evs = decided
			for _, e := range evs {
				s.Apply(e)
			}
		} else {
			for _, e := range st.Events {
				ob, err := domain.Observe(s, e)
				if err != nil {
					return Result{}, fmt.Errorf("importing %s: %w", describe(st.Source), err)
				}
				s.Apply(ob)
				evs = append(evs, ob)
			}
		}
		if len(batch)+len(evs) > maxBatch && len(batch) > 0 {
			res.Batches = append(res.Batches, batch)
			batch = nil
		}
		batch = append(batch, evs...)
		res.Written += len(evs)
	}
	if len(batch) > 0 {
		res.Batches = append(res.Batches, batch)
	}
	return res, nil
}

// notLater refuses a step dated after now (give or take the clock skew
// Decide allows), naming where its time comes from. A tracker's history
// cannot lie in the future; an event dated so would be quarantined by
// every view as running ahead of the stream's own clock, and would hold
// the product's time there. Every format's steps come through it.
func notLater(st Step, now time.Time) error {
	if !st.At.After(now.Add(domain.MaxClockSkew)) {
		return nil
	}
	where := st.Dated
	if where == "" {
		where = describe(st.Source)
	}
	return fmt.Errorf("%w: nothing was imported", domain.Invalid("at", "%s is %s, later than now (%s): a tracker's history cannot lie in the future; correct the export (or the clock that wrote it)",
		where, st.At.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
}

// holds reports whether the product already is as a product or role
// command would make it.
func holds(s *domain.State, c *domain.Command) bool {
	switch a := c.Action.(type) {
	case domain.CreateProduct:
		return s.Product.Exists
	case domain.AssignRole:
		return s.Product.Has(a.Actor, a.Role)
	case domain.RevokeRole:
		return !s.Product.Has(a.Actor, a.Role)
	}
	return false
}

func describe(src domain.Source) string {
	out := src.System + " " + src.Key
	if src.Change != "" {
		out += " change " + src.Change
	}
	return out
}
