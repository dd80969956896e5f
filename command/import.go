package command

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/trackers"
)

// ImportRequest is one import of a tracker's history as every edge sends
// it: the CLI from its files, the NATS service and the HTTP API from
// what their callers uploaded.
type ImportRequest struct {
	// Format is the tracker's export format (ImportFormats).
	Format string
	// Product receives the history; the import creates it when it does
	// not exist.
	Product string
	// Map is the map file's bytes; nil for the format's defaults.
	Map []byte
	// URL is the tracker's base address, for links to its issues; it
	// replaces the map's url ("" keeps it).
	URL string
	// Files are the export files' bytes (JSON or JSON lines), merged as
	// the format merges them.
	Files [][]byte
	// DryRun works out the summary, with what would be written, and
	// writes nothing.
	DryRun bool
	// RelayedBy is who relays the import for the people whose decisions
	// it records, as the edge that authenticated the caller found it
	// (access.Relay): every event records it.
	RelayedBy string
	// Progress, when set, hears how many of the events to write are
	// stored, after each atomic batch.
	Progress func(done, total int)
}

// ImportSummary is what an import answers on every edge: what the export
// means under the map, and what this run wrote (or would write) and found
// recorded already.
type ImportSummary = importer.Summary

// ImportFormats lists the export formats an import reads, sorted.
func ImportFormats() []string { return trackers.Names() }

// ImportSystem is the tracker a format's provenance names ("bugzilla");
// "" for an unknown format.
func ImportSystem(format string) string {
	f, _ := trackers.Lookup(format)
	return f.System
}

// MaxBatch is the most events one Store.Append stores atomically (the
// event store's own bound): an import cuts its events into batches of
// at most this many.
const MaxBatch = 1000

// MaxImport bounds one import sent over the network, in bytes: the NATS
// service's uploads and the HTTP API's import bodies. An export larger
// than that is split into several files and imported in turn (each
// import records only what is new), or imported by the CLI without serve.
const MaxImport = 256 << 20

// ImportTimeout bounds the work on one import at the edges that wait for
// it (the NATS service, the HTTP API): reading, checking and storing a
// large export takes longer than a decision.
const ImportTimeout = 10 * time.Minute

// Import records a tracker's history in a product, the one write path of
// every import. It reads the export under the map (trackers.Plan),
// catches the product's write state up with the stream, and decides the
// steps on a copy of it (importer.Apply): what the product records
// already is left out, an export older than the product is refused whole.
// Unless DryRun, it appends the rest in atomic batches and folds each
// stored batch into the handler's write state, so that the next decision
// is taken on the imported history without reading it again.
//
// The product is held for the whole import: decisions about it wait. A
// batch that fails to store ends the import, keeping the batches stored
// before it (the error says how many; the same import run again records
// what is missing). Errors in the input are *domain.Error values naming
// the field at fault: format, product, map, files.
func (h *Handler) Import(ctx context.Context, r ImportRequest) (ImportSummary, error) {
	steps, sum, err := plan(r)
	if err != nil {
		return ImportSummary{}, err
	}
	p := h.product(r.Product)
	p.mu.Lock()
	defer p.mu.Unlock()
	h.settle(p)
	if err := h.catchUp(ctx, r.Product, p); err != nil {
		return ImportSummary{}, err
	}
	// Apply folds what it decides into the state it is given: a copy, so
	// that a dry run, a refusal or a failed append leaves the handler's
	// state as the stream is.
	work, err := h.copyState(p.state)
	if err != nil {
		return ImportSummary{}, err
	}
	res, err := importer.Apply(work, steps, h.now(), MaxBatch)
	if err != nil {
		return ImportSummary{}, err
	}
	sum.Written, sum.Already = res.Written, res.Already
	if r.DryRun {
		return sum, nil
	}
	done := 0
	for i, batch := range res.Batches {
		var snap *pendingSnapshot
		if i == 0 {
			// A write-state snapshot due is of the state before the
			// import, which its first batch attests, as a decision would.
			snap = h.snapshotDue(r.Product, p)
		}
		var seqs []uint64
		if snap != nil {
			seqs, err = h.attester.AppendAttested(ctx, batch, p.state.LastSeq, snap.attest)
		} else {
			seqs, err = h.store.Append(ctx, batch, p.state.LastSeq)
		}
		if err != nil {
			if !errors.Is(err, domain.ErrConflict) {
				p.current = false // the outcome may be unknown: read first next time
			}
			return ImportSummary{}, fmt.Errorf("importing into product %q stopped after %d of %d events (they are kept; run the same import again to finish): %w", r.Product, done, res.Written, err)
		}
		for j := range batch {
			batch[j].Seq = seqs[j]
			p.trust(batch[j])
		}
		p.stored = seqs[len(seqs)-1]
		if snap != nil {
			h.storeSnapshot(ctx, p, snap)
		}
		done += len(batch)
		if r.Progress != nil {
			r.Progress(done, res.Written)
		}
	}
	return sum, nil
}

// plan checks an import request and reads its export into the steps that
// record it, with relayedBy on every step.
func plan(r ImportRequest) ([]importer.Step, ImportSummary, error) {
	f, ok := trackers.Lookup(r.Format)
	switch {
	case r.Format == "":
		return nil, ImportSummary{}, domain.Malformed("format", "say which tracker the export comes from: format is one of %s", strings.Join(ImportFormats(), ", "))
	case !ok:
		return nil, ImportSummary{}, domain.Malformed("format", "unknown import format %q: use one of %s", r.Format, strings.Join(ImportFormats(), ", "))
	}
	if err := domain.CheckID("product", r.Product); err != nil {
		return nil, ImportSummary{}, err
	}
	if len(r.Files) == 0 {
		return nil, ImportSummary{}, domain.Malformed("files", "the import has no export: give at least one %s export file", r.Format)
	}
	if r.RelayedBy != "" {
		if err := domain.CheckID("relayedBy", r.RelayedBy); err != nil {
			return nil, ImportSummary{}, err
		}
	}
	// The map is read first on its own so that an error in it is named
	// as the map's, not the export's.
	if _, err := importer.ParseMap(r.Map, f.Defaults()); err != nil {
		return nil, ImportSummary{}, inputError("map", "the map file cannot be used (see \"The map file\" in docs/import.md)", err)
	}
	steps, sum, err := trackers.PlanWith(r.Format, r.Product, r.Map, r.Files, trackers.Options{URL: r.URL})
	if err != nil {
		return nil, ImportSummary{}, inputError("files", fmt.Sprintf("the %s export cannot be read", r.Format), err)
	}
	return relayed(steps, r.RelayedBy), sum, nil
}

// inputError names the field of an import at fault, keeping the kind of
// a domain error and calling anything else malformed input.
func inputError(field, msg string, err error) error {
	kind := domain.KindOf(err)
	if kind == domain.KindOther {
		kind = domain.KindMalformed
	}
	return &domain.Error{Kind: kind, Field: field, Msg: msg, Err: err}
}

// relayed returns steps whose decisions record by as their relayer.
func relayed(steps []importer.Step, by string) []importer.Step {
	if by == "" {
		return steps
	}
	out := make([]importer.Step, len(steps))
	for i, st := range steps {
		if st.Command != nil {
			c := *st.Command
			c.RelayedBy = by
			st.Command = &c
		}
		st.Events = slices.Clone(st.Events)
		for j := range st.Events {
			st.Events[j].RelayedBy = by
		}
		out[i] = st
	}
	return out
}

// copyState returns a deep copy of s: its write-state snapshot, restored.
func (h *Handler) copyState(s *domain.State) (*domain.State, error) {
	b, err := s.MarshalSnapshot()
	if err != nil {
		return nil, err
	}
	c, err := domain.RestoreState(s.Product.ID, b, s.CommandLimit())
	if err != nil {
		return nil, fmt.Errorf("copying the write state of product %q: %w", s.Product.ID, err)
	}
	return c, nil
}
