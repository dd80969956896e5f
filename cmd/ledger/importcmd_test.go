package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/importer/importertest"
)

// The exports the import tests read: the importers' own testdata (its
// README says where each comes from), so that there is one copy.
var (
	bzData    = filepath.Join("..", "..", "importer", "bugzilla", "testdata")
	mozilla   = filepath.Join(bzData, "bugzilla-mozilla.jsonl")
	lifecycle = filepath.Join(bzData, "lifecycle.json")
	bzMap     = filepath.Join(bzData, "map.json")
	ghData    = filepath.Join("..", "..", "importer", "github", "testdata")
	webcompat = filepath.Join(ghData, "github-webcompat-issues.jsonl")
	ghMap     = filepath.Join(ghData, "map.json")
	jiraData  = filepath.Join("..", "..", "importer", "jira", "testdata")
	jiraCloud = filepath.Join(jiraData, "jira-cloud-search.json")
	jiraMap   = filepath.Join(jiraData, "map.json")
)

type importSummary struct {
	Events           int            `json:"events"`
	Items            int            `json:"items"`
	Requests         int            `json:"requests"`
	Rejections       int            `json:"rejections"`
	Deliveries       int            `json:"deliveries"`
	Slips            int            `json:"slips"`
	Reopens          int            `json:"reopens"`
	OutsideAuthority int            `json:"outsideAuthority"`
	Actors           int            `json:"actors"`
	Skipped          map[string]int `json:"skipped"`
	Written          int            `json:"written"`
	Already          int            `json:"already"`
}

func (c *cli) importJSON(args ...string) importSummary {
	c.t.Helper()
	out := c.ok(append([]string{"import", "--json"}, args...)...)
	var s importSummary
	require.NoError(c.t, json.Unmarshal([]byte(out), &s), out)
	return s
}

func countLog(t *testing.T, c *cli, product string) int {
	t.Helper()
	out := c.ok("log", "-p", product, "--json")
	return strings.Count(strings.TrimSpace(out), "\n") + 1
}

func TestImportBugzillaTwice(t *testing.T) {
	c := newCLI(t)
	want := importertest.WantSummary(t, bzData)
	dry := c.importJSON("bugzilla", mozilla, "--map", bzMap, "-p", "firefox", "--dry-run")
	assert.Equal(t, want.Events, dry.Events, "the figures of importer/bugzilla/testdata/summary.json")
	assert.Equal(t, want.Events, dry.Written, "a dry run says what it would write")
	assert.Empty(t, strings.TrimSpace(c.run("log", "-p", "firefox", "--json").stdout), "nothing written by the dry run")

	first := c.importJSON("bugzilla", mozilla, "--map", bzMap, "-p", "firefox")
	assert.Equal(t, want.Events, first.Written)
	assert.Equal(t, 0, first.Already)
	assert.Equal(t, want.OutsideAuthority, first.OutsideAuthority)
	assert.Equal(t, want.Events, countLog(t, c, "firefox"))

	second := c.importJSON("bugzilla", mozilla, "--map", bzMap, "-p", "firefox")
	assert.Equal(t, 0, second.Written, "a second import writes nothing")
	assert.Equal(t, first.Events, second.Events, "and describes the same export")
	assert.Equal(t, want.Events, countLog(t, c, "firefox"))
}

func TestImportLaterExportWritesOnlyWhatIsNew(t *testing.T) {
	c := newCLI(t)
	// The earlier export: every bug, its history cut at 2019-01-01.
	cut := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	early := filepath.Join(t.TempDir(), "early.jsonl")
	var lines []string
	raw, err := os.ReadFile(mozilla)
	require.NoError(t, err)
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var b map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &b))
		created, _ := time.Parse(time.RFC3339, b["creation_time"].(string))
		if !created.Before(cut) {
			continue
		}
		// An export taken at the cut: the history before it, the
		// comments before it, and every field as it stood then (what the
		// first change after the cut removed).
		var hist []any
		rewound := map[string]bool{}
		for _, h := range b["history"].([]any) {
			h := h.(map[string]any)
			when, _ := time.Parse(time.RFC3339, h["when"].(string))
			if when.Before(cut) {
				hist = append(hist, h)
				continue
			}
			for _, ch := range h["changes"].([]any) {
				ch := ch.(map[string]any)
				f := ch["field_name"].(string)
				if _, ok := b[f].(string); ok && !rewound[f] {
					b[f], rewound[f] = ch["removed"], true
				}
			}
		}
		b["history"] = hist
		var comments []any
		for _, cm := range b["comments"].([]any) {
			when, _ := time.Parse(time.RFC3339, cm.(map[string]any)["creation_time"].(string))
			if when.Before(cut) {
				comments = append(comments, cm)
			}
		}
		b["comments"] = comments
		out, err := json.Marshal(b)
		require.NoError(t, err)
		lines = append(lines, string(out))
	}
	require.NoError(t, os.WriteFile(early, []byte(strings.Join(lines, "\n")+"\n"), 0o644))

	want := importertest.WantSummary(t, bzData)
	a := c.importJSON("bugzilla", early, "--map", bzMap, "-p", "firefox")
	require.Positive(t, a.Written)
	b := c.importJSON("bugzilla", mozilla, "--map", bzMap, "-p", "firefox")
	assert.Equal(t, want.Events, a.Written+b.Written, "the later export adds exactly what the earlier lacked")
	assert.Equal(t, want.Events, countLog(t, c, "firefox"))
}

func TestImportRefusesOlderHistory(t *testing.T) {
	c := newCLI(t)
	c.ok("product", "create", "firefox", "--name", "Firefox", "--pm", "pam", "--po", "olga", "--as", "pam", "--at", "2020-01-01")
	o := c.run("import", "bugzilla", mozilla, "--map", bzMap, "-p", "firefox")
	require.Error(t, o.err)
	assert.Equal(t, 3, o.code)
	assert.Contains(t, o.err.Error(), "older than product \"firefox\"'s latest event")
	assert.Contains(t, o.err.Error(), "nothing was imported")
	assert.Equal(t, 1, countLog(t, c, "firefox"), "nothing written")
}

// TestImportRefusesChangesInTheFuture: a change dated 2099, by someone
// who already holds a role (so no role decision of the import's own is
// refused first), is refused alike in every format, naming the issue and
// the field its time comes from; nothing is written, not even on a dry
// run. Before, every format recorded it, and every view then quarantined
// it as running ahead of the stream's clock.
func TestImportRefusesChangesInTheFuture(t *testing.T) {
	for _, tc := range []struct {
		format, export, issue, field string
	}{
		{"github", `{"number":1,"title":"t","user":{"login":"sue"},"created_at":"2020-01-01T00:00:00Z","html_url":"https://github.com/o/r/issues/1",` +
			`"events":[{"id":2,"event":"milestoned","actor":{"login":"sue"},"created_at":"2099-01-01T00:00:00Z","milestone":{"title":"v2"}}]}`,
			"github issue 1", "events[].created_at of change 2"},
		{"bugzilla", `{"id":1,"summary":"s","creator":"a@x.org","creation_time":"2020-01-01T00:00:00Z","priority":"--",` +
			`"history":[{"when":"2099-01-01T00:00:00Z","who":"a@x.org","changes":[{"field_name":"priority","removed":"--","added":"P1"}]}]}`,
			"bugzilla issue 1", "history[].when of change 2099-01-01T00:00:00Z"},
		{"jira", `{"issues":[{"id":"1","key":"EE-1","self":"https://x.atlassian.net/rest/api/2/issue/1","fields":{"created":"2020-01-01T00:00:00.000+0000","summary":"s","reporter":{"accountId":"a"}},` +
			`"changelog":{"histories":[{"id":"7","created":"2099-01-01T00:00:00.000+0000","author":{"accountId":"a"},"items":[{"field":"assignee","to":"a"}]}]}}]}`,
			"jira issue EE-1", "changelog.histories[].created of change 7"},
		{"github", `{"number":3,"title":"t","user":{"login":"sue"},"created_at":"2099-01-01T00:00:00Z","html_url":"https://github.com/o/r/issues/3"}`,
			"github issue 3", "created_at"},
	} {
		t.Run(tc.format+"/"+tc.field, func(t *testing.T) {
			c := newCLI(t)
			p := filepath.Join(t.TempDir(), "export.json")
			require.NoError(t, os.WriteFile(p, []byte(tc.export), 0o600))
			for _, dry := range []bool{true, false} {
				args := []string{"import", tc.format, p, "-p", "shop"}
				if dry {
					args = append(args, "--dry-run")
				}
				o := c.run(args...)
				require.Error(t, o.err, o.stdout)
				assert.Equal(t, exitRefused, o.code)
				assert.Contains(t, o.err.Error(), tc.issue+", "+tc.field+" is 2099-01-01T00:00:00Z, later than now")
				assert.Contains(t, o.err.Error(), "nothing was imported")
			}
			assert.Empty(t, strings.TrimSpace(c.ok("log", "-p", "shop", "--json")), "nothing written, not even the product")
		})
	}
}

func TestImportWhyShowsProvenanceAndFlags(t *testing.T) {
	c := newCLI(t)
	c.importJSON("bugzilla", mozilla, "--map", bzMap, "-p", "firefox")
	var why struct {
		ID        string `json:"id"`
		Decisions []struct {
			Type             string `json:"type"`
			Actor            string `json:"actor"`
			Role             string `json:"role"`
			Why              string `json:"why"`
			OutsideAuthority bool   `json:"outsideAuthority"`
			Source           *struct {
				System, Key, URL, Change, Author string
			} `json:"source"`
		} `json:"decisions"`
	}
	// Bug 1042734: triaged and fixed by people the map does not make PO
	// or team, milestone mozilla34.
	require.NoError(t, json.Unmarshal([]byte(c.ok("why", "BZ-1042734", "-p", "firefox", "--json")), &why))
	require.NotEmpty(t, why.Decisions)
	flagged := 0
	for _, d := range why.Decisions {
		require.NotNil(t, d.Source, "%s has its provenance", d.Type)
		assert.Equal(t, "bugzilla", d.Source.System)
		assert.Equal(t, "1042734", d.Source.Key)
		assert.Equal(t, "https://bugzilla.mozilla.org/show_bug.cgi?id=1042734", d.Source.URL)
		assert.Contains(t, d.Source.Author, "@example.org", "the original login")
		assert.NotEmpty(t, d.Why)
		if d.OutsideAuthority {
			flagged++
			assert.NotEqual(t, "olga", d.Actor, "never re-attributed to the PO")
		}
	}
	assert.Positive(t, flagged)
	text := c.ok("why", "BZ-1042734", "-p", "firefox")
	assert.Contains(t, text, "[bugzilla 1042734 ")
	assert.Contains(t, text, "OUTSIDE AUTHORITY")
}

func TestImportGitHubTwice(t *testing.T) {
	c := newCLI(t)
	want := importertest.WantSummary(t, ghData)
	first := c.importJSON("github", webcompat, "--map", ghMap, "-p", "webcompat")
	assert.Equal(t, want.Events, first.Written, "the figures of importer/github/testdata/summary.json")
	assert.Equal(t, want.OutsideAuthority, first.OutsideAuthority)
	second := c.importJSON("github", webcompat, "--map", ghMap, "-p", "webcompat")
	assert.Zero(t, second.Written, "a second import writes nothing")
	assert.Equal(t, want.Events, countLog(t, c, "webcompat"))
	assert.Contains(t, c.ok("show", "requests", "-p", "webcompat", "--status", "rejected"), "GH-")
}

func TestImportJiraTwice(t *testing.T) {
	c := newCLI(t)
	want := importertest.WantSummary(t, jiraData)
	first := c.importJSON("jira", jiraCloud, "--map", jiraMap, "-p", "ee")
	assert.Equal(t, want.Events, first.Written, "the figures of importer/jira/testdata/summary.json")
	assert.Equal(t, want.Slips, first.Slips)
	second := c.importJSON("jira", jiraCloud, "--map", jiraMap, "-p", "ee")
	assert.Zero(t, second.Written, "a second import writes nothing")
	assert.Equal(t, want.Events, countLog(t, c, "ee"))
	// Fix versions are releases dated by the export's releaseDate.
	out := c.ok("compare", "-p", "ee", "--planned-as-of", "2020-06-13", "--delivered-as-of", "2020-12-31", "--level", "item", "--json")
	assert.Contains(t, out, `"period": "release:v2.7.0@2020-07-10"`)
}

// TestDecisionsOutsideAuthority lists the imported decisions taken in the
// tracker by someone without the role the rules require, with provenance.
func TestDecisionsOutsideAuthority(t *testing.T) {
	c := newCLI(t)
	c.importJSON("bugzilla", mozilla, "--map", bzMap, "-p", "moz")
	out := c.ok("-p", "moz", "decisions", "--outside-authority", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.NotEmpty(t, lines)
	for _, l := range lines {
		var row struct {
			OutsideAuthority bool `json:"outsideAuthority"`
			Source           *struct {
				System string `json:"system"`
			} `json:"source"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &row), l)
		assert.True(t, row.OutsideAuthority, l)
		require.NotNil(t, row.Source, l)
		assert.Equal(t, "bugzilla", row.Source.System)
	}
	all := strings.Count(strings.TrimSpace(c.ok("-p", "moz", "decisions", "--json")), "\n") + 1
	assert.Less(t, len(lines), all, "the filter keeps only the flagged decisions")
}
