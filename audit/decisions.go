package audit

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

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
