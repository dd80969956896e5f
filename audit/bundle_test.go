package audit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
)

// exportQ2 exports the demo history's second quarter into a new directory;
// again exports it once more into the same directory.
func exportQ2(t *testing.T) (dir string, m *Manifest, verifier note.Verifier, again func() error) {
	t.Helper()
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	period := NewPeriod(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	l, err := Scan(ctx, s, ScanOptions{Visit: period.Visit})
	require.NoError(t, err)
	signed, _, err := Sign(ctx, s, key, l)
	require.NoError(t, err)
	dir = filepath.Join(t.TempDir(), "bundle")
	m, err = Export(l, period, signed, dir)
	require.NoError(t, err)
	return dir, m, verifier, func() error {
		_, err := Export(l, period, signed, dir)
		return err
	}
}

func TestExportThenCheckBundle(t *testing.T) {
	dir, m, verifier, again := exportQ2(t)
	require.NotEmpty(t, m.Events)
	assert.Equal(t, m.Events[0].Seq, m.FirstSeq)
	assert.Less(t, m.FirstSeq, m.LastSeq)
	res, err := CheckBundle(dir, verifier)
	require.NoError(t, err)
	assert.Len(t, res.Events, len(m.Events))
	assert.Empty(t, res.Warnings)
	for _, c := range res.Events {
		assert.False(t, c.Event.OccurredAt.Before(m.From), "seq %d", c.Event.Seq)
		assert.True(t, c.Event.OccurredAt.Before(m.To), "seq %d", c.Event.Seq)
	}
	for _, f := range []string{ManifestFile, BundleCheckpoint, "README.txt"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	// Each proof in the bundle stands alone too.
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(m.Events[0].File)))
	require.NoError(t, err)
	_, err = ParseProof(b)
	require.NoError(t, err)

	// A bundle directory is never overwritten.
	assert.ErrorContains(t, again(), "not empty")
}

func TestCheckBundleRefuses(t *testing.T) {
	orig, m0, verifier, _ := exportQ2(t)
	cases := []struct {
		name string
		edit func(t *testing.T, dir string, m *Manifest)
		msg  string
	}{
		{"ErrProofEdited", func(t *testing.T, dir string, m *Manifest) {
			name := filepath.Join(dir, filepath.FromSlash(m.Events[3].File))
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			b = []byte(strings.Replace(string(b), `\"occurredAt\":\"2026-`, `\"occurredAt\":\"2025-`, 1))
			require.NoError(t, os.WriteFile(name, b, 0o644))
		}, "leaf hash"},
		{"ErrEventLeftOut", func(t *testing.T, dir string, m *Manifest) {
			m.Events = append(m.Events[:2], m.Events[3:]...)
			writeManifest(t, dir, m)
		}, "missing"},
		{"ErrPeriodFlagLie", func(t *testing.T, dir string, m *Manifest) {
			m.Events[1].InPeriod = !m.Events[1].InPeriod
			writeManifest(t, dir, m)
		}, "wrongly marks"},
		{"ErrPathEscapes", func(t *testing.T, dir string, m *Manifest) {
			m.Events[0].File = "../../etc/passwd"
			writeManifest(t, dir, m)
		}, "outside the bundle"},
		{"ErrCheckpointSwapped", func(t *testing.T, dir string, m *Manifest) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, BundleCheckpoint), []byte("other\n"), 0o644))
		}, "differs"},
		{"ErrProofMissing", func(t *testing.T, dir string, m *Manifest) {
			require.NoError(t, os.Remove(filepath.Join(dir, filepath.FromSlash(m.Events[5].File))))
		}, "sequence"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "bundle")
			require.NoError(t, os.CopyFS(dir, os.DirFS(orig)))
			m := *m0
			m.Events = slices.Clone(m0.Events)
			tc.edit(t, dir, &m)
			_, err := CheckBundle(dir, verifier)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrProof)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func writeManifest(t *testing.T, dir string, m *Manifest) {
	t.Helper()
	b, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), b, 0o644))
}
