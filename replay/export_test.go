package replay

import "context"

// CompareEveryStep is Compare with each item's causes looked for in every
// step of the span, not only the steps indexed as about it: what the
// index must give the same answer as.
func CompareEveryStep(ctx context.Context, src Source, snaps SnapshotReader, product string, opt CompareOptions) (*Comparison, error) {
	return compare(ctx, src, snaps, product, opt, citeEveryStep)
}

// CompareCounts is compare as SayDoOf calls it: the counts, no causes.
func CompareCounts(ctx context.Context, src Source, snaps SnapshotReader, product string, opt CompareOptions) (*Comparison, error) {
	return compare(ctx, src, snaps, product, opt, citeNone)
}

// LiveCompare is compare's counts from a span kept up to date as
// SayDoLive keeps its spans: each answer folds only what was stored
// since the last.
type LiveCompare struct {
	ls      *liveSpan
	product string
	t0      Position
}

// NewLiveCompare walks the span from t0 to t1 once.
func NewLiveCompare(ctx context.Context, src Source, product string, t0, t1 Position) (*LiveCompare, error) {
	sp, err := walk(ctx, src, nil, product, t0, t1, false)
	if err != nil {
		return nil, err
	}
	ls := &liveSpan{sp: sp, j: sp.newJudgement()}
	for _, s := range sp.steps {
		ls.j.step(s)
	}
	sp.steps = nil
	return &LiveCompare{ls: ls, product: product, t0: t0}, nil
}

// Answer brings the span to t1 and counts at level.
func (l *LiveCompare) Answer(ctx context.Context, src Source, t1 Position, level Level) (*Comparison, error) {
	if err := l.ls.advance(ctx, src, l.product, t1); err != nil {
		return nil, err
	}
	end := t1.At
	if end.IsZero() && l.ls.sp.to.At != nil {
		end = *l.ls.sp.to.At
	}
	opt := CompareOptions{Planned: l.t0, Delivered: t1, Level: level}
	return l.ls.sp.comparison(l.product, opt, l.ls.j.at(l.ls.sp, end)), nil
}
