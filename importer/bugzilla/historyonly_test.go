package bugzilla_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/bugzilla"
	"github.com/decisionledger/ledger/importer/importertest"
)

// parse reads a testdata export.
func parse(t *testing.T, file string) []bugzilla.Bug {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	require.NoError(t, err)
	defer f.Close()
	bugs, err := bugzilla.Parse(f)
	require.NoError(t, err)
	return bugs
}

// plan maps bugs under testdata/map.json and plans them: an error (a
// bug without a creation time read as a bad time) fails the test.
func plan(t *testing.T, bugs []bugzilla.Bug) ([]importer.Step, importer.Summary) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "map.json"))
	require.NoError(t, err)
	m, err := importer.ParseMap(raw, bugzilla.Defaults())
	require.NoError(t, err)
	res, err := bugzilla.Map(bugs, m)
	require.NoError(t, err)
	return importer.Plan(bugzilla.System, "firefox", m, res.Ops, res.Skipped)
}

// firstChanges reads history-only.json without the importer: each bug's
// id and the time of its first change.
func firstChanges(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "history-only.json"))
	require.NoError(t, err)
	var file struct {
		Bugs []struct {
			ID      int `json:"id"`
			History []struct {
				When string `json:"when"`
			} `json:"history"`
		} `json:"bugs"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	out := map[string]string{}
	for _, b := range file.Bugs {
		require.NotEmpty(t, b.History)
		first := b.History[0].When
		for _, h := range b.History {
			if h.When < first {
				first = h.When
			}
		}
		out["BZ-"+itoa(b.ID)+"-req"] = first
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestHistoryOnly imports testdata/history-only.json, five Mozilla bugs
// as /rest/bug/{id}/history gives them (no creation time, no creator):
// each bug's request is submitted at its first change by unnamed, who
// holds no role, so the submission is outside any authority; nothing is
// invented; the summary counts the five.
func TestHistoryOnly(t *testing.T) {
	hist := parse(t, "history-only.json")
	first := firstChanges(t)
	require.Len(t, hist, len(first))
	steps, sum := plan(t, hist)
	assert.Equal(t, len(first), sum.FiledUnnamed)
	assert.Equal(t, len(first), sum.Requests)

	submitted := map[string]domain.Event{}
	for _, s := range steps {
		for _, e := range s.Events {
			if _, ok := e.Data.(domain.RequestSubmitted); ok {
				submitted[e.Aggregate.ID] = e
			}
		}
	}
	require.Len(t, submitted, len(first))
	for id, when := range first {
		e, ok := submitted[id]
		require.True(t, ok, "%s submitted", id)
		assert.Equal(t, when, e.OccurredAt.UTC().Format(time.RFC3339), "%s at its first change", id)
		assert.Equal(t, importer.UnnamedActor, e.Actor.ID)
		assert.Equal(t, importer.UnnamedActor, e.Data.(domain.RequestSubmitted).Requester)
		assert.Equal(t, "filed", e.Source.Change, "a filing the export does not record")
		assert.Empty(t, e.Source.Author, "no reporter invented")
		assert.Contains(t, e.Why, "first recorded change", "its why says so")
	}

	// Recorded, each submission is flagged outside authority.
	res, err := importer.Apply(domain.NewState("firefox"), steps, time.Now(), 1000)
	require.NoError(t, err)
	flagged := 0
	for _, b := range res.Batches {
		for _, e := range b {
			if e.Type == domain.TypeRequestSubmitted {
				assert.Equal(t, importer.UnnamedActor, e.Actor.ID)
				assert.Empty(t, e.Actor.Role, "unnamed holds no role")
				assert.True(t, e.OutsideAuthority, "%s", e.Aggregate.ID)
				flagged++
			}
		}
	}
	assert.Equal(t, len(first), flagged)
}

// TestHistoryMergedWithBugs: merged with a bug file of the same ids, in
// either order, the history-only bugs get their real filing back, and
// every figure of their requests is the one the script works out for the
// whole Mozilla fixture (testdata/outcomes.json).
func TestHistoryMergedWithBugs(t *testing.T) {
	hist := parse(t, "history-only.json")
	ids := map[int]bool{}
	for _, b := range hist {
		ids[b.ID] = true
	}
	var same []bugzilla.Bug
	for _, b := range parse(t, "bugzilla-mozilla.jsonl") {
		if ids[b.ID] {
			same = append(same, b)
		}
	}
	require.Len(t, same, len(hist))
	want := importertest.WantOutcomes(t, "testdata")
	cases := map[string][][]bugzilla.Bug{
		"HistoryThenBugs": {hist, same},
		"BugsThenHistory": {same, hist},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			steps, sum := plan(t, bugzilla.Merge(files...))
			assert.Zero(t, sum.FiledUnnamed)
			got := importertest.Outcomes(t, steps)
			require.Len(t, got, len(hist))
			for id, o := range got {
				assert.Equal(t, want[id], o, id)
				assert.NotEqual(t, importer.UnnamedActor, o.Submitted.Actor, id)
			}
		})
	}
}
