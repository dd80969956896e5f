package hook_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/hook"
)

var ghData = filepath.Join("..", "importer", "github", "testdata")

// ghReplay turns an export of GitHub issues with their events into the
// webhook deliveries GitHub sends as that history happens: "opened" at
// the issue's creation (with the title it was filed under), then one
// issues event per event that has one (milestoned, labeled, renamed as
// "edited" with changes.title, closed with its state_reason...), the
// issue's updated_at set to the event's time as GitHub sets it. Each
// delivery's X-GitHub-Delivery is "evt-<event id>", so that the test
// can find the event a webhook reported. Events GitHub sends no webhook
// for (marked_as_duplicate, mentioned, subscribed) are left out, and
// returned so that the batch side imports the same history.
func ghReplay(t *testing.T, export []byte) (ds []delivery, same []byte) {
	t.Helper()
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(export))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var is map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &is))
		events, _ := is["events"].([]any)
		var kept []any
		title := is["title"].(string)
		for _, e := range events {
			ev := e.(map[string]any)
			if ev["event"] == "renamed" {
				title = ev["rename"].(map[string]any)["from"].(string)
				break
			}
		}
		issue := func(at string) map[string]any {
			return map[string]any{"number": is["number"], "title": title, "body": is["body"], "user": is["user"],
				"created_at": is["created_at"], "updated_at": at, "html_url": is["html_url"], "state": "open"}
		}
		created := is["created_at"].(string)
		ds = append(ds, ghDelivery(t, "issues", fmt.Sprintf("opened-%v", is["number"]), created,
			map[string]any{"action": "opened", "issue": issue(created), "sender": is["user"]}))
		for _, e := range events {
			ev := e.(map[string]any)
			name, _ := ev["event"].(string)
			at, _ := ev["created_at"].(string)
			pl := map[string]any{"action": name, "sender": ev["actor"]}
			switch name {
			case "milestoned", "demilestoned":
				pl["milestone"] = ev["milestone"]
			case "labeled", "unlabeled":
				pl["label"] = ev["label"]
			case "assigned", "unassigned":
				pl["assignee"] = ev["assignee"]
			case "renamed":
				r := ev["rename"].(map[string]any)
				pl["action"] = "edited"
				pl["changes"] = map[string]any{"title": map[string]any{"from": r["from"]}}
				title = r["to"].(string)
			case "closed", "reopened":
			default:
				continue // no webhook for it
			}
			kept = append(kept, ev)
			iss := issue(at)
			if name == "closed" {
				iss["state"], iss["closed_at"], iss["state_reason"] = "closed", at, ev["state_reason"]
			}
			pl["issue"] = iss
			ds = append(ds, ghDelivery(t, "issues", fmt.Sprintf("evt-%.0f", ev["id"]), at, pl))
		}
		is["events"] = kept
		out.Write(mustJSON(t, is))
		out.WriteByte('\n')
	}
	require.NoError(t, sc.Err())
	return ds, out.Bytes()
}

func ghDelivery(t *testing.T, event, id, at string, payload map[string]any) delivery {
	t.Helper()
	when, err := time.Parse(time.RFC3339, at)
	require.NoError(t, err)
	h := http.Header{}
	h.Set(hook.GitHubEvent, event)
	h.Set(hook.GitHubDelivery, id)
	return delivery{at: when, header: h, body: mustJSON(t, payload)}
}

// The webcompat issues' history, sent as GitHub's webhooks one change
// at a time, is the ledger a batch import of the same export makes:
// every decision's type, subject, actor, role, time, why, reason and
// source, but for the change a webhook names by its delivery where the
// export has the event's id.
func TestGitHubEquivalence(t *testing.T) {
	t.Parallel()
	ds, export := ghReplay(t, underRace(readFile(t, filepath.Join(ghData, "github-webcompat-issues.jsonl"))))
	mapFile := readFile(t, filepath.Join(ghData, "map.json"))

	batch := startLedger(t, ledgerOptions{})
	batch.batch("github", "web", mapFile, export)

	live := startLedger(t, ledgerOptions{maxAge: -1})
	h := live.addHook("github", "web", mapFile)
	live.replay("/hooks/github/"+h.ID, ds, func(d *delivery) {
		d.header.Set(hook.GitHubSignature, hook.Sign(h.Secret, d.body))
	})
	equivalent(t, batch.decisions("web"), live.decisions("web"), h.RelayedBy(), func(d *decision) {
		d.Source.Change = strings.TrimPrefix(d.Source.Change, "delivery-evt-")
	})
}
