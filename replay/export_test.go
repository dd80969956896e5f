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
