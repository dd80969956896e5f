package github_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/github"
)

func plan(t *testing.T, data string) ([]importer.Step, importer.Summary) {
	t.Helper()
	issues, _, err := github.Parse(strings.NewReader(data))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join("testdata", "map.json"))
	require.NoError(t, err)
	m, err := importer.ParseMap(raw, github.Defaults())
	require.NoError(t, err)
	res, err := github.Map(issues, m)
	require.NoError(t, err)
	return importer.Plan(github.System, "webcompat", m, res.Ops, res.Skipped)
}

// TestSummaryMatchesScript pins the summary of the webcompat fixture to
// the figures testdata/summary.py works out from the raw file on its own.
func TestSummaryMatchesScript(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "github-webcompat-issues.jsonl"))
	require.NoError(t, err)
	_, sum := plan(t, string(data))
	raw, err := os.ReadFile(filepath.Join("testdata", "summary.json"))
	require.NoError(t, err)
	var want, got map[string]any
	require.NoError(t, json.Unmarshal(raw, &want))
	b, err := json.Marshal(sum)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &got))
	delete(got, "written")
	delete(got, "already")
	assert.Equal(t, want, got)
	assert.Equal(t, 273, sum.Events)
	assert.Equal(t, 100, sum.Requests)
	assert.Equal(t, 33, sum.Items)
	assert.Equal(t, 47, sum.Rejections)
	assert.Equal(t, 13, sum.Deliveries)
	assert.Equal(t, 131, sum.OutsideAuthority)
}

func TestRepositoryEventsAndPullRequests(t *testing.T) {
	events := `[
	 {"id": 1, "event": "milestoned", "actor": {"login": "bob"}, "created_at": "2021-01-02T00:00:00Z", "milestone": {"title": "v2"},
	  "issue": {"number": 5, "title": "Dark mode", "user": {"login": "sue"}, "created_at": "2021-01-01T00:00:00Z", "html_url": "https://github.com/o/r/issues/5"}},
	 {"id": 2, "event": "closed", "actor": {"login": "bob"}, "created_at": "2021-01-03T00:00:00Z",
	  "issue": {"number": 5, "title": "Dark mode", "user": {"login": "sue"}, "created_at": "2021-01-01T00:00:00Z", "html_url": "https://github.com/o/r/issues/5"}},
	 {"id": 3, "event": "closed", "actor": {"login": "bob"}, "created_at": "2021-01-03T00:00:00Z",
	  "issue": {"number": 6, "title": "A PR", "pull_request": {"url": "x"}, "user": {"login": "sue"}, "created_at": "2021-01-01T00:00:00Z"}}
	]`
	issues, pulls, err := github.Parse(strings.NewReader(events))
	require.NoError(t, err)
	assert.Equal(t, 1, pulls, "pull requests are skipped")
	require.Len(t, issues, 1)
	assert.Len(t, issues[0].Events, 2)
	_, sum := plan(t, events)
	assert.Equal(t, 1, sum.Items)
	assert.Equal(t, 1, sum.Deliveries, "closed after it was planned for v2: delivered")
}
