package jira_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/jira"
)

func plan(t *testing.T, file string) ([]importer.Step, importer.Summary) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	require.NoError(t, err)
	defer f.Close()
	issues, err := jira.Parse(f)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join("testdata", "map.json"))
	require.NoError(t, err)
	m, err := importer.ParseMap(raw, jira.Defaults())
	require.NoError(t, err)
	res, err := jira.Map(issues, m)
	require.NoError(t, err)
	return importer.Plan(jira.System, "ee", m, res.Ops, res.Skipped)
}

// TestSummaryMatchesScript pins the summary of the Jira Cloud fixture to
// the figures testdata/summary.py works out from the raw file on its own.
func TestSummaryMatchesScript(t *testing.T) {
	steps, sum := plan(t, "jira-cloud-search.json")
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
	assert.Equal(t, 92, sum.Events)
	assert.Equal(t, 9, sum.Slips, "fix-version moves v2.7.0 -> SaaS")
	assert.Equal(t, 11, sum.Deliveries)
	assert.Equal(t, 4, sum.Rejections, "Won't Do, matched by id 10001 whatever its localized name")
	// Histories come newest first; the steps are in time order all the same.
	for i := 1; i < len(steps); i++ {
		require.False(t, steps[i].At.Before(steps[i-1].At))
	}
}

// TestNoAuthorAndPriorityByID reads the go-jira page: a history without an
// author, and a priority whose id (10802) the default map does not know,
// whatever name it carries.
func TestNoAuthorAndPriorityByID(t *testing.T) {
	steps, sum := plan(t, "jira-search-changelog.json")
	assert.Equal(t, 1, sum.Requests)
	assert.Equal(t, 1, sum.Skipped["priority"], "priority 10802 is no priority of the map")
	assert.Equal(t, 1, sum.Skipped["summary"], "a summary change before triage has no ledger meaning")
	var submitted *domain.Event
	for _, s := range steps {
		for _, e := range s.Events {
			if _, ok := e.Data.(domain.RequestSubmitted); ok {
				submitted = &e
			}
		}
	}
	require.NotNil(t, submitted)
	assert.Equal(t, "A task that needs to be done.", submitted.Data.(domain.RequestSubmitted).Title, "the title at creation, before the rename")
	assert.Equal(t, "https://merico.atlassian.net/browse/AR-86", submitted.Source.URL, "the map's url wins over the self link")
}
