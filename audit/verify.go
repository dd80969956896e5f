package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/decisionledger/ledger/stored"
)

// CheckpointFile is a signed checkpoint given to Verify, with where it
// came from (a file name) for the report.
type CheckpointFile struct {
	Source string
	Signed []byte
	// published marks a checkpoint read from the checkpoint stream (not
	// one the auditor kept), and seq its sequence there.
	published bool
	seq       uint64
}

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// Verifiers are the keys checkpoints must be signed with; a
	// checkpoint signed by no key of the list fails the verification.
	Verifiers []note.Verifier
	// Checkpoints are checked besides those of the checkpoint stream:
	// copies kept where the ledger's operator cannot reach them.
	Checkpoints []CheckpointFile
	// Progress, when set, is called while the stream is read.
	Progress func(done, total uint64)
}

// Problem kinds.
const (
	ProblemRemoved      = "removed"      // messages deleted from the stream (a gap)
	ProblemChanged      = "changed"      // the stream differs from what a checkpoint committed to
	ProblemTruncated    = "truncated"    // the stream is shorter than a checkpoint
	ProblemSignature    = "signature"    // a checkpoint with no valid signature
	ProblemInconsistent = "inconsistent" // two checkpoints that cannot both be true
)

// Problem is one way the ledger or its checkpoints fail verification.
type Problem struct {
	Kind string `json:"kind"`
	// Seq is the first bad sequence, 0 when the problem names none (a bad
	// signature). When To is set the change is only located to the range
	// Seq..To.
	Seq uint64 `json:"seq,omitempty"`
	To  uint64 `json:"to,omitempty"`
	Msg string `json:"msg"`
}

// CheckpointStatus is what Verify found about one checkpoint.
type CheckpointStatus struct {
	Source string `json:"source"`
	Origin string `json:"origin,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Root   string `json:"root,omitempty"`
	OK     bool   `json:"ok"`
	Msg    string `json:"msg,omitempty"`
}

// Report is the outcome of Verify.
type Report struct {
	// Size is the tree size: the stream's last sequence, deleted messages
	// included.
	Size int64  `json:"size"`
	Root string `json:"root"`
	// Checkpoints lists every checkpoint checked, files first.
	Checkpoints []CheckpointStatus `json:"checkpoints"`
	// Problems is empty when the ledger verifies; sorted by sequence,
	// those that name none last.
	Problems []Problem `json:"problems"`
	// Warnings name messages that are not valid ledger events; they do not
	// fail the verification.
	Warnings []Warning `json:"warnings"`
}

// ErrNoCheckpoint is Report.Err's answer when nothing could be compared
// with the stream: no checkpoint was given or published.
var ErrNoCheckpoint = errors.New(`no checkpoint to verify against: sign one with "ledger audit checkpoint" or pass --checkpoint FILE`)

// TamperError is the error of a failed verification: the first problem
// found, and how many more there are.
type TamperError struct {
	Problem
	More int
}

// Error says where the verification failed, in one line.
func (e *TamperError) Error() string {
	var b strings.Builder
	b.WriteString("verification failed")
	switch {
	case e.Seq > 0 && e.To > e.Seq:
		fmt.Fprintf(&b, " between sequences %d and %d", e.Seq, e.To)
	case e.Seq > 0:
		fmt.Fprintf(&b, " at sequence %d", e.Seq)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.More > 0 {
		fmt.Fprintf(&b, " (and %d more problem(s))", e.More)
	}
	return b.String()
}

// Err returns nil when the ledger verified, a *TamperError naming the
// first bad sequence when it did not, and ErrNoCheckpoint when there was
// nothing to verify against.
func (r *Report) Err() error {
	if len(r.Problems) > 0 {
		return &TamperError{Problem: r.Problems[0], More: len(r.Problems) - 1}
	}
	if len(r.Checkpoints) == 0 {
		return ErrNoCheckpoint
	}
	return nil
}

// FirstBad returns the first bad sequence, 0 when no problem names one.
func (r *Report) FirstBad() uint64 {
	if len(r.Problems) > 0 {
		return r.Problems[0].Seq
	}
	return 0
}

// verified is a checkpoint whose signature holds, with the sources that
// presented it.
type verified struct {
	Checkpoint
	sources []string
}

func (v verified) name() string {
	if len(v.sources) == 1 {
		return fmt.Sprintf("%s (size %d)", v.sources[0], v.Size)
	}
	if len(v.sources) == 2 {
		return fmt.Sprintf("%s (size %d, also in %s)", v.sources[0], v.Size, v.sources[1])
	}
	return fmt.Sprintf("%s (size %d, and %d more copies)", v.sources[0], v.Size, len(v.sources)-1)
}

// Verify recomputes the ledger's tree from the stream and checks it and
// the checkpoints against each other: each checkpoint's signature, the
// stream's root at each checkpoint's size, and each pair of consecutive
// checkpoints with a consistency proof. It names the first bad sequence of
// an edited, removed, reordered or inserted event exactly when the leaf
// hashes published with the checkpoints are intact, and as a range between
// checkpoints otherwise. The error is for failing to read the store, never
// for a failed verification: see Report.Err.
func Verify(ctx context.Context, src Source, opt VerifyOptions) (*Report, error) {
	l, err := Scan(ctx, src, ScanOptions{Progress: opt.Progress})
	if err != nil {
		return nil, err
	}
	rs, err := readRecords(ctx, src)
	if err != nil {
		return nil, err
	}
	files := opt.Checkpoints
	for _, sc := range rs.checkpoints {
		files = append(files, CheckpointFile{Source: fmt.Sprintf("%s #%d", stored.CheckpointStreamName, sc.seq), Signed: sc.signed, published: true, seq: sc.seq})
	}
	return verifyLedger(l, rs, files, opt.Verifiers), nil
}

func verifyLedger(l *Ledger, rs *records, files []CheckpointFile, verifiers []note.Verifier) *Report {
	t := &l.Tree
	root, _ := t.RootAt(t.Size())
	r := &Report{Size: t.Size(), Root: root.String(), Warnings: l.Warnings,
		Checkpoints: []CheckpointStatus{}, Problems: []Problem{}}
	if r.Warnings == nil {
		r.Warnings = []Warning{}
	}
	for _, g := range l.Gaps {
		p := Problem{Kind: ProblemRemoved, Seq: g.From, Msg: fmt.Sprintf("sequence %d is missing from the stream: the message was deleted", g.From)}
		if g.To > g.From {
			p.Msg = fmt.Sprintf("sequences %d to %d are missing from the stream: the messages were deleted", g.From, g.To)
		}
		r.Problems = append(r.Problems, p)
	}

	// Signatures.
	var cps []*verified
	bySig := map[string]*verified{}
	for _, f := range files {
		c, err := OpenCheckpoint(f.Signed, verifiers...)
		if err != nil && f.published {
			// Anyone who could publish to the checkpoint stream could put
			// junk there: a message that is no valid signed checkpoint
			// proves nothing either way, so it is named and set aside.
			// Only a valid checkpoint that the stream contradicts fails.
			r.Warnings = append(r.Warnings, Warning{Seq: f.seq, Msg: fmt.Sprintf("%s is not a valid signed checkpoint (%v): ignored", f.Source, err)})
			continue
		}
		if err != nil {
			r.Checkpoints = append(r.Checkpoints, CheckpointStatus{Source: f.Source, Msg: err.Error()})
			r.Problems = append(r.Problems, Problem{Kind: ProblemSignature, Msg: fmt.Sprintf("%s: %v", f.Source, err)})
			continue
		}
		r.Checkpoints = append(r.Checkpoints, CheckpointStatus{Source: f.Source, Origin: c.Origin, Size: c.Size, Root: c.Root.String(), OK: true})
		k := string(c.Text())
		if v, ok := bySig[k]; ok {
			v.sources = append(v.sources, f.Source)
			continue
		}
		v := &verified{Checkpoint: c, sources: []string{f.Source}}
		bySig[k] = v
		cps = append(cps, v)
	}
	slices.SortStableFunc(cps, func(a, b *verified) int { return cmp.Compare(a.Size, b.Size) })
	status := func(v *verified, msg string) {
		for i := range r.Checkpoints {
			if slices.Contains(v.sources, r.Checkpoints[i].Source) {
				r.Checkpoints[i].OK = false
				if r.Checkpoints[i].Msg == "" {
					r.Checkpoints[i].Msg = msg
				}
			}
		}
	}

	// The published leaf hashes, trusted only up to a size at which a
	// verified checkpoint confirms them.
	leaves := rs.leafTree()
	confirms := func(c Checkpoint) bool {
		if c.Size > leaves.Size() {
			return false
		}
		h, err := leaves.RootAt(c.Size)
		return err == nil && h == c.Root
	}
	matches := func(c Checkpoint) bool {
		if c.Size > t.Size() {
			return false
		}
		h, err := t.RootAt(c.Size)
		return err == nil && h == c.Root
	}

	// The stream against each checkpoint.
	for _, c := range cps {
		if matches(c.Checkpoint) {
			continue
		}
		p := locate(t, leaves, c, cps, confirms(c.Checkpoint), matches)
		status(c, p.Msg)
		r.Problems = append(r.Problems, p)
	}

	// Consecutive checkpoints against each other.
	for i := 1; i < len(cps); i++ {
		a, b := cps[i-1], cps[i]
		if a.Size == b.Size {
			msg := fmt.Sprintf("checkpoints %s and %s cover the same %d events with different roots: at most one describes this ledger", a.name(), b.name(), a.Size)
			status(a, msg)
			status(b, msg)
			r.Problems = append(r.Problems, Problem{Kind: ProblemInconsistent, Msg: msg})
			continue
		}
		// A consistency proof needs the hashes of a tree whose root at
		// b's size is b's root: the stream's, or the published leaves'.
		var proofTree *Tree
		switch {
		case matches(b.Checkpoint):
			proofTree = t
		case confirms(b.Checkpoint):
			proofTree = leaves
		default:
			continue // b does not match the stream: already reported
		}
		if a.Size == 0 {
			if a.Root != emptyRoot {
				msg := fmt.Sprintf("checkpoint %s of the empty ledger has a root other than the empty tree's", a.name())
				status(a, msg)
				r.Problems = append(r.Problems, Problem{Kind: ProblemInconsistent, Msg: msg})
			}
			continue
		}
		proof, err := proofTree.ConsistencyProof(a.Size, b.Size)
		if err == nil {
			err = tlog.CheckTree(proof, b.Size, b.Root, a.Size, a.Root)
		}
		if err != nil {
			msg := fmt.Sprintf("checkpoint %s is not a prefix of checkpoint %s: they describe different histories", a.name(), b.name())
			status(a, msg)
			r.Problems = append(r.Problems, Problem{Kind: ProblemInconsistent, Msg: msg})
		}
	}

	slices.SortStableFunc(r.Problems, func(a, b Problem) int {
		switch {
		case a.Seq == b.Seq:
			return 0
		case a.Seq == 0:
			return 1
		case b.Seq == 0:
			return -1
		case a.Seq < b.Seq:
			return -1
		}
		return 1
	})
	return r
}

// locate explains why the stream's tree t does not match checkpoint c.
func locate(t, leaves *Tree, c *verified, cps []*verified, confirmed bool, matches func(Checkpoint) bool) Problem {
	n := c.Size
	if n == 0 {
		return Problem{Kind: ProblemInconsistent, Msg: fmt.Sprintf("checkpoint %s of the empty ledger has a root other than the empty tree's", c.name())}
	}
	if confirmed {
		// The published leaf hashes are those c signed: the first leaf
		// that differs from the stream's is the first bad sequence.
		for i := range min(n, t.Size()) {
			if t.Leaf(i) != leaves.Leaf(i) {
				return Problem{Kind: ProblemChanged, Seq: uint64(i) + 1,
					Msg: fmt.Sprintf("the event at sequence %d is not the one checkpoint %s committed to: it was edited, removed, reordered or inserted", i+1, c.name())}
			}
		}
	}
	if n > t.Size() {
		return Problem{Kind: ProblemTruncated, Seq: uint64(t.Size()) + 1,
			Msg: fmt.Sprintf("the stream ends at sequence %d but checkpoint %s covers %d events: sequences %d to %d were removed", t.Size(), c.name(), n, t.Size()+1, n)}
	}
	// Without trusted leaf hashes the change lies after the largest
	// checkpoint that the stream still matches.
	var lo int64
	for _, o := range cps {
		if o.Size < n && o.Size > lo && matches(o.Checkpoint) {
			lo = o.Size
		}
	}
	p := Problem{Kind: ProblemChanged, Seq: uint64(lo) + 1, To: uint64(n)}
	if lo+1 == n {
		p.To = 0
		p.Msg = fmt.Sprintf("the event at sequence %d is not the one checkpoint %s committed to: it was edited, removed, reordered or inserted", n, c.name())
		return p
	}
	p.Msg = fmt.Sprintf("the stream's first %d events do not match checkpoint %s: an event between sequences %d and %d was edited, removed, reordered or inserted (the published leaf hashes that would locate it are missing or were rewritten too; checkpoints kept more often narrow the range)",
		n, c.name(), lo+1, n)
	return p
}
