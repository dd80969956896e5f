package replay

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// SayDoLive answers SayDoOf at the latest position of one product again
// and again as its history grows, at a cost that does not grow with the
// history: it keeps, for each plan say/do compares with (a T0 and a
// level), the span from T0 to its last answer (the views at both ends
// and the judgement of the deliveries in between), and the next answer
// folds only the events stored since. A plan first asked for (a period
// that began since) walks its span from the snapshot before its T0 once,
// and again until the stream holds an event past T0 (the plan as of T0
// is the stream up to the first one).
// Safe for concurrent use; answers are new each time.
type SayDoLive struct {
	product string

	mu    sync.Mutex
	spans map[sayDoKey]*liveSpan
}

// liveSpan is a span kept up to date, and the judgement of its steps
// (which are not kept: say/do cites no cause).
type liveSpan struct {
	sp *span
	j  judgement
}

// NewSayDoLive returns the live say/do of product.
func NewSayDoLive(product string) *SayDoLive {
	return &SayDoLive{product: product, spans: map[sayDoKey]*liveSpan{}}
}

// Answer is SayDoOf(ctx, src, snaps, product, Latest, now).
func (l *SayDoLive) Answer(ctx context.Context, src Source, snaps SnapshotReader, now time.Time) (*SayDo, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t1 := Latest
	if !now.IsZero() {
		t1 = AtTime(now)
	}
	// Every span kept is brought to t1; any of them then holds the
	// views at t1, of which the plans are read.
	var v *Views
	var res Result
	for k, ls := range l.spans {
		if err := ls.advance(ctx, src, l.product, t1); err != nil {
			delete(l.spans, k) // half folded: walked again when asked for
			return nil, err
		}
		v, res = ls.sp.after, ls.sp.to
	}
	if v == nil {
		var err error
		if v, res, err = AsOfViewsOf(ctx, src, snaps, l.product, Latest, MemberBacklog|MemberRoadmap); err != nil {
			return nil, err
		}
	}
	end := now
	if end.IsZero() && res.At != nil {
		end = *res.At
	}
	out, keys, groups := newSayDo(l.product, res, v, end)
	asked := map[sayDoKey]bool{}
	for _, k := range keys {
		asked[k] = true
		ls := l.spans[k]
		if ls == nil {
			sp, err := walk(ctx, src, snaps, l.product, AtTime(k.t0), t1, false)
			if err != nil {
				return nil, err
			}
			ls = &liveSpan{sp: sp, j: sp.newJudgement()}
			for _, s := range sp.steps {
				ls.j.step(s)
			}
			sp.steps = nil
			// The plan is read from the stream up to its first event
			// past T0: until one is stored, an event dated before T0
			// may still join it, and the span is walked again.
			if sp.to.Seq > sp.from.Seq {
				l.spans[k] = ls
			}
		}
		opt := CompareOptions{Planned: AtTime(k.t0), Delivered: t1, Now: now, Level: k.level}
		out.fill(groups[k], ls.sp.comparison(l.product, opt, ls.j.at(ls.sp, end)))
	}
	for k := range l.spans {
		if !asked[k] {
			delete(l.spans, k) // its periods are no longer on the roadmap
		}
	}
	return out, nil
}

// advance folds the events stored since the span's end, up to t1.
func (ls *liveSpan) advance(ctx context.Context, src Source, product string, t1 Position) error {
	sp := ls.sp
	to := sp.to
	to.AsOf = t1
	err := foldUpTo(ctx, src, product, sp.after.Position(), t1, &to, sp.after, nil, func(e domain.Event) error {
		ls.j.step(fold(sp.after, e, false))
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading product %q from %d to %s: %w", product, sp.to.Seq, t1, err)
	}
	sp.to = to
	return nil
}
