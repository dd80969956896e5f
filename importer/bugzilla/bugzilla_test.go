package bugzilla_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/bugzilla"
	"github.com/decisionledger/ledger/importer/importertest"
)

// load parses a testdata export with testdata/map.json and plans it.
func load(t *testing.T, file string) ([]importer.Step, importer.Summary) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	require.NoError(t, err)
	defer f.Close()
	bugs, err := bugzilla.Parse(f)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join("testdata", "map.json"))
	require.NoError(t, err)
	m, err := importer.ParseMap(raw, bugzilla.Defaults())
	require.NoError(t, err)
	res, err := bugzilla.Map(bugs, m)
	require.NoError(t, err)
	return importer.Plan(bugzilla.System, "firefox", m, res.Ops, res.Skipped)
}

// TestSummaryMatchesScript pins the summary of the Mozilla fixture to the
// figures testdata/summary.py works out from the raw file on its own
// (python3 summary.py bugzilla-mozilla.jsonl map.json > summary.json).
func TestSummaryMatchesScript(t *testing.T) {
	_, sum := load(t, "bugzilla-mozilla.jsonl")
	raw, err := os.ReadFile(filepath.Join("testdata", "summary.json"))
	require.NoError(t, err)
	var want map[string]any
	require.NoError(t, json.Unmarshal(raw, &want))
	b, err := json.Marshal(sum)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	delete(got, "written")
	delete(got, "already")
	assert.Equal(t, want, got)
	// The figures, written out so that a change to either side shows here.
	assert.Equal(t, 367, sum.Events)
	assert.Equal(t, 58, sum.Requests)
	assert.Equal(t, 44, sum.Items, "filing accepts nothing: 14 bugs were never taken on")
	assert.Equal(t, 41, sum.Deliveries)
	assert.Equal(t, 8, sum.Rejections, "7 requests rejected, 1 item removed")
	assert.Equal(t, 0, sum.Slips, "the file moves no bug from one milestone to another")
	assert.Equal(t, 0, sum.Reopens)
	assert.Equal(t, 164, sum.OutsideAuthority)
	assert.Equal(t, 99, sum.Actors)
	assert.Equal(t, 0, sum.FiledUnnamed, "every bug has its creation_time and creator")
	assert.Equal(t, 9, sum.Skipped["assigned_to"], "assignments to an inbox, or after the bug was taken on")
	assert.Equal(t, 589, sum.Skipped["comment"], "comments that are no decision's why")
}

// TestOutcomesMatchScript derives each request's figures from the
// importer's events and requires those testdata/summary.py --outcomes
// works out from the raw file (testdata/outcomes.json).
func TestOutcomesMatchScript(t *testing.T) {
	steps, _ := load(t, "bugzilla-mozilla.jsonl")
	got := importertest.Outcomes(t, steps)
	assert.Equal(t, importertest.WantOutcomes(t, "testdata"), got)
	require.Len(t, got, 58)

	// Filed by its reporter, taken on when assigned to a person the next
	// day, delivered with mozilla34 set in the change that resolved it.
	fixed := got["BZ-1042734-req"]
	assert.Equal(t, "ue1c10445-example-org", fixed.Submitted.Actor)
	require.NotNil(t, fixed.Accepted)
	assert.Equal(t, "2014-07-24T20:25:03Z", fixed.Accepted.At)
	assert.Equal(t, "u6ac2a055-example-org", fixed.Accepted.Actor)
	assert.Nil(t, fixed.Accepted.Release)
	require.NotNil(t, fixed.Delivered)
	assert.Equal(t, "mozilla34", *fixed.Delivered.Release)

	// Filed as P4 with no history: the tracker's fields accept nothing.
	assert.Nil(t, got["BZ-1531080-req"].Accepted)
	// Taken on by a priority set (-- to P3), removed as WONTFIX a year on.
	wontfix := got["BZ-1372243-req"]
	require.NotNil(t, wontfix.Accepted)
	assert.Equal(t, "2017-06-12T20:01:41Z", wontfix.Accepted.At)
	assert.Equal(t, &importertest.Decided{At: "2018-10-01T12:23:37Z", Reason: "out-of-scope"}, wontfix.Removed)
	// Rejected while pending.
	assert.Equal(t, &importertest.Decided{At: "2014-07-12T03:14:01Z", Reason: "not-feasible"}, got["BZ-1037762-req"].Rejected)
}

func TestStepsAreInTimeOrder(t *testing.T) {
	steps, _ := load(t, "bugzilla-mozilla.jsonl")
	require.NotEmpty(t, steps)
	for i := 1; i < len(steps); i++ {
		require.False(t, steps[i].At.Before(steps[i-1].At), "step %d (%s) before step %d", i, steps[i].CommandID, i-1)
	}
	ids := map[string]bool{}
	for _, s := range steps {
		require.False(t, ids[s.CommandID], "command id %s twice", s.CommandID)
		ids[s.CommandID] = true
	}
}

func TestParseShapes(t *testing.T) {
	line := `{"id":7,"summary":"Crash","creator":"a@example.org","creation_time":"2020-01-02T03:04:05Z","history":[]}`
	cases := map[string]string{
		"OneBugPerLine": line + "\n",
		"BugsObject":    `{"bugs":[` + line + `]}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			bugs, err := bugzilla.Parse(stringsReader(in))
			require.NoError(t, err)
			require.Len(t, bugs, 1)
			assert.Equal(t, 7, bugs[0].ID)
		})
	}
	t.Run("HistoryFileMerged", func(t *testing.T) {
		bugs, err := bugzilla.Parse(stringsReader(line))
		require.NoError(t, err)
		hist, err := bugzilla.Parse(stringsReader(`{"bugs":[{"id":7,"history":[{"when":"2020-01-03T00:00:00Z","who":"b@example.org","changes":[{"field_name":"priority","removed":"--","added":"P1"}]}]}]}`))
		require.NoError(t, err)
		all := bugzilla.Merge(bugs, hist)
		require.Len(t, all, 1)
		assert.Equal(t, "Crash", all[0].Summary)
		assert.Len(t, all[0].History, 1)
	})
	// /rest/bug/{id}/comment answers with bugs keyed by id, each with its
	// comments; Bugzilla 5 names a comment's author creator.
	t.Run("CommentFileMerged", func(t *testing.T) {
		bugs, err := bugzilla.Parse(stringsReader(line))
		require.NoError(t, err)
		comments, err := bugzilla.Parse(stringsReader(`{"bugs":{"7":{"comments":[
		 {"id":91,"bug_id":7,"count":0,"text":"It crashes on start.","creator":"a@example.org","creation_time":"2020-01-02T03:04:05Z","time":"2020-01-02T03:04:05Z","is_private":false,"tags":[],"attachment_id":null}]}},"comments":{}}`))
		require.NoError(t, err)
		all := bugzilla.Merge(bugs, comments)
		require.Len(t, all, 1)
		require.Len(t, all[0].Comments, 1)
		assert.Equal(t, "a@example.org", all[0].Comments[0].By())
		_, err = bugzilla.Parse(stringsReader(`{"bugs":{"seven":{"comments":[]}}}`))
		assert.ErrorContains(t, err, `"seven" is not a bug id`)
	})
}

func TestLifecycle(t *testing.T) {
	steps, sum := load(t, "lifecycle.json")
	assert.Equal(t, 2, sum.Slips)
	assert.Equal(t, 2, sum.Reopens, "one reopened after FIXED, one re-submitted after WONTFIX")
	assert.Equal(t, 2, sum.Deliveries)
	var types []string
	for _, s := range steps {
		for _, e := range s.Events {
			if e.Source.Key == "100" {
				types = append(types, e.Data.EventType())
			}
		}
	}
	assert.Equal(t, []string{"RequestSubmitted", "RequestAccepted", "BacklogItemAdded", "BacklogItemRanked",
		"BacklogItemRefined", "BacklogItemRefined", "BacklogItemUnplanned", "BacklogItemRefined",
		"WorkDelivered", "WorkReopened", "BacklogItemRanked", "WorkDelivered"}, types)
	_ = time.Second
}
