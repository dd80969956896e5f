package hook_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/hook"
	"github.com/decisionledger/ledger/importer/jira"
)

var jiraData = filepath.Join("..", "importer", "jira", "testdata")

// jiraEpicFields are the changelog's fields that move an issue under
// another (importer/jira reads them as the epic).
var jiraEpicFields = map[string]bool{"Epic Link": true, "Parent": true, "IssueParentAssociation": true}

// jiraReplay turns a search result with expand=changelog into the
// deliveries of a Jira Cloud admin webhook as that history happens:
// jira:issue_created at the issue's creation, jira:issue_updated per
// changelog entry (its id and items, the entry's author as the user, its
// time as the timestamp) and comment_created per comment, each with the
// issue's fields as they stood then: status, resolution, priority,
// assignee, fix version, summary and epic before a change are what the
// change's from says. Status categories and release dates are Jira's,
// the same at every time (read from the export's issues). The type and
// the other fields are the export's: a webhook carries the type of the
// moment, and an export the type of the export's day (docs/hooks.md).
func jiraReplay(t *testing.T, export []byte) []delivery {
	t.Helper()
	var page struct {
		Issues []map[string]any `json:"issues"`
	}
	require.NoError(t, json.Unmarshal(export, &page))
	categories := map[string]any{}
	releases := map[string]any{}
	for _, is := range page.Issues {
		f := is["fields"].(map[string]any)
		if st, ok := f["status"].(map[string]any); ok {
			categories[fmt.Sprint(st["id"])] = st["statusCategory"]
		}
		if vs, ok := f["fixVersions"].([]any); ok {
			for _, v := range vs {
				vm := v.(map[string]any)
				if vm["releaseDate"] != nil {
					releases[fmt.Sprint(vm["name"])] = vm["releaseDate"]
				}
			}
		}
	}
	var ds []delivery
	for _, is := range page.Issues {
		histories := is["changelog"].(map[string]any)["histories"].([]any)
		type entry struct {
			at time.Time
			h  map[string]any
		}
		var hs []entry
		for _, h := range histories {
			hm := h.(map[string]any)
			at, err := jira.ParseTime(hm["created"].(string))
			require.NoError(t, err)
			hs = append(hs, entry{at, hm})
		}
		// before returns the first item, among the changes after at, of
		// a field match says, and whether there is one.
		before := func(at time.Time, match func(item map[string]any) bool) (map[string]any, bool) {
			var first map[string]any
			var when time.Time
			for _, e := range hs {
				if !e.at.After(at) {
					continue
				}
				for _, it := range e.h["items"].([]any) {
					item := it.(map[string]any)
					if match(item) && (first == nil || e.at.Before(when)) {
						first, when = item, e.at
					}
				}
			}
			return first, first != nil
		}
		field := func(name string) func(map[string]any) bool {
			return func(it map[string]any) bool { return it["field"] == name }
		}
		// snapshot is the issue as it stood at at (after its changes of
		// that instant).
		snapshot := func(at time.Time) map[string]any {
			b, err := json.Marshal(is)
			require.NoError(t, err)
			var now map[string]any
			require.NoError(t, json.Unmarshal(b, &now))
			delete(now, "changelog")
			f := now["fields"].(map[string]any)
			delete(f, "comment")
			ref := func(key string, it map[string]any) {
				if it["from"] == nil {
					f[key] = nil
					return
				}
				f[key] = map[string]any{"id": it["from"], "name": it["fromString"]}
			}
			if it, ok := before(at, field("status")); ok {
				ref("status", it)
				f["status"].(map[string]any)["statusCategory"] = categories[fmt.Sprint(it["from"])]
			}
			for _, k := range []string{"resolution", "priority"} {
				if it, ok := before(at, field(k)); ok {
					ref(k, it)
				}
			}
			if it, ok := before(at, field("assignee")); ok {
				f["assignee"] = nil
				if it["from"] != nil {
					f["assignee"] = map[string]any{"accountId": it["from"], "displayName": it["fromString"]}
				}
			}
			if it, ok := before(at, field("summary")); ok {
				f["summary"] = it["fromString"]
			}
			if it, ok := before(at, func(it map[string]any) bool { return it["field"] == "Fix Version" || it["fieldId"] == "fixVersions" }); ok {
				f["fixVersions"] = []any{}
				if name, _ := it["fromString"].(string); name != "" {
					f["fixVersions"] = []any{map[string]any{"name": name, "releaseDate": releases[name]}}
				}
			}
			if it, ok := before(at, func(it map[string]any) bool { return jiraEpicFields[fmt.Sprint(it["field"])] }); ok {
				for k, v := range f {
					if s, isText := v.(string); isText && k != "summary" && s != "" && len(k) > 12 && k[:12] == "customfield_" {
						if ep, _ := it["toString"].(string); ep == s {
							delete(f, k) // the Epic Link custom field
						}
					}
				}
				delete(f, "epic")
				f["parent"] = nil
				if key, _ := it["fromString"].(string); key != "" {
					f["parent"] = map[string]any{"key": key}
				}
			}
			return now
		}
		created, err := jira.ParseTime(is["fields"].(map[string]any)["created"].(string))
		require.NoError(t, err)
		f := is["fields"].(map[string]any)
		reporter := f["reporter"]
		if reporter == nil {
			reporter = f["creator"]
		}
		ds = append(ds, jiraDelivery(t, created, 0, "jira:issue_created", fmt.Sprintf("created-%v", is["key"]),
			map[string]any{"user": reporter, "issue": snapshot(created)}))
		if c, ok := f["comment"].(map[string]any); ok {
			for _, cm := range c["comments"].([]any) {
				cmm := cm.(map[string]any)
				at, err := jira.ParseTime(cmm["created"].(string))
				require.NoError(t, err)
				ds = append(ds, jiraDelivery(t, at, 1, "comment_created", fmt.Sprintf("comment-%v", cmm["id"]),
					map[string]any{"user": cmm["author"], "comment": cmm,
						"issue": map[string]any{"id": is["id"], "key": is["key"], "self": is["self"]}}))
			}
		}
		for _, e := range hs {
			pl := map[string]any{"issue": snapshot(e.at), "changelog": map[string]any{"id": e.h["id"], "items": e.h["items"]}}
			if e.h["author"] != nil {
				pl["user"] = e.h["author"]
			}
			ds = append(ds, jiraDelivery(t, e.at, 2, "jira:issue_updated", fmt.Sprintf("history-%v", e.h["id"]), pl))
		}
	}
	return ds
}

// jiraDelivery is one delivery at at; order breaks ties of one instant:
// the creation, then comments, then changes.
func jiraDelivery(t *testing.T, at time.Time, order int, event, id string, payload map[string]any) delivery {
	t.Helper()
	payload["timestamp"] = at.UnixMilli()
	payload["webhookEvent"] = event
	h := http.Header{}
	h.Set(hook.JiraIdentifier, id)
	return delivery{at: at.Add(time.Duration(order)), header: h, body: mustJSON(t, payload)}
}

// The Jira fixtures' histories, sent as a Jira Cloud admin webhook's
// deliveries (signed with X-Hub-Signature) one change at a time, are the
// ledger a batch import of the same search result makes.
func TestJiraEquivalence(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, export string
		mapFile      []byte
	}{
		{"Cloud", "jira-cloud-search.json", readFile(t, filepath.Join(jiraData, "map.json"))},
		{"Changelog", "jira-search-changelog.json", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			export := underRaceSearch(t, readFile(t, filepath.Join(jiraData, tc.export)))
			ds := jiraReplay(t, export)

			batch := startLedger(t, ledgerOptions{})
			batch.batch("jira", "ee", tc.mapFile, export)

			live := startLedger(t, ledgerOptions{maxAge: -1})
			h := live.addHook("jira", "ee", tc.mapFile)
			live.replay("/hooks/jira", ds, func(d *delivery) {
				d.header.Set(hook.JiraSignature, hook.Sign(h.Secret, d.body))
			})
			equivalent(t, batch.decisions("ee"), live.decisions("ee"), h.RelayedBy(), nil)
		})
	}
}
