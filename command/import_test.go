package command

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/importer/importertest"
)

// The Mozilla sample and its map, from the importer's own testdata.
var (
	mozilla = filepath.Join("..", "importer", "bugzilla", "testdata", "bugzilla-mozilla.jsonl")
	bzMap   = filepath.Join("..", "importer", "bugzilla", "testdata", "map.json")
	bzData  = filepath.Join("..", "importer", "bugzilla", "testdata")
)

// mozillaEvents is how many events the Mozilla fixture maps to: the figure
// importer/bugzilla/testdata/summary.py works out from the raw export.
func mozillaEvents(t *testing.T) int {
	return importertest.WantSummary(t, bzData).Events
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func emptyStore(t *testing.T) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(context.Background(), eventstore.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func importClock() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func mozillaImport(t *testing.T) ImportRequest {
	return ImportRequest{Format: "bugzilla", Product: "firefox", Map: read(t, bzMap), Files: [][]byte{read(t, mozilla)}}
}

// events reads every event of product from the stream.
func events(t *testing.T, s *eventstore.Store, product string) []domain.Event {
	t.Helper()
	var out []domain.Event
	_, err := s.Read(context.Background(), product, 0, func(e domain.Event) error { out = append(out, e); return nil })
	require.NoError(t, err)
	return out
}

func TestImportRecordsOnceAndTheNextDecisionIsTakenOnIt(t *testing.T) {
	ctx := context.Background()
	s := emptyStore(t)
	h := New(s, importClock)

	n := mozillaEvents(t)
	dry := mozillaImport(t)
	dry.DryRun = true
	sum, err := h.Import(ctx, dry)
	require.NoError(t, err)
	assert.Equal(t, n, sum.Events)
	assert.Equal(t, n, sum.Written, "a dry run says what it would write")
	assert.Empty(t, events(t, s, "firefox"), "and writes nothing")
	assert.Zero(t, h.LastSeq("firefox"), "nor changes the write state")

	var progress []int
	r := mozillaImport(t)
	r.Progress = func(done, total int) {
		assert.Equal(t, n, total)
		progress = append(progress, done)
	}
	first, err := h.Import(ctx, r)
	require.NoError(t, err)
	assert.Equal(t, n, first.Written)
	assert.Zero(t, first.Already)
	assert.Equal(t, []int{n}, progress, "fewer than 1,000 events are one atomic batch")
	stored := events(t, s, "firefox")
	require.Len(t, stored, n)

	// The handler folded what it stored: its state is at the stream's
	// end without reading it again, and is the state a fresh reader
	// builds through the validating fold (nothing quarantined).
	p := h.products["firefox"]
	assert.Equal(t, stored[len(stored)-1].Seq, p.state.LastSeq)
	assert.True(t, p.current)
	fresh, err := New(s, importClock).State(ctx, "firefox")
	require.NoError(t, err)
	want, err := fresh.MarshalSnapshot()
	require.NoError(t, err)
	got, err := p.state.MarshalSnapshot()
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))

	second, err := h.Import(ctx, mozillaImport(t))
	require.NoError(t, err)
	assert.Zero(t, second.Written, "the same export twice records nothing the second time")
	assert.Equal(t, first.Events, second.Events, "and describes the same export")
	assert.Positive(t, second.Already)
	assert.Len(t, events(t, s, "firefox"), n)

	// A decision right after the import is taken on the imported history.
	open := openItems(p.state)
	require.NotEmpty(t, open)
	res, err := h.Execute(ctx, domain.Command{ID: "after-import", Product: "firefox", Actor: "olga", Why: "Most asked for",
		Action: domain.RankItem{ID: open[0], Position: domain.Position{Place: domain.PlaceTop}}})
	require.NoError(t, err)
	assert.Equal(t, stored[len(stored)-1].Seq+1, res.FirstSeq)
}

func openItems(s *domain.State) []string {
	var out []string
	for id, it := range s.Items {
		if it.Status.Open() {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// An import relayed by an identity that may act for others records who
// relayed it on every event, decided (the product, the roles) or
// observed (the tracker's decisions), and the validating fold admits
// them all.
func TestImportRecordsWhoRelayedIt(t *testing.T) {
	ctx := context.Background()
	s := emptyStore(t)
	h := New(s, importClock)
	n := mozillaEvents(t)
	r := mozillaImport(t)
	r.RelayedBy = "importer"
	_, err := h.Import(ctx, r)
	require.NoError(t, err)
	stored := events(t, s, "firefox")
	require.Len(t, stored, n)
	sources := 0
	for _, e := range stored {
		assert.Equal(t, "importer", e.RelayedBy, "%s at %d", e.Type, e.Seq)
		if e.Source != nil {
			sources++
		}
	}
	assert.Positive(t, sources)
	assert.Less(t, sources, len(stored), "both decided and observed events")

	fresh, err := New(s, importClock).State(ctx, "firefox")
	require.NoError(t, err)
	assert.Equal(t, h.LastSeq("firefox"), fresh.LastSeq)
	want, err := fresh.MarshalSnapshot()
	require.NoError(t, err)
	got, err := h.products["firefox"].state.MarshalSnapshot()
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got), "nothing quarantined")
}

func TestImportRefusals(t *testing.T) {
	ctx := context.Background()
	s := emptyStore(t)
	h := New(s, importClock)
	for _, tc := range []struct {
		name  string
		edit  func(r *ImportRequest)
		kind  domain.Kind
		field string
		msg   string
	}{
		{"ErrNoFormat", func(r *ImportRequest) { r.Format = "" }, domain.KindMalformed, "format", "bugzilla, github, jira"},
		{"ErrUnknownFormat", func(r *ImportRequest) { r.Format = "trac" }, domain.KindMalformed, "format", `unknown import format "trac"`},
		{"ErrBadProduct", func(r *ImportRequest) { r.Product = "a b" }, domain.KindInvalid, "product", ""},
		{"ErrNoFiles", func(r *ImportRequest) { r.Files = nil }, domain.KindMalformed, "files", "at least one bugzilla export file"},
		{"ErrMapNotJSON", func(r *ImportRequest) { r.Map = []byte("importer: pam") }, domain.KindMalformed, "map", "the map file cannot be used"},
		{"ErrMapUnknownField", func(r *ImportRequest) { r.Map = []byte(`{"importr":"pam"}`) }, domain.KindMalformed, "map", `"importr"`},
		{"ErrExportNotJSON", func(r *ImportRequest) { r.Files = [][]byte{[]byte("<bugs/>")} }, domain.KindMalformed, "files", "the bugzilla export cannot be read"},
		{"ErrRelayedByNoID", func(r *ImportRequest) { r.RelayedBy = "a b" }, domain.KindInvalid, "relayedBy", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mozillaImport(t)
			tc.edit(&r)
			_, err := h.Import(ctx, r)
			require.Error(t, err)
			assert.Equal(t, tc.kind, domain.KindOf(err), "%v", err)
			assert.Equal(t, tc.field, domain.FieldOf(err), "%v", err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	assert.Empty(t, events(t, s, "firefox"), "a refused import writes nothing")
}

// An export older than the product is refused whole, and the handler's
// write state stays the stream's.
func TestImportOlderThanTheProductLeavesTheStateAlone(t *testing.T) {
	ctx := context.Background()
	s := emptyStore(t)
	h := New(s, importClock)
	_, err := h.Execute(ctx, domain.Command{ID: "create", Product: "firefox", Actor: "pam", At: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		Action: domain.CreateProduct{Name: "Firefox", PM: "pam", PO: "olga"}})
	require.NoError(t, err)
	before, err := h.products["firefox"].state.MarshalSnapshot()
	require.NoError(t, err)
	_, err = h.Import(ctx, mozillaImport(t))
	require.Error(t, err)
	assert.Equal(t, domain.KindInvalid, domain.KindOf(err))
	assert.Contains(t, err.Error(), "nothing was imported")
	after, err := h.products["firefox"].state.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after))
	assert.Len(t, events(t, s, "firefox"), 1)
}

func TestMaxBatchIsTheStoresBound(t *testing.T) {
	assert.Equal(t, eventstore.MaxBatch, MaxBatch)
}
