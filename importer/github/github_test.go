package github_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/github"
	"github.com/decisionledger/ledger/importer/importertest"
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

// load plans the webcompat fixture with testdata/map.json.
func load(t *testing.T) ([]importer.Step, importer.Summary) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "github-webcompat-issues.jsonl"))
	require.NoError(t, err)
	return plan(t, string(data))
}

// TestSummaryMatchesScript pins the summary of the webcompat fixture to
// the figures testdata/summary.py works out from the raw file on its own.
func TestSummaryMatchesScript(t *testing.T) {
	_, sum := load(t)
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
	assert.Equal(t, 241, sum.Events)
	assert.Equal(t, 100, sum.Requests)
	assert.Equal(t, 33, sum.Items, "taken on by a priority label or needsdiagnosis; a close without a reason takes nothing on")
	assert.Equal(t, 47, sum.Rejections, "41 requests rejected by a triage milestone or a reason-less close, 6 items removed")
	assert.Equal(t, 13, sum.Deliveries, "closed, before GitHub recorded close reasons, after being taken on")
	assert.Equal(t, 0, sum.Slips, "no release milestones: the webcompat ones are triage states")
	assert.Equal(t, 100, sum.OutsideAuthority)
	assert.Equal(t, 9, sum.Actors)
}

// TestOutcomesMatchScript derives each request's figures from the
// importer's events and requires those testdata/summary.py --outcomes
// works out from the raw file (testdata/outcomes.json).
func TestOutcomesMatchScript(t *testing.T) {
	steps, _ := load(t)
	got := importertest.Outcomes(t, steps)
	assert.Equal(t, importertest.WantOutcomes(t, "testdata"), got)
	require.Len(t, got, 100)

	// The bot files from the moderation queue; a priority label it adds
	// two days later takes the issue on; the invalid milestone then
	// removes the item, with its reason.
	invalid := got["GH-70961-req"]
	assert.Equal(t, "user-dc55f528", invalid.Submitted.Actor)
	require.NotNil(t, invalid.Accepted)
	assert.Equal(t, "2021-04-19T08:26:04Z", invalid.Accepted.At)
	assert.Equal(t, &importertest.Decided{At: "2021-04-19T08:27:32Z", Reason: "other"}, invalid.Removed)
	// A triage milestone that says sitewait defers the request.
	deferred := got["GH-70971-req"]
	require.NotNil(t, deferred.Deferred)
	assert.Equal(t, "2021-04-19T08:18:45Z", *deferred.Deferred)
	assert.Nil(t, deferred.Accepted)
	// The triager closes, without a reason (2021: GitHub had none yet),
	// an issue nobody took on: the request is rejected as other, nothing
	// is delivered.
	closed := got["GH-71056-req"]
	assert.Nil(t, closed.Accepted)
	assert.Nil(t, closed.Delivered)
	assert.Equal(t, &importertest.Decided{At: "2021-04-19T14:35:40Z", Reason: "other"}, closed.Rejected)
	// The same close of an issue a priority label took on delivers it.
	shipped := got["GH-70963-req"]
	require.NotNil(t, shipped.Accepted)
	assert.Equal(t, "2021-04-19T08:26:29Z", shipped.Accepted.At)
	assert.Equal(t, &importertest.Delivered{At: "2021-04-19T13:11:20Z"}, shipped.Delivered)
	// Rejected while pending, by the invalid milestone.
	assert.Equal(t, &importertest.Decided{At: "2021-04-19T09:13:27Z", Reason: "other"}, got["GH-71054-req"].Rejected)
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

// TestTimeline: an issue with its timeline (/issues/{n}/timeline) in
// place of its events: a comment by the person who decides, at the
// instant of the decision, is its why; items without an id or a time of
// their own (cross-referenced, committed) are counted as skipped, not
// refused.
func TestTimeline(t *testing.T) {
	export := `{"number": 8, "title": "Dark mode", "user": {"login": "sue"}, "created_at": "2021-01-01T00:00:00Z", "html_url": "https://github.com/o/r/issues/8", "body": "Please.",
	 "events": [
	  {"id": 81, "event": "commented", "actor": {"login": "bob"}, "user": {"login": "bob"}, "created_at": "2021-01-02T00:00:00Z", "body": "Planned for v2: most asked for."},
	  {"id": 82, "event": "milestoned", "actor": {"login": "bob"}, "created_at": "2021-01-02T00:00:00Z", "milestone": {"title": "v2"}},
	  {"event": "cross-referenced", "actor": {"login": "amy"}, "created_at": "2021-01-03T00:00:00Z", "source": {"type": "issue"}},
	  {"event": "committed", "sha": "abc", "author": {"date": "2021-01-04T00:00:00Z"}, "message": "Dark mode"},
	  {"id": 83, "event": "closed", "actor": {"login": "bob"}, "created_at": "2021-01-05T00:00:00Z", "state_reason": "completed"}]}`
	steps, sum := plan(t, strings.ReplaceAll(export, "\n", ""))
	assert.Equal(t, 1, sum.Items)
	assert.Equal(t, 1, sum.Deliveries)
	assert.Equal(t, map[string]int{"cross-referenced": 1, "committed": 1}, map[string]int(sum.Skipped))
	var accepted domain.Event
	for _, st := range steps {
		for _, e := range st.Events {
			if e.Data.EventType() == "RequestAccepted" {
				accepted = e
			}
		}
	}
	assert.Equal(t, "Planned for v2: most asked for.", accepted.Why, "the comment made with the decision is its why")
}

// TestOnlyHTTPLinksKept: an export whose issue links are javascript:,
// data:, file: or relative records the issues without a link, in the
// events' source and in the whys written for them, and the summary
// counts each issue whose link was dropped.
func TestOnlyHTTPLinksKept(t *testing.T) {
	issue := func(n int, link string) string {
		return `{"number": ` + itoa(n) + `, "title": "Issue", "user": {"login": "sue"}, "created_at": "2021-01-0` + itoa(n) + `T00:00:00Z", "html_url": ` + quote(link) + `,
		 "events": [{"id": ` + itoa(100+n) + `, "event": "milestoned", "actor": {"login": "bob"}, "created_at": "2021-01-0` + itoa(n) + `T01:00:00Z", "milestone": {"title": "v2"}}]}`
	}
	links := []string{"javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
		"/o/r/issues/4", "https:evil.example", "https://github.com/o/r/issues/6"}
	var lines []string
	for i, l := range links {
		lines = append(lines, strings.ReplaceAll(issue(i+1, l), "\n", ""))
	}
	steps, sum := plan(t, strings.Join(lines, "\n"))
	assert.Equal(t, 5, sum.LinksDropped, "one per issue whose link is not http or https")
	kept := 0
	for _, st := range steps {
		for _, e := range st.Events {
			require.NotNil(t, e.Source)
			for _, bad := range links[:5] {
				assert.NotContains(t, e.Source.URL, bad)
				assert.NotContains(t, e.Why, bad)
			}
			if e.Source.URL == links[5] {
				kept++
				assert.Contains(t, e.Why, "("+links[5]+")", "a kept link is still named in the why")
			}
		}
	}
	assert.Positive(t, kept, "an https link is kept")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }
