package replay

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/projections"
)

// Result says where an as-of answer stands and how it was built.
type Result struct {
	Product string `json:"product"`
	// AsOf is the position asked for.
	AsOf Position `json:"asOf"`
	// Seq is the sequence of the last event in the answer, 0 when none.
	Seq uint64 `json:"seq"`
	// At is that event's business time.
	At *time.Time `json:"at,omitempty"`
	// Events is how many of the product's events the answer folds in.
	Events uint64 `json:"events"`
	// Replayed is how many of them were read from the stream now; the
	// others came from Snapshot.
	Replayed uint64 `json:"replayed"`
	// Snapshot is the snapshot the answer started from, nil when none.
	Snapshot *SnapshotInfo `json:"snapshot,omitempty"`
	// Warnings name the snapshots that were ignored, and why.
	Warnings []string `json:"warnings,omitempty"`
	// lost is how many sequences the stream was missing before the
	// answer read it (SnapshotInfo.Lost of the snapshots its fold may go
	// on to write).
	lost uint64
}

func (r *Result) warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// maxSnapshotTries bounds how many snapshots an answer downloads and
// rejects before it rebuilds from events.
const maxSnapshotTries = 3

// maxVersionWarnings bounds the warnings about snapshots of another
// version; the rest are counted in one line.
const maxVersionWarnings = 3

// AsOf builds every projection of the product (projections.Set) as it
// stood at pos. The Set's transparency log holds every decision, so its
// snapshots would grow with history and soon outweigh the stream: none is
// written, and AsOf folds every event before pos, at a cost in proportion
// to that history (it still starts from a Set snapshot that an older
// version left in snaps, which may be nil; Rebuild deletes those).
// AsOfViews answers backlog, roadmap and requests questions from
// snapshots, at a cost that stays flat.
func AsOf(ctx context.Context, src Source, snaps SnapshotReader, product string, pos Position) (*projections.Set, Result, error) {
	set := projections.NewSet()
	res, err := AsOfInto(ctx, src, snaps, product, pos, set)
	if err != nil {
		return nil, res, err
	}
	return set, res, nil
}

// AsOfViews builds the backlog, roadmap and requests of the product as
// they stood at pos, starting from the nearest usable Views snapshot
// (snaps may be nil).
func AsOfViews(ctx context.Context, src Source, snaps SnapshotReader, product string, pos Position) (*Views, Result, error) {
	return AsOfViewsOf(ctx, src, snaps, product, pos, AllMembers)
}

// AsOfViewsOf is AsOfViews for an answer that needs only the members m
// names (NewViewsOf): the others are nil, neither restored from the
// snapshot nor folded, and the answer is what AsOfViews gives for those
// it holds.
func AsOfViewsOf(ctx context.Context, src Source, snaps SnapshotReader, product string, pos Position, m Members) (*Views, Result, error) {
	v := NewViewsOf(m)
	res, err := AsOfInto(ctx, src, snaps, product, pos, v)
	if err != nil {
		return nil, res, err
	}
	return v, res, nil
}

// AsOfInto resets p and folds into it the product's events up to pos:
// from the nearest usable snapshot of p's kind at or before pos (snaps may
// be nil), then the events after it. A snapshot of another version, one
// that fails to decode or one that disagrees with the stream is ignored
// and named in Result.Warnings; the answer never depends on snapshots.
func AsOfInto(ctx context.Context, src Source, snaps SnapshotReader, product string, pos Position, p Projection) (Result, error) {
	return asOfInto(ctx, src, snaps, product, pos, p, true)
}

// asOfInto is AsOfInto, reading the events after a snapshot while it is
// restored when prefetching (see prefetch), after it when not.
func asOfInto(ctx context.Context, src Source, snaps SnapshotReader, product string, pos Position, p Projection, prefetching bool) (Result, error) {
	res := Result{Product: product, AsOf: pos, lost: lostBefore(ctx, src)}
	p.Reset()
	if snaps != nil {
		var ahead Source
		if prefetching {
			ahead = src
		}
		if from, pre := restore(ctx, ahead, src, snaps, product, pos, p, &res); from != nil {
			var after Source = src
			if pre != nil {
				after = pre
			}
			err := func() error {
				defer pre.stop()
				return replay(ctx, after, product, pos, p, from, &res)
			}()
			if !errors.Is(err, errDisagrees) {
				return res, err
			}
			res.warnf("snapshot %s ignored: %v; rebuilt from events", from.Name(), err)
			p.Reset()
			res.Seq, res.At, res.Events, res.Replayed, res.Snapshot = 0, nil, 0, 0, nil
		}
	}
	return res, replay(ctx, src, product, pos, p, nil, &res)
}

// restore loads into p the newest usable snapshot at or before pos and
// returns its info, or nil (p left empty) when there is none. While it
// downloads and decodes a snapshot, the events after it are already being
// read from src (unless src is nil): the prefetch returned with a
// snapshot delivers them (replay reads it), and is stopped when the
// snapshot is not used. A snapshot that folded events the stream no
// longer holds (see intact, which reads stream) is not used: the answer
// is folded from events before it, which names the gap.
func restore(ctx context.Context, src, stream Source, snaps SnapshotReader, product string, pos Position, p Projection, res *Result) (*SnapshotInfo, *prefetch) {
	kind := KindOf(p)
	list, err := snaps.List(ctx, product, kind)
	if err != nil {
		res.warnf("snapshots of %s/%s ignored: %v; rebuilt from events", product, kind, err)
		return nil, nil
	}
	tries, otherVersion := 0, 0
	for i := len(list) - 1; i >= 0 && tries < maxSnapshotTries; i-- {
		s := list[i]
		switch {
		case !pos.covers(s):
			continue // after the position asked for: not part of the answer
		case s.Version != p.Version():
			otherVersion++
			if otherVersion <= maxVersionWarnings {
				res.warnf("snapshot %s ignored: projection version %s != %s (ledger replay --all writes them again for this version)", s.Name(), s.Version, p.Version())
			}
			continue
		}
		tries++
		if why := intact(ctx, stream, product, s, res.lost); why != "" {
			res.warnf("snapshot %s ignored: %s", s.Name(), why)
			continue
		}
		var pre *prefetch
		if src != nil {
			pre = startPrefetch(ctx, src, product, s.Seq-1, pos, nextPast(list[i+1:], pos))
		}
		if err := load(ctx, snaps, s, p); err != nil {
			pre.stop()
			res.warnf("snapshot %s ignored: %v", s.Name(), err)
			continue
		}
		return &s, pre
	}
	if n := otherVersion - maxVersionWarnings; n > 0 {
		res.warnf("%d more snapshots of %s/%s ignored: written by another projection version (ledger replay --all writes them again)", n, product, kind)
	}
	return nil, nil
}

// intact says why the snapshot s folded events the stream no longer holds,
// "" when it did not (or the source cannot tell). A stream that misses
// no more sequences than when the snapshot's fold began reading (lost, as
// read before this answer, against s.Lost) has lost nothing since; else
// the product's events up to the snapshot are counted against those it
// folded.
func intact(ctx context.Context, stream Source, product string, s SnapshotInfo, lost uint64) string {
	l, ok := stream.(lossSource)
	if !ok || lost == s.Lost {
		return ""
	}
	n, err := l.CountUpTo(ctx, product, s.Seq)
	switch {
	case err != nil:
		return fmt.Sprintf("the stream misses messages it did not when the snapshot was written, and the product's events could not be counted: %v", err)
	case n < s.Events:
		return fmt.Sprintf("%d of the %d events of the product it folded, up to sequence %d, are missing from the stream now (lost or deleted since it was written)", s.Events-n, s.Events, s.Seq)
	case n > s.Events:
		return fmt.Sprintf("the stream holds %d events of the product up to sequence %d, the snapshot folded %d", n, s.Seq, s.Events)
	}
	return ""
}

// nextPast returns the sequence of the first snapshot of later (by Seq
// ascending) that lies past pos, math.MaxUint64 when none does: the event
// it ends with is past pos, so an answer needs no event after it unless a
// decision goes on beyond it.
func nextPast(later []SnapshotInfo, pos Position) uint64 {
	for _, s := range later {
		if !pos.covers(s) {
			return s.Seq
		}
	}
	return math.MaxUint64
}

// load reads the snapshot s into p, or says why it cannot (p left empty).
func load(ctx context.Context, snaps SnapshotReader, s SnapshotInfo, p Projection) error {
	data, err := snaps.Get(ctx, s)
	if err != nil {
		return fmt.Errorf("cannot read it: %w", err)
	}
	if err := p.UnmarshalSnapshot(data); err != nil {
		p.Reset()
		if errors.Is(err, projections.ErrSnapshotVersion) {
			return fmt.Errorf("projection version: %w", err)
		}
		return fmt.Errorf("failed to decode: %w", err)
	}
	if held := p.Position(); held != s.Seq {
		p.Reset()
		return fmt.Errorf("it holds sequence %d, not %d", held, s.Seq)
	}
	return nil
}

// errStop ends a read at the position asked for.
var errStop = errors.New("stop")

// errDisagrees marks a snapshot that does not match the stream.
var errDisagrees = errors.New("snapshot disagrees with the stream")

// replay folds the product's events up to pos into p, after the snapshot
// from when there is one. The event at the snapshot's sequence is read
// again and must be the one the snapshot says it folded last: a snapshot
// from another stream (recreated, restored from elsewhere) is caught here.
func replay(ctx context.Context, src Source, product string, pos Position, p Projection, from *SnapshotInfo, res *Result) error {
	var after uint64
	var check func(domain.Event) error
	verified := true
	if from != nil {
		after, verified = from.Seq-1, false
		at := from.LastAt
		res.Snapshot, res.Events, res.Seq, res.At = from, from.Events, from.Seq, &at
		check = func(e domain.Event) error {
			if e.Seq != from.Seq || !e.OccurredAt.Equal(from.LastAt) {
				return fmt.Errorf("%w: the stream has %s at sequence %d (%s), the snapshot ends with sequence %d at %s",
					errDisagrees, orUnknown(e.Type), e.Seq, e.OccurredAt.UTC().Format(time.RFC3339), from.Seq, from.LastAt.UTC().Format(time.RFC3339))
			}
			verified = true
			return nil
		}
	}
	err := foldUpTo(ctx, src, product, after, pos, res, p, check, func(e domain.Event) error {
		p.Apply(e)
		return nil
	})
	if err == nil && !verified {
		err = fmt.Errorf("%w: the stream has no event of product %q at sequence %d", errDisagrees, product, from.Seq)
	}
	if err != nil && !errors.Is(err, errDisagrees) {
		return fmt.Errorf("replaying product %q up to %s: %w", product, pos, err)
	}
	return err
}

// midDecision reports whether p (a projection behind the validating fold)
// holds the first events of a decision whose atomic batch goes on: an
// answer "as of" a sequence inside a decision includes the whole decision,
// which is never seen in halves.
func midDecision(p any) bool {
	q, ok := p.(interface{ Pending() bool })
	return ok && q.Pending()
}

// foldUpTo is the fold loop that as-of answers, spans and rebuilds share.
// It reads the product's events after the sequence after, in stream
// order, and stops before the first event past pos, or after the event at
// pos.Seq. Each event is counted into res (Seq, At, Events, Replayed) and
// then handed to apply; an error from apply stops the read and is
// returned. When first is set, the first event read is handed to it
// instead and neither counted nor applied: it is the event a snapshot
// folded last, read again so that first can check it. Reaching pos is
// not an error; any other error is returned as Read returned it.
func foldUpTo(ctx context.Context, src Source, product string, after uint64, pos Position, res *Result,
	p any, first, apply func(domain.Event) error) error {
	step := stepUpTo(pos, res, p, apply)
	_, err := src.Read(ctx, product, after, func(e domain.Event) error {
		if first != nil {
			f := first
			first = nil
			return f(e)
		}
		return step(e)
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// stepUpTo is foldUpTo's work on one event, for folds that are not fed by
// one Read of their own (RebuildAll): it returns errStop before the first
// event past pos, or after the event at pos.Seq, and must not be called
// again once it has.
func stepUpTo(pos Position, res *Result, p any, apply func(domain.Event) error) func(domain.Event) error {
	return func(e domain.Event) error {
		if pos.Past(e) && !midDecision(p) {
			return errStop
		}
		res.Seq = e.Seq
		if !e.OccurredAt.IsZero() {
			at := e.OccurredAt
			res.At = &at
		}
		res.Events++
		res.Replayed++
		if err := apply(e); err != nil {
			return err
		}
		if pos.Seq != 0 && e.Seq >= pos.Seq && !midDecision(p) {
			return errStop
		}
		return nil
	}
}

func orUnknown(t string) string {
	if t == "" {
		return "an unreadable event"
	}
	return t
}
