package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/stored"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// ranked is the short name "ranked" expanded.
var ranked = []string{domain.TypeBacklogItemRanked, domain.TypeRoadmapItemRanked}

// exportDecisions exports the demo's decisions matching each filter into
// new directories, against one signed checkpoint of the whole demo.
func exportDecisions(t *testing.T, filters ...domain.DecisionFilter) ([]string, []*DecisionsManifest, note.Verifier) {
	t.Helper()
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	sels := make([]*Selection, len(filters))
	for i, f := range filters {
		sels[i] = NewSelection(f)
	}
	l, err := Scan(ctx, s, ScanOptions{Visit: func(r stored.Raw) error {
		for _, sel := range sels {
			_ = sel.Visit(r)
		}
		return nil
	}})
	require.NoError(t, err)
	signed, _, err := Sign(ctx, s, key, l)
	require.NoError(t, err)
	var dirs []string
	var ms []*DecisionsManifest
	for i, sel := range sels {
		dir := filepath.Join(t.TempDir(), "bundle")
		m, err := ExportDecisions(l, sel, signed, dir)
		require.NoError(t, err, "filter %d", i)
		dirs, ms = append(dirs, dir), append(ms, m)
	}
	return dirs, ms, verifier
}

func decisionSeqs(res *DecisionsResult) []uint64 {
	out := []uint64{}
	for _, c := range res.Decisions {
		out = append(out, c.Leaf.Seq)
	}
	return out
}

// The expected sequences are those of query's TestDemoDecisions, counted
// from demo/script.go.
func TestExportDecisionsThenCheck(t *testing.T) {
	auditor := domain.DecisionFilter{Product: "checkout", Types: ranked, Epic: "CARDS", From: day(2026, 1, 1), To: day(2027, 1, 1)}
	april := domain.DecisionFilter{Product: "checkout", Types: ranked, From: day(2026, 4, 1), To: day(2026, 7, 1)}
	nina := domain.DecisionFilter{Product: "checkout", Types: ranked, Actor: "nina"}
	dirs, ms, verifier := exportDecisions(t, auditor, april, nina)

	t.Run("OKAuditorsQuestion", func(t *testing.T) {
		res, err := CheckDecisions(dirs[0], verifier)
		require.NoError(t, err)
		// CARD-1, CARD-5, CARD-2 on 01-08.
		assert.Equal(t, []uint64{44, 45, 46}, decisionSeqs(res))
		// Nothing of the demo is before 2026 or in 2027: the whole stream.
		assert.Equal(t, uint64(1), ms[0].FirstSeq)
		assert.Equal(t, uint64(eventstoretest.DemoEvents), ms[0].LastSeq)
		// Shown in full besides: the BacklogItemAdded of every other ranked
		// item, which proves its epic was not CARDS (OPS-2 39, WAL-1 23,
		// CARD-8 60, WAL-2 24, INV-1 29, WAL-4 26, RCP-2 132, RCP-3 133) and
		// those of CARD-1 15, CARD-5 19, CARD-2 16; the rest by leaf.
		assert.Equal(t, 11, res.Full)
		assert.Equal(t, eventstoretest.DemoEvents-3-11, res.Leaves)
	})
	t.Run("OKPeriodBoundaries", func(t *testing.T) {
		res, err := CheckDecisions(dirs[1], verifier)
		require.NoError(t, err)
		// R-INVOICE 04-02, INV-1 04-21, WAL-4 05-15.
		assert.Equal(t, []uint64{93, 102, 115}, decisionSeqs(res))
		// WAL-2's rank on 03-30 is the last event before April, INV-1's
		// rank on 07-01 the first after June.
		assert.Equal(t, uint64(92), ms[1].FirstSeq)
		assert.Equal(t, uint64(139), ms[1].LastSeq)
	})
	t.Run("OKActorNeedsTheEvents", func(t *testing.T) {
		res, err := CheckDecisions(dirs[2], verifier)
		require.NoError(t, err)
		assert.Equal(t, []uint64{115, 139, 147, 155}, decisionSeqs(res))
		// Who ranked is not in a leaf: the other nine rank events are shown.
		assert.Equal(t, 9, res.Full)
	})
}

// tamper copies a bundle and lets edit change its manifest.
func tamper(t *testing.T, dir string, edit func(dir string, m *DecisionsManifest)) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "tampered")
	require.NoError(t, os.CopyFS(out, os.DirFS(dir)))
	b, err := os.ReadFile(filepath.Join(out, DecisionsManifestFile))
	require.NoError(t, err)
	var m DecisionsManifest
	require.NoError(t, json.Unmarshal(b, &m))
	edit(out, &m)
	b, err = json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(out, DecisionsManifestFile), b, 0o644))
	return out
}

// toLeaf replaces the full event at seq with its leaf, as someone hiding
// it while keeping the range whole would.
func toLeaf(t *testing.T, dir string, m *DecisionsManifest, seq uint64) {
	t.Helper()
	i := slices.IndexFunc(m.Events, func(e DecisionEntry) bool { return e.Seq == seq })
	require.GreaterOrEqual(t, i, 0)
	b, err := os.ReadFile(filepath.Join(dir, m.Events[i].File))
	require.NoError(t, err)
	p, err := ParseProof(b)
	require.NoError(t, err)
	sum := sha256.Sum256(p.Payload)
	m.Events = slices.Delete(m.Events, i, i+1)
	m.Leaves = append(m.Leaves, LeafEntry{Seq: p.Seq, Subject: p.Subject, MsgID: p.MsgID, Type: p.Type,
		PayloadSHA256: sum[:], LeafHash: p.LeafHash, Inclusion: p.Inclusion})
}

func TestCheckDecisionsTampered(t *testing.T) {
	auditor := domain.DecisionFilter{Product: "checkout", Types: ranked, Epic: "CARDS", From: day(2026, 1, 1), To: day(2027, 1, 1)}
	april := domain.DecisionFilter{Product: "checkout", Types: ranked, From: day(2026, 4, 1), To: day(2026, 7, 1)}
	dirs, _, verifier := exportDecisions(t, auditor, april)
	cases := []struct {
		name  string
		dir   string
		edit  func(dir string, m *DecisionsManifest)
		claim int
		msg   string
	}{
		{"ErrDecisionRemovedFromTheList", dirs[0], func(dir string, m *DecisionsManifest) { toLeaf(t, dir, m, 46) },
			ClaimComplete, "sequence 46 (BacklogItemRanked on ledger.checkout.item.CARD-2) could match the filter"},
		{"ErrDecisionDemoted", dirs[0], func(_ string, m *DecisionsManifest) {
			i := slices.IndexFunc(m.Events, func(e DecisionEntry) bool { return e.Seq == 46 })
			m.Events[i].Decision = false
		}, ClaimComplete, "sequence 46 (BacklogItemRanked on ledger.checkout.item.CARD-2) matches the filter but is not listed"},
		{"ErrDecisionAdded", dirs[0], func(_ string, m *DecisionsManifest) {
			i := slices.IndexFunc(m.Events, func(e DecisionEntry) bool { return e.Seq == 15 })
			m.Events[i].Decision = true
		}, ClaimComplete, "sequence 15 (BacklogItemAdded on ledger.checkout.item.CARD-1) is listed as a decision but does not match"},
		{"ErrEpicEventHidden", dirs[0], func(dir string, m *DecisionsManifest) { toLeaf(t, dir, m, 60) },
			ClaimComplete, "sequence 61 (BacklogItemRanked on ledger.checkout.item.CARD-8) could match"},
		{"ErrEventEdited", dirs[0], func(dir string, m *DecisionsManifest) {
			name := filepath.Join(dir, "proofs", "0000000046.json")
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			edited := bytes.Replace(b, []byte("PSD2"), []byte("PSD3"), 1)
			require.NotEqual(t, b, edited)
			require.NoError(t, os.WriteFile(name, edited, 0o644))
		}, ClaimUnchanged, "decision at sequence 46: proof not valid: the leaf hash is not the hash of the event"},
		{"ErrLeafDropped", dirs[0], func(_ string, m *DecisionsManifest) {
			i := slices.IndexFunc(m.Leaves, func(l LeafEntry) bool { return l.Seq == 100 })
			m.Leaves = slices.Delete(m.Leaves, i, i+1)
		}, ClaimNoGap, "sequence 100 is missing"},
		{"ErrLeafRetyped", dirs[0], func(_ string, m *DecisionsManifest) {
			i := slices.IndexFunc(m.Leaves, func(l LeafEntry) bool { return l.Seq == 47 })
			m.Leaves[i].Type = domain.TypeWorkStarted
		}, ClaimNoGap, "leaf 47: its hash is not the hash of its fields"},
		{"ErrRangeStartsLate", dirs[1], func(_ string, m *DecisionsManifest) {
			m.FirstSeq = 94
			m.Events = slices.DeleteFunc(m.Events, func(e DecisionEntry) bool { return e.Seq < 94 })
			m.Leaves = slices.DeleteFunc(m.Leaves, func(l LeafEntry) bool { return l.Seq < 94 })
		}, ClaimNoGap, "the range starts at sequence 94, but that is not an event of product \"checkout\" before the period"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckDecisions(tamper(t, tc.dir, tc.edit), verifier)
			var ce *ClaimError
			require.True(t, errors.As(err, &ce), "%v", err)
			assert.Equal(t, tc.claim, ce.Claim, "%v", err)
			assert.ErrorContains(t, err, tc.msg)
			assert.ErrorIs(t, err, ErrProof)
		})
	}
}
