package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/decisionledger/ledger/domain"
)

// Checking a decisions bundle offline: its three claims.

// IsDecisionsBundle reports whether dir is a decisions bundle.
func IsDecisionsBundle(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DecisionsManifestFile))
	return err == nil
}

// DecisionsResult is a decisions bundle whose three claims hold.
type DecisionsResult struct {
	Manifest   *DecisionsManifest
	Checkpoint Checkpoint
	// Decisions are the listed decisions, checked, in stream order.
	Decisions []*Checked
	// Full and Leaves count the other events of the range shown in full
	// and by their leaf alone.
	Full, Leaves int
	Warnings     []string
}

// CheckDecisions verifies a decisions bundle offline with the verifier
// keys and proves its three claims, in order; the first that fails is a
// *ClaimError naming it.
func CheckDecisions(dir string, verifiers ...note.Verifier) (*DecisionsResult, error) {
	mb, err := readLimited(filepath.Join(dir, DecisionsManifestFile), maxManifest)
	if err != nil {
		return nil, fmt.Errorf("bundle %q: %w", dir, err)
	}
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	var m DecisionsManifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("bundle %q: %s is not a manifest: %w", dir, DecisionsManifestFile, err)
	}
	if m.Format != DecisionsFormat {
		return nil, fmt.Errorf("bundle %q: manifest format %q is not %q", dir, m.Format, DecisionsFormat)
	}
	cp, err := OpenCheckpoint([]byte(m.Checkpoint), verifiers...)
	if err != nil {
		return nil, fmt.Errorf("%w: bundle checkpoint: %w", ErrProof, err)
	}
	if cb, err := os.ReadFile(filepath.Join(dir, BundleCheckpoint)); err == nil &&
		!bytes.Equal(normalizeNewlines(cb), normalizeNewlines([]byte(m.Checkpoint))) {
		return nil, fmt.Errorf("%w: %s differs from the manifest's checkpoint", ErrProof, BundleCheckpoint)
	}
	f := m.Filter
	res := &DecisionsResult{Manifest: &m, Checkpoint: cp}
	inRange := func(seq uint64) bool { return seq >= m.FirstSeq && seq <= m.LastSeq }

	// Read and check every full event; claim 1 covers the decisions.
	checked := map[uint64]*Checked{}
	entries := map[uint64]DecisionEntry{}
	for _, e := range m.Events {
		c, err := checkEntry(dir, e, m.Checkpoint, verifiers)
		if err != nil {
			if e.Decision {
				return nil, claimf(ClaimUnchanged, "decision at sequence %d: %s", e.Seq, err)
			}
			return nil, claimf(ClaimNoGap, "sequence %d: %s", e.Seq, err)
		}
		if _, dup := checked[e.Seq]; dup {
			return nil, claimf(ClaimNoGap, "sequence %d is listed twice", e.Seq)
		}
		if e.Decision && !inRange(e.Seq) {
			return nil, claimf(ClaimComplete, "decision at sequence %d is outside the bundle's range %d to %d", e.Seq, m.FirstSeq, m.LastSeq)
		}
		checked[e.Seq], entries[e.Seq] = c, e
		if c.Warning != "" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("sequence %d: %s", e.Seq, c.Warning))
		}
	}

	// Claim 2: every sequence of the range once, each leaf in the tree,
	// and the range's ends at the period's edges.
	leaves := map[uint64]LeafEntry{}
	for _, l := range m.Leaves {
		if !inRange(l.Seq) {
			return nil, claimf(ClaimNoGap, "leaf %d is outside the bundle's range %d to %d", l.Seq, m.FirstSeq, m.LastSeq)
		}
		if _, dup := checked[l.Seq]; dup {
			return nil, claimf(ClaimNoGap, "sequence %d is listed twice", l.Seq)
		}
		if _, dup := leaves[l.Seq]; dup {
			return nil, claimf(ClaimNoGap, "sequence %d is listed twice", l.Seq)
		}
		if err := checkLeaf(l, cp); err != nil {
			return nil, claimf(ClaimNoGap, "%s", err)
		}
		leaves[l.Seq] = l
	}
	if m.FirstSeq < 1 || m.LastSeq < m.FirstSeq || m.LastSeq > uint64(cp.Size) {
		return nil, claimf(ClaimNoGap, "the range %d to %d is not within the checkpoint's %d events", m.FirstSeq, m.LastSeq, cp.Size)
	}
	for seq := m.FirstSeq; seq <= m.LastSeq; seq++ {
		if _, ok := checked[seq]; !ok {
			if _, ok := leaves[seq]; !ok {
				return nil, claimf(ClaimNoGap, "sequence %d is missing: the bundle neither shows it nor its leaf", seq)
			}
		}
	}
	if m.FirstSeq > 1 {
		c := checked[m.FirstSeq]
		if c == nil || c.Event.Product != f.Product || !f.Before(c.Event) {
			return nil, claimf(ClaimNoGap, "the range starts at sequence %d, but that is not an event of product %q before the period: events of the period may lie before it", m.FirstSeq, f.Product)
		}
	}
	if m.LastSeq < uint64(cp.Size) {
		c := checked[m.LastSeq]
		if c == nil || c.Event.Product != f.Product || !f.Past(c.Event) {
			return nil, claimf(ClaimNoGap, "the range ends at sequence %d, but that is not an event of product %q past the period: events of the period may lie after it", m.LastSeq, f.Product)
		}
	}
	var lastAt time.Time
	for seq := m.FirstSeq; seq <= m.LastSeq; seq++ {
		if c := checked[seq]; c != nil && c.Warning == "" && c.Event.Product == f.Product {
			if c.Event.OccurredAt.Before(lastAt) {
				return nil, claimf(ClaimNoGap, "sequence %d occurred at %s, before an earlier event of the product: the stream's time order is broken", seq, c.Event.OccurredAt.Format(time.RFC3339))
			}
			lastAt = c.Event.OccurredAt
		}
	}

	// Claim 3: the decisions are exactly the events that match.
	epics := map[string]string{}
	for _, c := range checked {
		if p, ok := c.Event.Data.(domain.BacklogItemAdded); ok && c.Warning == "" && c.Event.Aggregate.Kind == domain.KindItem &&
			c.Event.Product == f.Product {
			epics[c.Event.Aggregate.ID] = p.Epic
		}
	}
	for seq := m.FirstSeq; seq <= m.LastSeq; seq++ {
		if c := checked[seq]; c != nil {
			_, kind, id, _ := domain.SplitSubject(c.Leaf.Subject)
			e := c.Event
			match := c.Warning == "" && f.Match(e, epicOf(e, epics))
			if f.NeedsEpic() && c.Warning == "" && kind == domain.KindItem && id != f.Epic && !hasKey(epics, id) &&
				f.Match(e, f.Epic) && !entries[seq].Decision {
				return nil, claimf(ClaimComplete, "sequence %d (%s on item %s) may be under epic %s: the bundle lacks the event that fixed the item's epic", seq, e.Type, id, f.Epic)
			}
			switch {
			case match && !entries[seq].Decision:
				return nil, claimf(ClaimComplete, "sequence %d (%s on %s) matches the filter but is not listed as a decision", seq, e.Type, c.Leaf.Subject)
			case !match && entries[seq].Decision:
				return nil, claimf(ClaimComplete, "sequence %d (%s on %s) is listed as a decision but does not match the filter", seq, e.Type, c.Leaf.Subject)
			}
			if match {
				res.Decisions = append(res.Decisions, c)
			} else {
				res.Full++
			}
			continue
		}
		l := leaves[seq]
		_, _, id, _ := domain.SplitSubject(l.Subject)
		if f.MatchLeaf(l.Subject, l.Type, epics[id], hasKey(epics, id)) {
			return nil, claimf(ClaimComplete, "sequence %d (%s on %s) could match the filter, but the bundle gives only its leaf, not the event", seq, l.Type, l.Subject)
		}
		res.Leaves++
	}
	return res, nil
}

// checkEntry reads and checks a full event's proof against the bundle's
// checkpoint.
func checkEntry(dir string, e DecisionEntry, checkpoint string, verifiers []note.Verifier) (*Checked, error) {
	name := filepath.FromSlash(e.File)
	if !filepath.IsLocal(name) {
		return nil, fmt.Errorf("the manifest names file %q outside the bundle", e.File)
	}
	b, err := readLimited(filepath.Join(dir, name), maxProof)
	if err != nil {
		return nil, err
	}
	p, err := ParseProof(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.File, err)
	}
	if p.Seq != e.Seq {
		return nil, fmt.Errorf("%s proves sequence %d, the manifest says %d", e.File, p.Seq, e.Seq)
	}
	if !bytes.Equal(normalizeNewlines([]byte(p.Checkpoint)), normalizeNewlines([]byte(checkpoint))) {
		return nil, fmt.Errorf("%s is against another checkpoint than the bundle's", e.File)
	}
	return p.Check(verifiers...)
}

// checkLeaf recomputes a leaf's hash from its fields and follows its
// inclusion proof to the checkpoint's root.
func checkLeaf(l LeafEntry, cp Checkpoint) error {
	if len(l.PayloadSHA256) != sha256.Size {
		return fmt.Errorf("leaf %d has no SHA-256 of its payload", l.Seq)
	}
	if l.Seq < 1 || l.Seq > uint64(cp.Size) {
		return fmt.Errorf("leaf %d is outside the checkpoint's %d events", l.Seq, cp.Size)
	}
	h := tlog.RecordHash(leafBytes(l.Seq, l.Subject, l.MsgID, l.Type, [sha256.Size]byte(l.PayloadSHA256)))
	if h != l.LeafHash {
		return fmt.Errorf("leaf %d: its hash is not the hash of its fields: the leaf was altered", l.Seq)
	}
	if err := tlog.CheckRecord(l.Inclusion, cp.Size, cp.Root, int64(l.Seq)-1, h); err != nil {
		return fmt.Errorf("leaf %d: its inclusion proof does not lead to the checkpoint's root: the leaf or the proof was altered", l.Seq)
	}
	return nil
}
