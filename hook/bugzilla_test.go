package hook_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var bzData = filepath.Join("..", "importer", "bugzilla", "testdata")

// bzFields are the bug's fields as the Webhooks extension sends them,
// by the history's field names.
var bzFields = []string{"status", "resolution", "assigned_to", "priority", "target_milestone", "summary", "severity", "type"}

// bzReplay turns an export of Bugzilla bugs with their history and
// comments into the deliveries of Bugzilla's Webhooks extension as that
// history happens: bug.create at the creation time, bug.modify per
// history entry (the entry's time, user and changes), comment.create per
// comment, each with the bug as it stood then (a field's value before a
// change is what the change removed). A comment is delivered before the
// create or modify of its instant: a comment explains the change of its
// author at its instant (the description, comment 0, the filing) only
// when it is there when that change is recorded, and the extension's
// create and modify carry no comment (docs/hooks.md says so).
func bzReplay(t *testing.T, export []byte) []delivery {
	t.Helper()
	var ds []delivery
	sc := bufio.NewScanner(bytes.NewReader(export))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var b map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &b))
		history, _ := b["history"].([]any)
		// state returns the bug after its first n history entries.
		state := func(n int) map[string]any {
			bug := map[string]any{"id": b["id"], "creation_time": b["creation_time"], "reporter": map[string]any{"login": b["creator"]},
				"product": b["product"], "component": b["component"], "is_private": false}
			for _, f := range bzFields {
				v := b[f]
				for _, h := range history[n:] {
					if v == nil {
						break
					}
					found := false
					for _, c := range h.(map[string]any)["changes"].([]any) {
						ch := c.(map[string]any)
						if ch["field_name"] == f {
							v, found = ch["removed"], true
							break
						}
					}
					if found {
						break
					}
				}
				if f == "assigned_to" {
					v = map[string]any{"login": v}
				}
				bug[f] = v
			}
			return bug
		}
		created := b["creation_time"].(string)
		ds = append(ds, bzDelivery(t, created, 1, map[string]any{"action": "create", "target": "bug", "routing_key": "bug.create",
			"time": created, "user": map[string]any{"login": b["creator"]}}, state(0)))
		for i, h := range history {
			e := h.(map[string]any)
			var changes []any
			for _, c := range e["changes"].([]any) {
				ch := c.(map[string]any)
				changes = append(changes, map[string]any{"field": ch["field_name"], "removed": ch["removed"], "added": ch["added"]})
			}
			ds = append(ds, bzDelivery(t, e["when"].(string), 1, map[string]any{"action": "modify", "target": "bug",
				"routing_key": "bug.modify", "time": e["when"], "user": map[string]any{"login": e["who"]}, "changes": changes}, state(i+1)))
		}
		for _, c := range b["comments"].([]any) {
			cm := c.(map[string]any)
			bug := state(len(history))
			bug["comment"] = map[string]any{"id": cm["id"], "number": cm["count"], "body": cm["text"], "creation_time": cm["creation_time"], "is_private": false}
			order := 0
			// Some of the export's comments name no author (the
			// description's is its reporter's): the delivery names the
			// same, so that both sides read the same history.
			author := cm["author"]
			if author == nil {
				author = ""
			}
			ds = append(ds, bzDelivery(t, cm["creation_time"].(string), order, map[string]any{"action": "create", "target": "comment",
				"routing_key": "comment.create", "time": cm["creation_time"], "user": map[string]any{"login": author}}, bug))
		}
	}
	require.NoError(t, sc.Err())
	return ds
}

// bzDelivery is one delivery; order breaks ties of one instant (the
// comments first).
func bzDelivery(t *testing.T, at string, order int, event, bug map[string]any) delivery {
	t.Helper()
	when, err := time.Parse(time.RFC3339, at)
	require.NoError(t, err)
	body := mustJSON(t, map[string]any{"webhook_name": "ledger", "webhook_id": 7, "event": event, "bug": bug})
	return delivery{at: when.Add(time.Duration(order)), header: http.Header{}, body: body}
}

// The Mozilla bugs' history, sent as the Webhooks extension's deliveries
// one change at a time, is the ledger a batch import of the same export
// makes, decision for decision.
func TestBugzillaEquivalence(t *testing.T) {
	t.Parallel()
	export := underRace(readFile(t, filepath.Join(bzData, "bugzilla-mozilla.jsonl")))
	mapFile := readFile(t, filepath.Join(bzData, "map.json"))
	ds := bzReplay(t, export)

	batch := startLedger(t, ledgerOptions{})
	batch.batch("bugzilla", "fx", mapFile, export)

	live := startLedger(t, ledgerOptions{maxAge: -1})
	h := live.addHook("bugzilla", "fx", mapFile)
	live.replay(fmt.Sprintf("/hooks/bugzilla/%s?secret=%s", h.ID, url.QueryEscape(h.Secret)), ds, func(*delivery) {})
	equivalent(t, batch.decisions("fx"), live.decisions("fx"), h.RelayedBy(), nil)
}
