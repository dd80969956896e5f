package audit

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/stored"
)

// Source is the part of the event store the audit code reads.
// *eventstore.Store implements it.
type Source interface {
	// StreamInfo describes the LEDGER stream: its last sequence bounds a scan.
	StreamInfo(ctx context.Context) (stored.Info, error)
	// ReadRaw calls fn in order for every stored message after sequence
	// after, up to the stream's end when called; it stops at fn's error.
	ReadRaw(ctx context.Context, after uint64, fn func(stored.Raw) error) (uint64, error)
	// ReadCheckpoints calls fn in order for every record of the checkpoint
	// stream; none, with no error, when the stream does not exist.
	ReadCheckpoints(ctx context.Context, fn func(stored.CheckpointRecord) error) error
}

// Gap is a run of sequences missing from the stream, From..To inclusive:
// messages deleted from a stream that denies deletes.
type Gap struct {
	From, To uint64
}

// Warning is a message that is in the tree but is not a valid ledger
// event, or whose headers disagree with its envelope. It does not fail a
// verification: the ledger stores it and the tree commits to it as it is.
type Warning struct {
	Seq uint64 `json:"seq"`
	Msg string `json:"msg"`
}

// Ledger is the Merkle tree of the ledger as read from the stream.
type Ledger struct {
	Tree     Tree
	Gaps     []Gap
	Warnings []Warning
}

// missingLeaf stands in the tree for a deleted message: the tree keeps
// leaf index = sequence - 1 for the messages after it, and no message can
// hash to it.
var missingLeaf tlog.Hash

// ScanOptions tunes Scan.
type ScanOptions struct {
	// Progress, when set, is called after each message with the number of
	// sequences read and the stream's last sequence.
	Progress func(done, total uint64)
	// Visit, when set, is called for every stored message in order; an
	// error stops the scan.
	Visit func(stored.Raw) error
	// UpTo, when not 0, ends the scan at this sequence: the tree is the
	// ledger as a checkpoint of that size saw it, whatever was stored
	// since (a checkpoint signed by serve, proven from a copy that may
	// already hold more).
	UpTo uint64
}

// errUpTo ends a scan at ScanOptions.UpTo.
var errUpTo = errors.New("the scan reached its end")

// Scan reads the whole LEDGER stream and builds its tree, noting gaps and
// messages that are not valid ledger events.
func Scan(ctx context.Context, src Source, opt ScanOptions) (*Ledger, error) {
	info, err := src.StreamInfo(ctx)
	if err != nil {
		return nil, err
	}
	total := info.LastSeq
	if opt.UpTo > 0 {
		if opt.UpTo > total {
			return nil, fmt.Errorf("the stream ends at sequence %d, before %d: it is still catching up, or messages were removed; try again, or run \"ledger audit verify\"", total, opt.UpTo)
		}
		total = opt.UpTo
	}
	l := &Ledger{}
	next := uint64(1)
	_, err = src.ReadRaw(ctx, 0, func(r stored.Raw) error {
		if opt.UpTo > 0 && r.Seq > opt.UpTo {
			return errUpTo
		}
		if r.Seq < next {
			return fmt.Errorf("the stream delivered sequence %d after %d: out of order", r.Seq, next-1)
		}
		if r.Seq > next {
			l.missing(next, r.Seq-1)
		}
		leaf := LeafOf(r)
		l.Tree.Append(leaf.Hash())
		if w := check(leaf); w != "" {
			l.Warnings = append(l.Warnings, Warning{Seq: r.Seq, Msg: w})
		}
		next = r.Seq + 1
		if opt.Visit != nil {
			if err := opt.Visit(r); err != nil {
				return err
			}
		}
		if opt.Progress != nil {
			opt.Progress(r.Seq, max(total, r.Seq))
		}
		return nil
	})
	if err != nil && !errors.Is(err, errUpTo) {
		return nil, fmt.Errorf("reading the ledger after sequence %d: %w", next-1, err)
	}
	if next <= total {
		// Messages at the end were deleted: the stream's last sequence
		// still counts them.
		l.missing(next, total)
		if opt.Progress != nil {
			opt.Progress(total, total)
		}
	}
	return l, nil
}

func (l *Ledger) missing(from, to uint64) {
	l.Gaps = append(l.Gaps, Gap{From: from, To: to})
	for s := from; s <= to; s++ {
		l.Tree.Append(missingLeaf)
	}
}

// check says why a stored message is not a sound ledger event, "" if it
// is: what the validating fold says of it on its face (domain.Screen, the
// one wording every reader gives), then headers that disagree with its
// envelope.
func check(l Leaf) string {
	e, _ := domain.Decode(l.Data)
	e.Stored = &domain.Stored{Subject: l.Subject, Data: l.Data}
	if reason := domain.Screen(e, ""); reason != "" {
		return fmt.Sprintf("on %s: %s", l.Subject, reason)
	}
	switch {
	case l.MsgID != e.ID:
		return fmt.Sprintf("header Nats-Msg-Id %q differs from the event id %q", l.MsgID, e.ID)
	case l.Type != e.Type:
		return fmt.Sprintf("header Ledger-Type %q differs from the event type %q", l.Type, e.Type)
	}
	return ""
}
