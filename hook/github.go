package hook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer/github"
)

// GitHub's webhook headers.
const (
	GitHubEvent     = "X-GitHub-Event"
	GitHubDelivery  = "X-GitHub-Delivery"
	GitHubSignature = "X-Hub-Signature-256"
)

// verifyHMAC checks a "sha256=<hex>" signature of body under secret.
func verifyHMAC(sig, secret string, body []byte) bool {
	hexSum, ok := strings.CutPrefix(strings.TrimSpace(sig), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// Sign is the "sha256=<hex>" HMAC-SHA256 of body under secret, as GitHub
// (X-Hub-Signature-256) and Jira (X-Hub-Signature) send it.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func verifyGitHub(h Hook, d Delivery) (bool, error) {
	sig := d.Header.Get(GitHubSignature)
	if sig == "" {
		return false, unsigned("GitHub's %s header is missing: set the webhook's Secret to the hook's secret (\"ledger hook add\" printed it)", GitHubSignature)
	}
	return verifyHMAC(sig, h.Secret, d.Body), nil
}

// ghUser, ghIssue and ghPayload are the parts of GitHub's issues and
// issue_comment payloads a hook reads.
type ghUser struct {
	Login string `json:"login"`
}

type ghIssue struct {
	Number      int             `json:"number"`
	Title       string          `json:"title"`
	Body        string          `json:"body"`
	User        *ghUser         `json:"user"`
	CreatedAt   string          `json:"created_at"`
	UpdatedAt   string          `json:"updated_at"`
	ClosedAt    string          `json:"closed_at"`
	HTMLURL     string          `json:"html_url"`
	StateReason string          `json:"state_reason"`
	PullRequest json.RawMessage `json:"pull_request,omitempty"`
	Milestone   *struct {
		Title string `json:"title"`
	} `json:"milestone"`
}

type ghPayload struct {
	Action  string   `json:"action"`
	Issue   *ghIssue `json:"issue"`
	Sender  *ghUser  `json:"sender"`
	Changes *struct {
		Title *struct {
			From string `json:"from"`
		} `json:"title"`
	} `json:"changes"`
	Label *struct {
		Name string `json:"name"`
	} `json:"label"`
	Milestone *struct {
		Title string `json:"title"`
	} `json:"milestone"`
	Assignee *ghUser `json:"assignee"`
	Comment  *struct {
		ID        int64   `json:"id"`
		Body      string  `json:"body"`
		User      *ghUser `json:"user"`
		CreatedAt string  `json:"created_at"`
	} `json:"comment"`
}

// parseGitHub reads an issues or issue_comment delivery as the event an
// export's issue would list (/issues/{n}/events, a comment as the
// timeline's "commented"), dated by the issue's updated_at (closed_at
// for a close), the time GitHub gives the change.
func parseGitHub(d Delivery) (parsed, error) {
	p := parsed{delivery: d.Header.Get(GitHubDelivery)}
	if p.delivery == "" {
		return p, domain.Malformed(GitHubDelivery, "the %s header is missing: is this a GitHub webhook delivery?", GitHubDelivery)
	}
	kind := d.Header.Get(GitHubEvent)
	switch kind {
	case "issues", "issue_comment":
	case "ping":
		p.ignored = "GitHub's ping: the hook is wired"
		return p, nil
	default:
		p.ignored = fmt.Sprintf("GitHub event %q: the ledger reads issues and issue_comment; untick the others in the webhook's settings", kind)
		return p, nil
	}
	var pl ghPayload
	if err := json.Unmarshal(d.Body, &pl); err != nil || pl.Issue == nil || pl.Issue.Number == 0 {
		return p, domain.Malformed("", "the body is not a GitHub %s payload with an issue: choose Content type application/json in the webhook's settings", kind)
	}
	is := pl.Issue
	if len(is.PullRequest) > 0 && string(is.PullRequest) != "null" {
		p.ignored = "a pull request: the ledger imports issues"
		return p, nil
	}
	p.issue = strconv.Itoa(is.Number)
	var ev *github.Event
	switch {
	case kind == "issue_comment" && pl.Action == "created" && pl.Comment != nil:
		ev = &github.Event{ID: pl.Comment.ID, Event: "commented", Body: pl.Comment.Body, CreatedAt: pl.Comment.CreatedAt}
		if pl.Comment.User != nil {
			ev.User = &github.User{Login: pl.Comment.User.Login}
		}
	case kind == "issue_comment":
		p.ignored = "a comment " + pl.Action + ": only a new comment explains a change"
		return p, nil
	case pl.Action == "opened":
		// The filing is the issue itself.
	default:
		at := is.UpdatedAt
		if pl.Action == "closed" && is.ClosedAt != "" {
			at = is.ClosedAt
		}
		ev = &github.Event{Event: pl.Action, CreatedAt: at}
		switch pl.Action {
		case "milestoned", "demilestoned":
			ms := pl.Milestone
			if ms == nil {
				ms = is.Milestone
			}
			if ms != nil {
				ev.Milestone = &struct {
					Title string `json:"title"`
				}{ms.Title}
			}
		case "labeled", "unlabeled":
			if pl.Label != nil {
				ev.Label = &struct {
					Name string `json:"name"`
				}{pl.Label.Name}
			}
		case "assigned", "unassigned":
			if pl.Assignee != nil {
				ev.Assignee = &github.User{Login: pl.Assignee.Login}
			}
		case "closed":
			ev.StateReason = is.StateReason
		case "edited":
			if pl.Changes == nil || pl.Changes.Title == nil {
				ev = nil // the body or another field: the record keeps the new text
				break
			}
			ev.Event = "renamed"
			ev.Rename = &struct {
				From string `json:"from"`
				To   string `json:"to"`
			}{pl.Changes.Title.From, is.Title}
		}
		if ev != nil {
			ev.Delivery = p.delivery
			if pl.Sender != nil {
				ev.Actor = &github.User{Login: pl.Sender.Login}
			}
		}
	}
	p.merge = func(old []byte) ([]byte, error) {
		var rec github.Issue
		if len(old) > 0 {
			if err := json.Unmarshal(old, &rec); err != nil {
				return nil, err
			}
		}
		// The issue as GitHub has it now; its events accumulate.
		rec.Number, rec.Title, rec.Body, rec.CreatedAt, rec.HTMLURL = is.Number, is.Title, is.Body, is.CreatedAt, is.HTMLURL
		if is.User != nil {
			rec.User = &github.User{Login: is.User.Login}
		}
		if ev != nil && !slices.ContainsFunc(rec.Events, func(e github.Event) bool {
			return (ev.ID != 0 && e.ID == ev.ID) || (ev.Delivery != "" && e.Delivery == ev.Delivery)
		}) {
			rec.Events = append(rec.Events, *ev)
		}
		return json.Marshal(rec)
	}
	return p, nil
}
