package importer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
	"github.com/decisionledger/ledger/importer/bugzilla"
)

// eclipse is docs/import.md's example, as an Eclipse Bugzilla exports it:
// filed as P3 and assigned to the component's inbox (the tracker's
// defaults), triaged by the lead, taken by a developer, slipped, fixed. A
// second bug is filed the same way and deferred with REMIND; a third is
// never triaged.
const eclipse = `{"bugs":[
{"id":501,"summary":"Toolbar flickers","creator":"reporter@example.org","creation_time":"2015-03-02T09:00:00Z",
 "priority":"P3","target_milestone":"4.6 M5","assigned_to":"dev@example.org","status":"RESOLVED","resolution":"FIXED",
 "history":[
  {"when":"2015-03-20T10:00:00Z","who":"lead@example.org","changes":[{"field_name":"priority","removed":"P3","added":"P2"},{"field_name":"target_milestone","removed":"---","added":"4.6 M3"}]},
  {"when":"2015-04-02T08:00:00Z","who":"dev@example.org","changes":[{"field_name":"assigned_to","removed":"platform-ui-inbox@eclipse.org","added":"dev@example.org"},{"field_name":"status","removed":"NEW","added":"ASSIGNED"}]},
  {"when":"2015-05-09T08:00:00Z","who":"lead@example.org","changes":[{"field_name":"target_milestone","removed":"4.6 M3","added":"4.6 M5"}]},
  {"when":"2015-05-20T08:00:00Z","who":"dev@example.org","changes":[{"field_name":"status","removed":"ASSIGNED","added":"RESOLVED"},{"field_name":"resolution","removed":"","added":"FIXED"}]}
 ]},
{"id":502,"summary":"Dark theme for the toolbar","creator":"reporter@example.org","creation_time":"2015-03-03T09:00:00Z",
 "priority":"P3","target_milestone":"---","assigned_to":"dev@example.org","status":"ASSIGNED","resolution":"",
 "history":[
  {"when":"2015-03-20T11:00:00Z","who":"lead@example.org","changes":[{"field_name":"status","removed":"NEW","added":"RESOLVED"},{"field_name":"resolution","removed":"","added":"REMIND"}]},
  {"when":"2015-04-02T09:00:00Z","who":"dev@example.org","changes":[{"field_name":"resolution","removed":"REMIND","added":""},{"field_name":"status","removed":"RESOLVED","added":"ASSIGNED"},{"field_name":"assigned_to","removed":"platform-ui-inbox@eclipse.org","added":"dev@example.org"}]}
 ]},
{"id":503,"summary":"Typo in a tooltip","creator":"someone@example.org","creation_time":"2015-03-04T09:00:00Z",
 "priority":"P3","target_milestone":"---","assigned_to":"platform-ui-inbox@eclipse.org","status":"NEW","resolution":"",
 "history":[{"when":"2015-03-05T09:00:00Z","who":"someone@example.org","changes":[{"field_name":"cc","removed":"","added":"x@example.org"}]}]}
]}`

// played is one event of a planned import: its type, aggregate, actor and
// time, the way a reader of the ledger sees it.
type played struct {
	Type, ID, Actor string
	At              time.Time
	Data            domain.Payload
}

func playBugzilla(t *testing.T, export, mapFile string) ([]played, importer.Summary) {
	t.Helper()
	bugs, err := bugzilla.Parse(strings.NewReader(export))
	require.NoError(t, err)
	m, err := importer.ParseMap([]byte(mapFile), bugzilla.Defaults())
	require.NoError(t, err)
	res, err := bugzilla.Map(bugs, m)
	require.NoError(t, err)
	steps, sum := importer.Plan(bugzilla.System, "platform-ui", m, res.Ops, res.Skipped)
	var out []played
	for _, s := range steps {
		for _, e := range s.Events {
			if e.Source != nil && e.Aggregate.Kind != domain.KindRoadmap {
				out = append(out, played{e.Data.EventType(), e.Aggregate.ID, e.Actor.ID, e.OccurredAt, e.Data})
			}
		}
	}
	return out, sum
}

// TestFilingAloneAcceptsNothing plays docs/import.md's example: the
// tracker's default priority and inbox at filing are no triage; the
// lead's priority and milestone are; the request waited for them.
func TestFilingAloneAcceptsNothing(t *testing.T) {
	evs, sum := playBugzilla(t, eclipse, `{"importer":"pam"}`)
	at := func(s string) time.Time { tt, _ := time.Parse(time.RFC3339, s); return tt }
	var bug501, bug502 []played
	for _, e := range evs {
		switch {
		case strings.HasPrefix(e.ID, "BZ-501"):
			bug501 = append(bug501, e)
		case strings.HasPrefix(e.ID, "BZ-502"):
			bug502 = append(bug502, e)
		case strings.HasPrefix(e.ID, "BZ-503"):
			assert.Equal(t, "RequestSubmitted", e.Type, "bug 503 was never triaged: %+v", e)
		}
	}
	types := func(ps []played) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Type+"@"+p.At.Format("01-02")+" by "+p.Actor)
		}
		return out
	}
	assert.Equal(t, []string{
		"RequestSubmitted@03-02 by reporter-example-org",
		"RequestAccepted@03-20 by lead-example-org", "BacklogItemAdded@03-20 by lead-example-org", "BacklogItemRanked@03-20 by lead-example-org",
		"BacklogItemRefined@05-09 by lead-example-org",
		"WorkDelivered@05-20 by dev-example-org",
	}, types(bug501), "accepted when the lead triaged it, 18 days after filing; the developer's assignment after that is no decision")
	assert.Equal(t, "M-4-6-M3", bug501[2].Data.(domain.BacklogItemAdded).Roadmap)
	assert.Equal(t, "M-4-6-M5", bug501[4].Data.(domain.BacklogItemRefined).Roadmap)
	assert.Equal(t, "4.6 M5", bug501[5].Data.(domain.WorkDelivered).Release)
	assert.Equal(t, at("2015-03-20T10:00:00Z"), bug501[1].At)

	assert.Equal(t, []string{
		"RequestSubmitted@03-03 by reporter-example-org",
		"RequestDeferred@03-20 by lead-example-org",
		"RequestAccepted@04-02 by dev-example-org", "BacklogItemAdded@04-02 by dev-example-org", "BacklogItemRanked@04-02 by dev-example-org",
	}, types(bug502), "REMIND defers; the developer taking it on accepts it, ranked by its priority")

	assert.Equal(t, 3, sum.Requests)
	assert.Equal(t, 2, sum.Items, "two of three requests were taken on: not three at the instant they were filed")
	assert.Equal(t, 1, sum.Slips)
	assert.Equal(t, 1, sum.Deliveries)
}

// TestDefaultPriorityFromTheMap: with the map's defaultPriority, a bug
// filed with another priority is still pending, and a change to the
// default is no triage.
func TestDefaultPriorityFromTheMap(t *testing.T) {
	export := `{"bugs":[{"id":7,"summary":"x","creator":"a@example.org","creation_time":"2020-01-01T00:00:00Z","priority":"P1",
	 "history":[{"when":"2020-01-02T00:00:00Z","who":"b@example.org","changes":[{"field_name":"priority","removed":"P1","added":"P3"}]},
	            {"when":"2020-01-03T00:00:00Z","who":"c@example.org","changes":[{"field_name":"priority","removed":"P3","added":"P2"}]}]}]}`
	evs, _ := playBugzilla(t, export, `{"defaultPriority":"P3"}`)
	var accepted []played
	for _, e := range evs {
		if e.Type == "RequestAccepted" {
			accepted = append(accepted, e)
		}
	}
	require.Len(t, accepted, 1)
	assert.Equal(t, "c-example-org", accepted[0].Actor, "P1 -> P3 is back to the default; P3 -> P2 takes it on")
}

// TestHistoryOnlyBugsAreFiledByNoOneNamed: a /rest/bug/{id}/history export
// has no creation time and no creator: the bug is submitted at its first
// change by "unnamed", who holds no role, and nothing is invented.
func TestHistoryOnlyBugsAreFiledByNoOneNamed(t *testing.T) {
	export := `{"bugs":[{"id":81322,"alias":null,"history":[
	 {"when":"2004-12-16T18:50:17Z","who":"lead@example.org","changes":[{"field_name":"priority","removed":"P3","added":"P2"},{"field_name":"target_milestone","removed":"---","added":"3.1 M5"}]},
	 {"when":"2005-01-10T10:00:00Z","who":"dev@example.org","changes":[{"field_name":"resolution","removed":"","added":"FIXED"},{"field_name":"status","removed":"NEW","added":"RESOLVED"}]}]}]}`
	evs, sum := playBugzilla(t, export, `{"url":"https://bugs.eclipse.org/bugs"}`)
	require.NotEmpty(t, evs)
	first := evs[0]
	assert.Equal(t, "RequestSubmitted", first.Type)
	assert.Equal(t, importer.UnnamedActor, first.Actor)
	assert.Equal(t, "2004-12-16T18:50:17Z", first.At.Format(time.RFC3339), "dated at its first change, not invented")
	assert.Equal(t, "Bug 81322", first.Data.(domain.RequestSubmitted).Title)
	assert.Equal(t, 1, sum.FiledUnnamed)
	assert.Equal(t, 1, sum.Deliveries)
	assert.Equal(t, 2, sum.Actors, "the lead and the developer; unnamed is no person")
}

// TestNoLinkWithoutAnAddress: a Bugzilla export names no site, so a bug
// links to none unless the map or --url says where the tracker is.
func TestNoLinkWithoutAnAddress(t *testing.T) {
	bugs, err := bugzilla.Parse(strings.NewReader(eclipse))
	require.NoError(t, err)
	for _, tc := range []struct {
		name, url, want string
	}{
		{"NoAddress", "", ""},
		{"MapAddress", "https://bugs.eclipse.org/bugs", "https://bugs.eclipse.org/bugs/show_bug.cgi?id=501"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := importer.ParseMap([]byte(`{"url":"`+tc.url+`"}`), bugzilla.Defaults())
			require.NoError(t, err)
			res, err := bugzilla.Map(bugs, m)
			require.NoError(t, err)
			require.NotEmpty(t, res.Ops)
			assert.Equal(t, tc.want, res.Ops[0].Source.URL)
			assert.NotContains(t, res.Ops[0].Why, "mozilla.org")
		})
	}
}

func TestInboxesAreNotPeople(t *testing.T) {
	m, err := importer.ParseMap([]byte(`{"unassigned":["triage-bot@example.org"]}`), importer.Map{})
	require.NoError(t, err)
	for login, want := range map[string]bool{
		"nobody@mozilla.org":              false,
		"platform-ui-inbox@eclipse.org":   false,
		"jdt-core-triaged@eclipse.org":    false,
		"gtk-bugs@gtk.org":                false,
		"gnome-maint@gnome.bugs":          false,
		"unassigned":                      false,
		"triage-bot@example.org":          false,
		"dev@example.org":                 true,
		"user-fefe37cf":                   true,
		"Maintainers of nothing@x.org":    true,
		"bugsbunny@example.org":           true,
		"Person 5a7a91a4":                 true,
		"daniel.megert@eclipse.org":       true,
		"platform-ui-triaged@eclipse.org": false,
	} {
		assert.Equal(t, want, m.Assignable(login), login)
	}
}

// TestReopenedWorkStartsAgain: a bug fixed, reopened and worked on again
// starts once per delivery, and is delivered twice.
func TestReopenedWorkStartsAgain(t *testing.T) {
	export := `{"bugs":[{"id":9,"summary":"x","creator":"a@example.org","creation_time":"2020-01-01T00:00:00Z","priority":"P3",
	 "history":[{"when":"2020-01-02T00:00:00Z","who":"lead@example.org","changes":[{"field_name":"priority","removed":"P3","added":"P2"}]},
	            {"when":"2020-01-03T00:00:00Z","who":"dev@example.org","changes":[{"field_name":"status","removed":"NEW","added":"IN_PROGRESS"}]},
	            {"when":"2020-01-04T00:00:00Z","who":"dev@example.org","changes":[{"field_name":"status","removed":"IN_PROGRESS","added":"RESOLVED"},{"field_name":"resolution","removed":"","added":"FIXED"}]},
	            {"when":"2020-01-05T00:00:00Z","who":"qa@example.org","changes":[{"field_name":"status","removed":"RESOLVED","added":"REOPENED"},{"field_name":"resolution","removed":"FIXED","added":""}]},
	            {"when":"2020-01-06T00:00:00Z","who":"dev@example.org","changes":[{"field_name":"status","removed":"REOPENED","added":"IN_PROGRESS"}]},
	            {"when":"2020-01-07T00:00:00Z","who":"dev@example.org","changes":[{"field_name":"status","removed":"IN_PROGRESS","added":"IN_PROGRESS"}]},
	            {"when":"2020-01-08T00:00:00Z","who":"dev@example.org","changes":[{"field_name":"status","removed":"IN_PROGRESS","added":"RESOLVED"},{"field_name":"resolution","removed":"","added":"FIXED"}]}]}]}`
	evs, sum := playBugzilla(t, export, `{}`)
	var work []string
	for _, e := range evs {
		if strings.HasPrefix(e.Type, "Work") {
			work = append(work, e.Type+"@"+e.At.Format("01-02"))
		}
	}
	assert.Equal(t, []string{
		"WorkStarted@01-03", "WorkDelivered@01-04", "WorkReopened@01-05", "WorkStarted@01-06", "WorkDelivered@01-08",
	}, work, "started again after the reopen, but not twice for one delivery")
	assert.Equal(t, 2, sum.Deliveries)
	assert.Equal(t, 1, sum.Reopens)
}
