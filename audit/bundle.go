package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/stored"
)

// BundleFormat names the layout of an export bundle's manifest.
const BundleFormat = "decisionledger-bundle-v1"

// Files of a bundle directory.
const (
	ManifestFile       = "manifest.json"
	BundleCheckpoint   = "checkpoint.txt"
	bundleProofs       = "proofs"
	bundleReadme       = "README.txt"
	maxManifest        = 64 << 20
	proofFileNameWidth = 10
)

// Manifest lists an export bundle: the period, the checkpoint every proof
// is against, and one entry per event of the contiguous sequence range
// from the period's first event to its last, so that the bundle shows that
// no event between them was left out.
type Manifest struct {
	Format     string        `json:"format"`
	From       time.Time     `json:"from"`
	To         time.Time     `json:"to"`
	Checkpoint string        `json:"checkpoint"`
	FirstSeq   uint64        `json:"firstSeq"`
	LastSeq    uint64        `json:"lastSeq"`
	Events     []BundleEntry `json:"events"`
}

// BundleEntry is one event of a bundle.
type BundleEntry struct {
	Seq  uint64 `json:"seq"`
	File string `json:"file"` // the proof, relative to the bundle directory
	// InPeriod is false for an event inside the range whose time is
	// outside the period (another product's clock).
	InPeriod bool `json:"inPeriod"`
}

// Period gathers the messages of a period while the ledger is scanned:
// pass its Visit as ScanOptions.Visit, then Export. An event's time is the
// time it records (occurredAt); a message that is not an event uses the
// time it was stored. From is inclusive and To exclusive.
type Period struct {
	From, To time.Time
	raws     []stored.Raw
	in       []bool
	lastIn   int // index in raws of the last message in the period, -1 if none
}

// NewPeriod returns a Period from from (inclusive) to to (exclusive).
func NewPeriod(from, to time.Time) *Period {
	return &Period{From: from, To: to, lastIn: -1}
}

// Visit keeps r if it is in the period or follows a message that is.
func (p *Period) Visit(r stored.Raw) error {
	in := p.contains(eventTime(r.Data, r.Time))
	if !in && len(p.raws) == 0 {
		return nil
	}
	p.raws = append(p.raws, r)
	p.in = append(p.in, in)
	if in {
		p.lastIn = len(p.raws) - 1
	}
	return nil
}

// Len returns the number of messages Export would write.
func (p *Period) Len() int { return p.lastIn + 1 }

func (p *Period) contains(t time.Time) bool {
	return !t.Before(p.From) && t.Before(p.To)
}

// eventTime is the time an event records, or stored when it has none.
func eventTime(data []byte, stored time.Time) time.Time {
	if e, err := domain.Decode(data); err == nil && !e.OccurredAt.IsZero() {
		return e.OccurredAt
	}
	return stored
}

// Export writes a bundle of the period's events into dir (created; it must
// not exist or be empty): a proof per event against the signed checkpoint,
// the checkpoint, the manifest and a README saying how to check it.
func Export(l *Ledger, p *Period, signed []byte, dir string) (*Manifest, error) {
	if p.lastIn < 0 {
		return nil, fmt.Errorf("no event between %s and %s", p.From.Format(time.RFC3339), p.To.Format(time.RFC3339))
	}
	if err := emptyDir(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, bundleProofs), 0o755); err != nil {
		return nil, fmt.Errorf("creating bundle directory: %w", err)
	}
	signed = normalizeNewlines(signed)
	m := &Manifest{Format: BundleFormat, From: p.From, To: p.To, Checkpoint: string(signed)}
	for i, r := range p.raws[:p.lastIn+1] {
		pr, err := l.Prove(r, signed)
		if err != nil {
			return nil, err
		}
		b, err := pr.Marshal()
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("%s/%0*d.json", bundleProofs, proofFileNameWidth, r.Seq)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), b, 0o644); err != nil {
			return nil, fmt.Errorf("writing bundle: %w", err)
		}
		m.Events = append(m.Events, BundleEntry{Seq: r.Seq, File: name, InPeriod: p.in[i]})
	}
	m.FirstSeq, m.LastSeq = m.Events[0].Seq, m.Events[len(m.Events)-1].Seq
	if err := contiguous(m); err != nil {
		return nil, fmt.Errorf("cannot export a complete range: %w: run \"ledger audit verify\"", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		ManifestFile:     append(b, '\n'),
		BundleCheckpoint: signed,
		bundleReadme:     []byte(fmt.Sprintf(bundleReadmeText, len(m.Events), m.FirstSeq, m.LastSeq, p.From.Format(time.RFC3339), p.To.Format(time.RFC3339))),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, fmt.Errorf("writing bundle: %w", err)
		}
	}
	return m, nil
}

const bundleReadmeText = `Decision ledger audit bundle: %d events, sequences %d to %d,
period %s to %s (end excluded).

Each file in proofs/ holds one event exactly as the ledger stored it and a
Merkle inclusion proof to the signed checkpoint in checkpoint.txt. Check the
whole bundle offline, with no access to the ledger, using the verifier key
you obtained from the ledger's operator beforehand (not from this bundle):

    ledger audit check . --key audit.pub

The sequences are contiguous: no event between the first and the last was
left out. Compare checkpoint.txt with the checkpoints you keep yourself.
`

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bundle directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("bundle directory %q is not empty: choose a new one", dir)
	}
	return nil
}

// contiguous checks that the manifest's entries run from FirstSeq to
// LastSeq with no sequence missing or repeated.
func contiguous(m *Manifest) error {
	if len(m.Events) == 0 {
		return errors.New("the bundle lists no event")
	}
	if m.Events[0].Seq != m.FirstSeq || m.Events[len(m.Events)-1].Seq != m.LastSeq {
		return fmt.Errorf("the events do not run from sequence %d to %d", m.FirstSeq, m.LastSeq)
	}
	for i := 1; i < len(m.Events); i++ {
		if m.Events[i].Seq != m.Events[i-1].Seq+1 {
			return fmt.Errorf("sequence %d is missing after %d", m.Events[i-1].Seq+1, m.Events[i-1].Seq)
		}
	}
	return nil
}

// BundleResult is a bundle that checks.
type BundleResult struct {
	Manifest   *Manifest
	Checkpoint Checkpoint
	Events     []*Checked
	Warnings   []string
}

// CheckBundle verifies an export bundle offline with the verifier keys:
// the checkpoint's signature, every listed proof against it, that the
// sequences are contiguous, and that each event's time agrees with its
// inPeriod flag.
func CheckBundle(dir string, verifiers ...note.Verifier) (*BundleResult, error) {
	mb, err := readLimited(filepath.Join(dir, ManifestFile), maxManifest)
	if err != nil {
		return nil, fmt.Errorf("bundle %q: %w", dir, err)
	}
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("bundle %q: %s is not a manifest: %w", dir, ManifestFile, err)
	}
	if m.Format != BundleFormat {
		return nil, fmt.Errorf("bundle %q: manifest format %q is not %q", dir, m.Format, BundleFormat)
	}
	cp, err := OpenCheckpoint([]byte(m.Checkpoint), verifiers...)
	if err != nil {
		return nil, fmt.Errorf("%w: bundle checkpoint: %w", ErrProof, err)
	}
	res := &BundleResult{Manifest: &m, Checkpoint: cp}
	if cb, err := os.ReadFile(filepath.Join(dir, BundleCheckpoint)); err == nil &&
		!bytes.Equal(normalizeNewlines(cb), normalizeNewlines([]byte(m.Checkpoint))) {
		return nil, fmt.Errorf("%w: %s differs from the manifest's checkpoint", ErrProof, BundleCheckpoint)
	}
	if err := contiguous(&m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProof, err)
	}
	listed := map[string]bool{}
	for _, e := range m.Events {
		name := filepath.FromSlash(e.File)
		if !filepath.IsLocal(name) {
			return nil, fmt.Errorf("%w: manifest names file %q outside the bundle", ErrProof, e.File)
		}
		listed[filepath.Clean(name)] = true
		b, err := readLimited(filepath.Join(dir, name), maxProof)
		if err != nil {
			return nil, fmt.Errorf("%w: sequence %d: %w", ErrProof, e.Seq, err)
		}
		p, err := ParseProof(b)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrProof, e.File, err)
		}
		if p.Seq != e.Seq {
			return nil, fmt.Errorf("%w: %s proves sequence %d, the manifest says %d", ErrProof, e.File, p.Seq, e.Seq)
		}
		if !bytes.Equal(normalizeNewlines([]byte(p.Checkpoint)), normalizeNewlines([]byte(m.Checkpoint))) {
			return nil, fmt.Errorf("%w: %s is against another checkpoint than the bundle's", ErrProof, e.File)
		}
		c, err := p.Check(verifiers...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.File, err)
		}
		if c.Warning != "" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("sequence %d: %s", e.Seq, c.Warning))
		} else if in := !c.Event.OccurredAt.Before(m.From) && c.Event.OccurredAt.Before(m.To); in != e.InPeriod {
			return nil, fmt.Errorf("%w: sequence %d occurred at %s, which the manifest wrongly marks as %s the period",
				ErrProof, e.Seq, c.Event.OccurredAt.Format(time.RFC3339), map[bool]string{true: "inside", false: "outside"}[e.InPeriod])
		}
		res.Events = append(res.Events, c)
	}
	if !m.Events[0].InPeriod || !m.Events[len(m.Events)-1].InPeriod {
		return nil, fmt.Errorf("%w: the first and last events of the bundle must be in its period", ErrProof)
	}
	if extra, _ := os.ReadDir(filepath.Join(dir, bundleProofs)); len(extra) > 0 {
		for _, f := range extra {
			if !listed[filepath.Join(bundleProofs, f.Name())] {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s/%s is not in the manifest: not checked", bundleProofs, f.Name()))
			}
		}
	}
	return res, nil
}

func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return b, nil
}

// IsBundle reports whether path is a directory (a bundle) rather than a
// proof file.
func IsBundle(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
