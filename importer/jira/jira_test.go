package jira_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/importertest"
	"github.com/decisionledger/ledger/importer/jira"
)

// parse reads a testdata export.
func parse(t *testing.T, file string) []jira.Issue {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	require.NoError(t, err)
	defer f.Close()
	issues, err := jira.Parse(f)
	require.NoError(t, err)
	return issues
}

// mapFile reads testdata/map.json (which imports project EE) with the
// projects given instead, when any: nil keeps the file's, an empty list
// names none.
func mapFile(t *testing.T, projects []string) *importer.Map {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "map.json"))
	require.NoError(t, err)
	m, err := importer.ParseMap(raw, jira.Defaults())
	require.NoError(t, err)
	if projects != nil {
		m.Projects = projects
	}
	return m
}

// planWith maps issues under m and plans them.
func planWith(t *testing.T, issues []jira.Issue, m *importer.Map) ([]importer.Step, importer.Summary) {
	t.Helper()
	res, err := jira.Map(issues, m)
	require.NoError(t, err)
	return importer.Plan(jira.System, "ee", m, res.Ops, res.Skipped)
}

// plan plans a testdata export under testdata/map.json.
func plan(t *testing.T, file string) ([]importer.Step, importer.Summary) {
	t.Helper()
	return planWith(t, parse(t, file), mapFile(t, nil))
}

// record applies steps to a new product and returns its state.
func record(t *testing.T, steps []importer.Step) *domain.State {
	t.Helper()
	st := domain.NewState("ee")
	_, err := importer.Apply(st, steps, time.Now(), 1000)
	require.NoError(t, err)
	return st
}

// events lists the planned events of one type, in order.
func events[P domain.Payload](steps []importer.Step) []domain.Event {
	var out []domain.Event
	for _, s := range steps {
		for _, e := range s.Events {
			if _, ok := e.Data.(P); ok {
				out = append(out, e)
			}
		}
	}
	return out
}

// rawIssue is an issue of the export as the raw file has it, read here
// without the importer, so that the expectations are worked out on their
// own.
type rawIssue struct {
	Key    string `json:"key"`
	Fields struct {
		IssueType struct {
			Name    string `json:"name"`
			Subtask bool   `json:"subtask"`
		} `json:"issuetype"`
		Parent *struct {
			Key string `json:"key"`
		} `json:"parent"`
	} `json:"fields"`
	Changelog struct {
		Histories []struct {
			Author *struct {
				AccountID   string `json:"accountId"`
				DisplayName string `json:"displayName"`
			} `json:"author"`
		} `json:"histories"`
	} `json:"changelog"`
}

func rawIssues(t *testing.T) []rawIssue {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "jira-cloud-search.json"))
	require.NoError(t, err)
	var page struct {
		Issues []rawIssue `json:"issues"`
	}
	require.NoError(t, json.Unmarshal(raw, &page))
	return page.Issues
}

// TestSummaryMatchesScript pins the summary of the Jira Cloud fixture's
// EE project to the figures testdata/summary.py works out from the raw
// file on its own.
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
	assert.Equal(t, 108, sum.Events)
	assert.Equal(t, 15, sum.Requests, "the 15 EE issues")
	assert.Equal(t, 15, sum.Items)
	assert.Equal(t, 2, sum.Skipped["issue of another project"], "K5-2 and K5-4")
	assert.Equal(t, 10, sum.Slips, "nine fix-version moves v2.7.0 -> SaaS after delivery, one v2.7.0 -> v2.8.0")
	assert.Equal(t, 11, sum.Deliveries)
	assert.Equal(t, 4, sum.Rejections, "items removed as Won't Do, matched by id 10001 whatever its localized name")
	assert.Equal(t, 21, sum.OutsideAuthority)
	assert.Equal(t, 4, sum.Actors)
	// Histories come newest first; the steps are in time order all the same.
	for i := 1; i < len(steps); i++ {
		require.False(t, steps[i].At.Before(steps[i-1].At))
	}
}

// TestOutcomesMatchScript derives each request's figures from the
// importer's events and requires those testdata/summary.py --outcomes
// works out from the raw file (testdata/outcomes.json).
func TestOutcomesMatchScript(t *testing.T) {
	steps, _ := plan(t, "jira-cloud-search.json")
	got := importertest.Outcomes(t, steps)
	assert.Equal(t, importertest.WantOutcomes(t, "testdata"), got)
	require.Len(t, got, 15)

	// Filed on v2.7.0, taken on by the sprint it was put in, delivered in
	// v2.7.0, moved to SaaS after its delivery: a slip.
	ee1 := got["EE-1-req"]
	require.NotNil(t, ee1.Accepted)
	assert.Equal(t, "2020-06-12T00:29:19.487Z", ee1.Accepted.At)
	assert.Equal(t, "rz", ee1.Accepted.Actor)
	assert.Equal(t, "v2.7.0", *ee1.Accepted.Release)
	assert.Equal(t, "v2.7.0", *ee1.Delivered.Release)
	assert.Equal(t, []importertest.Slip{{At: "2020-07-13T21:35:54.638Z", From: "v2.7.0", To: "SaaS"}}, ee1.Slips)
	// Taken on by an assignment, removed as Won't Do with its reason.
	assert.Equal(t, &importertest.Decided{At: "2020-06-12T07:17:28.723Z", Reason: "out-of-scope"}, got["EE-24-req"].Removed)
}

// TestProjects: the fixture mixes EE (15 issues) and K5 (2): refused
// without a map that names the projects to import, with a message that
// names both and their counts; each project imports alone, the other's
// issues counted as skipped.
func TestProjects(t *testing.T) {
	issues := parse(t, "jira-cloud-search.json")
	t.Run("Refused", func(t *testing.T) {
		_, err := jira.Map(issues, mapFile(t, []string{}))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "EE (15 issues)")
		assert.Contains(t, err.Error(), "K5 (2 issues)")
	})
	cases := []struct {
		name     string
		projects []string
		requests int
		skipped  int
	}{
		{"EE", []string{"EE"}, 15, 2},
		{"K5", []string{"K5"}, 2, 15},
		{"Both", []string{"EE", "K5"}, 17, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, sum := planWith(t, issues, mapFile(t, tc.projects))
			assert.Equal(t, tc.requests, sum.Requests)
			assert.Equal(t, tc.skipped, sum.Skipped["issue of another project"])
		})
	}
}

// TestEpicNotInTheExport: K5-2's epic is K5-1 (its agile epic, Epic Link
// and parent), an issue the export does not hold. Nothing in the export
// takes K5-2 on (its two changes set that epic while it is pending), so
// the test takes it on the way the EE issues are, by assigning it, and
// its item is under K5-1.
func TestEpicNotInTheExport(t *testing.T) {
	m := mapFile(t, []string{"K5"})
	issues := parse(t, "jira-cloud-search.json")
	list, err := jira.Issues(issues, m)
	require.NoError(t, err)
	keys := map[string]bool{}
	for _, is := range list {
		keys[is.Key] = true
		if is.Key == "K5-2" {
			assert.Equal(t, "K5-1", is.Epic)
		}
	}
	require.True(t, keys["K5-2"])
	require.False(t, keys["K5-1"], "K5-1 is not in the export")

	steps, _ := planWith(t, issues, m)
	assert.Empty(t, events[domain.BacklogItemAdded](steps), "no K5 issue is taken on")

	for i := range issues {
		if issues[i].Key == "K5-2" {
			to, name := "user-712a16bc", "Person f52ceb69" // its reporter
			issues[i].Changelog.Histories = append(issues[i].Changelog.Histories, jira.History{ID: "422900",
				Author: issues[i].Changelog.Histories[0].Author, Created: "2022-07-16T06:40:00.000+0800",
				Items: []jira.Item{{Field: "assignee", FieldID: "assignee", To: &to, ToString: &name}}})
		}
	}
	steps, _ = planWith(t, issues, mapFile(t, []string{"K5"}))
	added := events[domain.BacklogItemAdded](steps)
	require.Len(t, added, 1)
	assert.Equal(t, "K5-2", added[0].Aggregate.ID)
	assert.Equal(t, "K5-1", added[0].Data.(domain.BacklogItemAdded).Epic)
	assert.Equal(t, "K5-1", record(t, steps).Items["K5-2"].Epic)
}

// TestKinds: issue types are matched by what they are, not by their
// localized names: 故事 (story), 任务 (task) and 子任务 (sub-task) are
// stories, the K5 Epic (hierarchy level 1) an epic.
func TestKinds(t *testing.T) {
	issues := parse(t, "jira-cloud-search.json")
	m := mapFile(t, nil)
	byKey := map[string]*jira.Issue{}
	for i := range issues {
		byKey[issues[i].Key] = &issues[i]
	}
	cases := []struct {
		key, typ string
		want     domain.ItemKind
	}{
		{"EE-1", "故事", domain.ItemStory},
		{"EE-5", "任务", domain.ItemStory},
		{"EE-26", "子任务", domain.ItemStory},
		{"K5-4", "Epic", domain.ItemEpic},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			is := byKey[tc.key]
			require.NotNil(t, is)
			require.Equal(t, tc.typ, is.Fields.IssueType.Name)
			assert.Equal(t, tc.want, jira.Kind(is, m))
		})
	}
	steps, _ := planWith(t, issues, m)
	for _, e := range events[domain.BacklogItemAdded](steps) {
		assert.Equal(t, domain.ItemStory, e.Data.(domain.BacklogItemAdded).Kind, e.Aggregate.ID)
	}
}

// TestSubTasksUnderTheirParent: a sub-task becomes a story whose epic is
// its parent (EE-26 and EE-28 under EE-1, ...), read from the raw file.
func TestSubTasksUnderTheirParent(t *testing.T) {
	steps, _ := plan(t, "jira-cloud-search.json")
	added := map[string]domain.BacklogItemAdded{}
	for _, e := range events[domain.BacklogItemAdded](steps) {
		added[e.Aggregate.ID] = e.Data.(domain.BacklogItemAdded)
	}
	n := 0
	for _, is := range rawIssues(t) {
		if !is.Fields.IssueType.Subtask {
			continue
		}
		n++
		require.NotNil(t, is.Fields.Parent, is.Key)
		item, ok := added[is.Key]
		require.True(t, ok, "%s taken on", is.Key)
		assert.Equal(t, domain.ItemStory, item.Kind, is.Key)
		assert.Equal(t, is.Fields.Parent.Key, item.Epic, is.Key)
	}
	assert.Equal(t, 6, n, "EE-26 to EE-36")
}

// TestEpicLinkAfterAcceptance: an Epic Link set after the issue was taken
// on moves its item under that epic (BacklogItemReparented); one set while
// it was pending is the item's epic when it is added.
func TestEpicLinkAfterAcceptance(t *testing.T) {
	steps, _ := plan(t, "jira-cloud-search.json")
	moved := map[string]string{}
	for _, e := range events[domain.BacklogItemReparented](steps) {
		moved[e.Aggregate.ID] = e.Data.(domain.BacklogItemReparented).Epic
		assert.Equal(t, "rz", e.Actor.ID)
	}
	// EE-3 and EE-5 were put on v2.7.0 minutes before their Epic Link was
	// set, EE-8 and EE-10 too; EE-1, EE-15, EE-17 and EE-20 had theirs
	// before anything took them on.
	assert.Equal(t, map[string]string{"EE-3": "EE-11", "EE-5": "EE-11", "EE-8": "EE-7", "EE-10": "EE-7"}, moved)
	for _, e := range events[domain.BacklogItemAdded](steps) {
		switch e.Aggregate.ID {
		case "EE-1":
			assert.Equal(t, "EE-11", e.Data.(domain.BacklogItemAdded).Epic)
		case "EE-3":
			assert.Empty(t, e.Data.(domain.BacklogItemAdded).Epic)
		}
	}
	assert.Equal(t, "EE-11", record(t, steps).Items["EE-3"].Epic)
}

// TestActorsByDisplayName: people are named by the display name Jira
// shows (Person 5a7a91a4 is person-5a7a91a4), unless the map names them
// (user-b5269fcb is rz); the account id stays in source.author.
func TestActorsByDisplayName(t *testing.T) {
	names := map[string]string{}
	for _, is := range rawIssues(t) {
		for _, h := range is.Changelog.Histories {
			if h.Author != nil {
				names[h.Author.AccountID] = h.Author.DisplayName
			}
		}
	}
	steps, _ := plan(t, "jira-cloud-search.json")
	seen := map[string]bool{}
	for _, s := range steps {
		for _, e := range s.Events {
			if e.Source == nil || e.Source.Author == "" || e.Aggregate.Kind == domain.KindRoadmap {
				continue
			}
			want := "rz"
			if e.Source.Author != "user-b5269fcb" {
				name, ok := names[e.Source.Author]
				require.True(t, ok, "%s: author %s is in the export", e.Aggregate.ID, e.Source.Author)
				want = strings.ToLower(strings.ReplaceAll(name, " ", "-"))
			}
			assert.Equal(t, want, e.Actor.ID, "%s %s", e.Aggregate.ID, e.Source.Author)
			seen[e.Actor.ID] = true
		}
	}
	assert.True(t, seen["person-5a7a91a4"])
	assert.True(t, seen["rz"])
}

// TestNoAuthorAndPriorityByID reads the go-jira page: an issue with
// neither reporter nor creator, a history without an author, and a
// priority whose id (10802) the default map does not know, whatever name
// it carries.
func TestNoAuthorAndPriorityByID(t *testing.T) {
	steps, sum := planWith(t, parse(t, "jira-search-changelog.json"), mapFile(t, []string{"AR"}))
	assert.Equal(t, 1, sum.Requests)
	assert.Zero(t, sum.FiledUnnamed, "AR-86's filing is recorded: its date, not who")
	assert.Zero(t, sum.Skipped["priority"], "a priority changed from the one it was filed with takes AR-86 on")
	assert.Zero(t, sum.Skipped["summary"], "a title change is the item's")

	submitted := events[domain.RequestSubmitted](steps)
	require.Len(t, submitted, 1)
	assert.Equal(t, importer.UnnamedActor, submitted[0].Actor.ID, "no reporter, no creator")
	assert.Equal(t, "A task that needs to be done.", submitted[0].Data.(domain.RequestSubmitted).Title, "the title at creation, before the rename")
	assert.Equal(t, "https://merico.atlassian.net/browse/AR-86", submitted[0].Source.URL, "the map's url wins over the self link")

	accepted := events[domain.RequestAccepted](steps)
	require.Len(t, accepted, 1)
	assert.Equal(t, importer.UnnamedActor, accepted[0].Actor.ID, "the history without an author")
	assert.Empty(t, accepted[0].Source.Author)
	assert.Empty(t, events[domain.BacklogItemRanked](steps), "10802 is no priority of the map")
	st := record(t, steps)
	assert.Equal(t, "A task that doesn't need to be done.", st.Items["AR-86"].Title)
	assert.Equal(t, "AR-37", st.Items["AR-86"].Epic, "the agile epic")
}

// TestAPIv3Documents: /rest/api/3/search/jql gives descriptions and
// comments as Atlassian documents, its pages without startAt or total;
// the import reads them as their plain text.
func TestAPIv3Documents(t *testing.T) {
	page := `{"isLast": true, "issues": [{"id": "1", "key": "V3-1", "fields": {
	  "summary": "Dark mode", "created": "2024-05-01T09:00:00.000+0200",
	  "reporter": {"accountId": "a1", "displayName": "Sue"},
	  "issuetype": {"id": "10001", "name": "Story", "hierarchyLevel": 0},
	  "project": {"key": "V3"},
	  "description": {"type": "doc", "version": 1, "content": [
	    {"type": "paragraph", "content": [{"type": "text", "text": "Our users "}, {"type": "text", "text": "ask for it", "marks": [{"type": "strong"}]}, {"type": "text", "text": "."}]},
	    {"type": "bulletList", "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "at night"}]}]}]}]},
	  "comment": {"comments": [{"id": "c1", "author": {"accountId": "b2", "displayName": "Bob"}, "created": "2024-05-02T09:00:00.000+0200",
	    "body": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "mention", "attrs": {"id": "a1", "text": "@Sue"}}, {"type": "text", "text": " planned for 2.0"}]}]}}]}},
	 "changelog": {"histories": [{"id": "h1", "author": {"accountId": "b2", "displayName": "Bob"}, "created": "2024-05-02T09:00:00.000+0200",
	   "items": [{"field": "Fix Version", "fieldtype": "jira", "from": null, "fromString": null, "to": "100", "toString": "2.0"}]}]}}]}`
	issues, err := jira.Parse(strings.NewReader(page))
	require.NoError(t, err)
	require.Len(t, issues, 1)
	assert.Equal(t, "Our users ask for it.\nat night", string(issues[0].Fields.Description))
	steps, _ := planWith(t, issues, mapFile(t, []string{"V3"}))
	submitted := events[domain.RequestSubmitted](steps)
	require.Len(t, submitted, 1)
	assert.Equal(t, "Our users ask for it.\nat night", submitted[0].Why)
	accepted := events[domain.RequestAccepted](steps)
	require.Len(t, accepted, 1)
	assert.Equal(t, "@Sue planned for 2.0", accepted[0].Why, "the comment made with the decision, as text")

	_, err = jira.Parse(strings.NewReader(`{"issues": [{"key": "V3-2", "fields": {"description": 42}}]}`))
	assert.ErrorContains(t, err, "neither text nor an Atlassian document")
}
