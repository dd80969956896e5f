package hook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Jira's webhook headers.
const (
	JiraIdentifier = "X-Atlassian-Webhook-Identifier"
	JiraSignature  = "X-Hub-Signature"
)

// verifyJira checks an admin webhook's X-Hub-Signature (HMAC-SHA256 of
// the body, Jira Cloud's webhooks with a secret), else the secret an
// older webhook carries in its URL (?secret=).
func verifyJira(h Hook, d Delivery) (bool, error) {
	if sig := d.Header.Get(JiraSignature); sig != "" {
		return verifyHMAC(sig, h.Secret, d.Body), nil
	}
	if s := d.Query.Get("secret"); s != "" {
		return equal(s, h.Secret), nil
	}
	return false, unsigned("the delivery bears neither Jira's %s header nor a ?secret= in its URL: paste the hook's secret into the webhook's Secret field (or, on a Jira without one, the URL \"ledger hook add\" printed with ?secret=)", JiraSignature)
}

// jiraPayload is the part of a Jira webhook body a hook reads.
type jiraPayload struct {
	Timestamp int64           `json:"timestamp"`
	Event     string          `json:"webhookEvent"`
	User      json.RawMessage `json:"user"`
	Issue     json.RawMessage `json:"issue"`
	Changelog *struct {
		ID    json.Number       `json:"id"`
		Items []json.RawMessage `json:"items"`
	} `json:"changelog"`
	Comment json.RawMessage `json:"comment"`
}

// jiraTime writes a time as Jira does.
func jiraTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// parseJira reads a jira:issue_created, jira:issue_updated or
// comment_created delivery into the issue's record as a search with
// expand=changelog holds it: the issue's fields as the delivery has them
// now, its changelog's histories (each delivery's changelog, dated by
// the delivery's timestamp, by the delivery's user) and its comments.
func parseJira(_ Hook, d Delivery) (parsed, error) {
	p := parsed{delivery: d.Header.Get(JiraIdentifier)}
	var pl jiraPayload
	dec := json.NewDecoder(bytes.NewReader(d.Body))
	dec.UseNumber()
	if err := dec.Decode(&pl); err != nil || pl.Event == "" {
		return p, domain.Malformed("", "the body is not a Jira webhook payload (no webhookEvent): is this a Jira webhook?")
	}
	at := time.UnixMilli(pl.Timestamp)
	if d.Header.Get(JiraSignature) != "" && pl.Timestamp > 0 {
		p.signedAt = at
	}
	var issue map[string]any
	if err := decodeNumbers(pl.Issue, &issue); err != nil || issue["key"] == nil {
		p.ignored = fmt.Sprintf("Jira event %q without an issue", pl.Event)
		return p, nil
	}
	p.issue = fmt.Sprint(issue["key"])
	var comment map[string]any
	_ = decodeNumbers(pl.Comment, &comment)
	switch pl.Event {
	case "jira:issue_created", "jira:issue_updated":
	case "comment_created":
		if comment == nil {
			p.ignored = "a comment event without its comment"
			return p, nil
		}
		issue = nil // a comment event's issue holds a few fields only
	default:
		p.ignored = fmt.Sprintf("Jira event %q: the ledger reads jira:issue_created, jira:issue_updated and comment_created", pl.Event)
		return p, nil
	}
	var history map[string]any
	if pl.Changelog != nil && len(pl.Changelog.Items) > 0 {
		var user any
		_ = decodeNumbers(pl.User, &user)
		items := make([]any, 0, len(pl.Changelog.Items))
		for _, it := range pl.Changelog.Items {
			var x any
			_ = decodeNumbers(it, &x)
			items = append(items, x)
		}
		history = map[string]any{"id": pl.Changelog.ID.String(), "author": user, "created": jiraTime(at), "items": items}
	}
	p.merge = func(old []byte) ([]byte, error) {
		var rec map[string]any
		if len(old) > 0 {
			if err := decodeNumbers(old, &rec); err != nil {
				return nil, err
			}
		}
		if rec == nil && issue == nil {
			return nil, domain.Invalid("issue", "a comment on %s, an issue this hook has not seen created or changed: import its history (\"ledger import jira\") first", p.issue)
		}
		histories, comments := jiraLists(rec)
		if issue != nil {
			// The issue as Jira has it now; its history and comments
			// accumulate.
			_, own := jiraLists(issue)
			rec = issue
			for _, c := range own {
				comments = addByID(comments, c)
			}
		}
		if history != nil {
			histories = addByID(histories, history)
		}
		if comment != nil {
			comments = addByID(comments, comment)
		}
		rec["changelog"] = map[string]any{"histories": histories}
		fields, _ := rec["fields"].(map[string]any)
		if fields == nil {
			fields = map[string]any{}
			rec["fields"] = fields
		}
		fields["comment"] = map[string]any{"comments": comments}
		return json.Marshal(rec)
	}
	return p, nil
}

func decodeNumbers(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// jiraLists returns an issue's changelog histories and comments.
func jiraLists(is map[string]any) (histories, comments []any) {
	if cl, ok := is["changelog"].(map[string]any); ok {
		histories, _ = cl["histories"].([]any)
	}
	if f, ok := is["fields"].(map[string]any); ok {
		if c, ok := f["comment"].(map[string]any); ok {
			comments, _ = c["comments"].([]any)
		}
	}
	return histories, comments
}

// addByID appends x unless an entry with its id is there.
func addByID(list []any, x any) []any {
	id := fmt.Sprint(x.(map[string]any)["id"])
	for _, y := range list {
		if m, ok := y.(map[string]any); ok && fmt.Sprint(m["id"]) == id {
			return list
		}
	}
	return append(list, x)
}

// jiraExport writes records as one page of search results.
func jiraExport(records [][]byte) ([]byte, error) {
	issues := make([]json.RawMessage, len(records))
	for i, r := range records {
		issues[i] = r
	}
	return json.Marshal(map[string]any{"issues": issues})
}
