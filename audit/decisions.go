package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/stored"
)

// DecisionsFormat names the layout of a decisions bundle's manifest.
const DecisionsFormat = "decisionledger-decisions-v1"

// DecisionsManifestFile is the manifest of a decisions bundle; a bundle
// directory holding it is a decisions bundle.
const DecisionsManifestFile = "decisions.json"

// A decisions bundle proves three claims about the decisions matching a
// filter; Claim names them, in the order check proves them.
const (
	// ClaimUnchanged: every listed decision is in the ledger unchanged.
	ClaimUnchanged = 1
	// ClaimNoGap: the period has no gap.
	ClaimNoGap = 2
	// ClaimComplete: no decision matching the filter was left out.
	ClaimComplete = 3
)

// ClaimText says each claim in words.
var ClaimText = map[int]string{
	ClaimUnchanged: "every listed decision is in the ledger unchanged",
	ClaimNoGap:     "the period has no gap",
	ClaimComplete:  "no decision that matches the filter was left out",
}

// ClaimError is a decisions bundle that fails one of the three claims.
type ClaimError struct {
	Claim int
	Msg   string
}

func (e *ClaimError) Error() string {
	return fmt.Sprintf("claim %d failed (%s): %s", e.Claim, ClaimText[e.Claim], e.Msg)
}

// Unwrap makes every claim error an ErrProof.
func (e *ClaimError) Unwrap() error { return ErrProof }

func claimf(claim int, format string, args ...any) error {
	return &ClaimError{Claim: claim, Msg: fmt.Sprintf(format, args...)}
}

// DecisionsManifest lists a decisions bundle. Every sequence from FirstSeq
// to LastSeq is in it once: as a full event with its proof (Events) or as
// its leaf alone (Leaves), which shows, by its subject and type, that it
// does not match. Events also holds, outside that range, the events that
// fixed the epic of items the filter has to tell apart.
//
// The range starts at sequence 1 or at the product's last event before
// the filter's From, and ends at the checkpoint's last leaf or at the
// product's first event past the filter's end (To, as-of): both shown in
// full, so that their times prove that no event of the product inside the
// period lies outside the range, since a product's business time never
// goes backwards in stream order.
type DecisionsManifest struct {
	Format     string                `json:"format"`
	Filter     domain.DecisionFilter `json:"filter"`
	Checkpoint string                `json:"checkpoint"`
	FirstSeq   uint64                `json:"firstSeq"`
	LastSeq    uint64                `json:"lastSeq"`
	Events     []DecisionEntry       `json:"events"`
	Leaves     []LeafEntry           `json:"leaves"`
}

// DecisionEntry is a full event of a decisions bundle.
type DecisionEntry struct {
	Seq  uint64 `json:"seq"`
	File string `json:"file"`
	// Decision is set on the events that match the filter: the answer.
	Decision bool `json:"decision"`
}

// LeafEntry is an event of the range known by its leaf alone: enough to
// recompute its leaf hash and follow its inclusion proof, not its content.
type LeafEntry struct {
	Seq           uint64      `json:"seq"`
	Subject       string      `json:"subject"`
	MsgID         string      `json:"msgId"`
	Type          string      `json:"type"`
	PayloadSHA256 []byte      `json:"payloadSha256"`
	LeafHash      tlog.Hash   `json:"leafHash"`
	Inclusion     []tlog.Hash `json:"inclusion"`
}

// Selection gathers what a decisions bundle needs while the ledger is
// scanned: pass its Visit as ScanOptions.Visit, then ExportDecisions.
type Selection struct {
	Filter domain.DecisionFilter
	raws   []stored.Raw
}

// NewSelection returns a Selection for the filter.
func NewSelection(f domain.DecisionFilter) *Selection { return &Selection{Filter: f} }

// Visit keeps r.
func (s *Selection) Visit(r stored.Raw) error {
	s.raws = append(s.raws, r)
	return nil
}

// classified is one stored message as the bundle will show it.
type classified struct {
	raw      stored.Raw
	full     bool
	decision bool
}

// ExportDecisions writes a decisions bundle into dir (created; it must not
// exist or be empty) against the signed checkpoint, and returns its
// manifest. Decisions after the checkpoint are not in it.
func ExportDecisions(l *Ledger, s *Selection, signed []byte, dir string) (*DecisionsManifest, error) {
	cp, err := ParseSigned(signed)
	if err != nil {
		return nil, err
	}
	f := s.Filter
	var raws []stored.Raw
	for _, r := range s.raws {
		if r.Seq <= uint64(cp.Size) {
			raws = append(raws, r)
		}
	}
	if len(raws) == 0 {
		return nil, errors.New("the checkpoint covers no event")
	}
	// The range: from the product's last event before From, to its first
	// event past the end.
	first, last := raws[0].Seq, raws[len(raws)-1].Seq
	firstBound, lastBound := false, false
	epics := map[string]string{}     // item -> epic, from BacklogItemAdded
	addedAt := map[string]int{}      // item -> index in raws of its BacklogItemAdded
	events := map[int]domain.Event{} // index -> the product's decoded events
	for i, r := range raws {
		e, ok := productEvent(r, f.Product)
		if !ok {
			continue
		}
		events[i] = e
		if p, ok := e.Data.(domain.BacklogItemAdded); ok && e.Aggregate.Kind == domain.KindItem {
			epics[e.Aggregate.ID] = p.Epic
			addedAt[e.Aggregate.ID] = i
		}
		if f.Before(e) {
			first, firstBound = r.Seq, true
		}
		if !lastBound && f.Past(e) {
			last, lastBound = r.Seq, true
		}
	}
	var picked []classified
	index := map[uint64]int{} // sequence -> index in picked
	needEpic := map[string]bool{}
	for i, r := range raws {
		if r.Seq < first || r.Seq > last {
			continue
		}
		c := classified{raw: r}
		if e, ok := events[i]; ok {
			c.decision = f.Match(e, epicOf(e, epics))
		}
		leaf := LeafOf(r)
		_, kind, id, _ := domain.SplitSubject(leaf.Subject)
		if f.NeedsEpic() && kind == domain.KindItem && f.MatchLeaf(leaf.Subject, leaf.Type, "", false) {
			needEpic[id] = true
		}
		c.full = c.decision || (firstBound && r.Seq == first) || (lastBound && r.Seq == last) ||
			f.MatchLeaf(leaf.Subject, leaf.Type, epics[id], hasKey(epics, id))
		index[r.Seq] = len(picked)
		picked = append(picked, c)
	}
	if uint64(len(picked)) != last-first+1 {
		return nil, fmt.Errorf("cannot export a complete range: messages between sequences %d and %d are missing from the stream: run \"ledger audit verify\"", first, last)
	}
	var extra []stored.Raw // epic-fixing events outside the range
	for id := range needEpic {
		i, ok := addedAt[id]
		if !ok {
			continue
		}
		if r := raws[i]; r.Seq >= first && r.Seq <= last {
			picked[index[r.Seq]].full = true
		} else {
			extra = append(extra, r)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].Seq < extra[j].Seq })

	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, bundleProofs), 0o755); err != nil {
		return nil, fmt.Errorf("creating bundle directory: %w", err)
	}
	signed = normalizeNewlines(signed)
	m := &DecisionsManifest{Format: DecisionsFormat, Filter: f, Checkpoint: string(signed), FirstSeq: first, LastSeq: last,
		Events: []DecisionEntry{}, Leaves: []LeafEntry{}}
	writeProof := func(r stored.Raw, decision bool) error {
		pr, err := l.Prove(r, signed)
		if err != nil {
			return err
		}
		b, err := pr.Marshal()
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%s/%0*d.json", bundleProofs, proofFileNameWidth, r.Seq)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), b, 0o644); err != nil {
			return fmt.Errorf("writing bundle: %w", err)
		}
		m.Events = append(m.Events, DecisionEntry{Seq: r.Seq, File: name, Decision: decision})
		return nil
	}
	for _, r := range extra {
		if r.Seq < first {
			if err := writeProof(r, false); err != nil {
				return nil, err
			}
		}
	}
	decisions := 0
	for _, c := range picked {
		if c.full {
			if err := writeProof(c.raw, c.decision); err != nil {
				return nil, err
			}
			if c.decision {
				decisions++
			}
			continue
		}
		leaf := LeafOf(c.raw)
		incl, err := l.Tree.InclusionProof(int64(c.raw.Seq)-1, cp.Size)
		if err != nil {
			return nil, fmt.Errorf("proving sequence %d: %w", c.raw.Seq, err)
		}
		sum := sha256.Sum256(leaf.Data)
		m.Leaves = append(m.Leaves, LeafEntry{Seq: leaf.Seq, Subject: leaf.Subject, MsgID: leaf.MsgID, Type: leaf.Type,
			PayloadSHA256: sum[:], LeafHash: leaf.Hash(), Inclusion: incl})
	}
	for _, r := range extra {
		if r.Seq > last {
			if err := writeProof(r, false); err != nil {
				return nil, err
			}
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		DecisionsManifestFile: append(b, '\n'),
		BundleCheckpoint:      signed,
		bundleReadme:          []byte(fmt.Sprintf(decisionsReadmeText, decisions, f, first, last)),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, fmt.Errorf("writing bundle: %w", err)
		}
	}
	return m, nil
}

const decisionsReadmeText = `Decision ledger decisions bundle: %d decision(s) matching
%s,
with every event of sequences %d to %d either in full or by its leaf.

Check it offline, with the verifier key you obtained from the ledger's
operator beforehand (not from this bundle):

    ledger audit check . --key audit.pub

check proves three things and says each: every listed decision is in the
ledger unchanged; the period has no gap; no decision that matches the filter
was left out. Compare checkpoint.txt with the checkpoints you keep yourself.
`

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// productEvent decodes r when it is a readable event of product.
func productEvent(r stored.Raw, product string) (domain.Event, bool) {
	p, _, _, ok := domain.SplitSubject(r.Subject)
	if !ok || p != product {
		return domain.Event{}, false
	}
	e, err := domain.Decode(r.Data)
	if err != nil || e.Product != product {
		return domain.Event{}, false
	}
	e.Seq = r.Seq
	return e, true
}

// epicOf is the epic of e's item when e was taken: in v1 an item's epic is
// fixed when it is added (no event moves an item to another epic).
func epicOf(e domain.Event, epics map[string]string) string {
	if e.Aggregate.Kind != domain.KindItem {
		return ""
	}
	if p, ok := e.Data.(domain.BacklogItemAdded); ok {
		return p.Epic
	}
	return epics[e.Aggregate.ID]
}

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
