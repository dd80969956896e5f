package github

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
)

// System is the source system name of GitHub imports.
const System = "github"

// Issue is the part of a GitHub REST issue object the import reads.
type Issue struct {
	Number      int             `json:"number"`
	Title       string          `json:"title"`
	Body        string          `json:"body"`
	User        *User           `json:"user"`
	CreatedAt   string          `json:"created_at"`
	HTMLURL     string          `json:"html_url"`
	PullRequest json.RawMessage `json:"pull_request,omitempty"`
	Events      []Event         `json:"events"`
}

// User is a GitHub account.
type User struct {
	Login string `json:"login"`
}

// Event is one issue event.
type Event struct {
	ID          int64  `json:"id"`
	Event       string `json:"event"`
	Actor       *User  `json:"actor"`
	CreatedAt   string `json:"created_at"`
	StateReason string `json:"state_reason"`
	Milestone   *struct {
		Title string `json:"title"`
	} `json:"milestone"`
	Label *struct {
		Name string `json:"name"`
	} `json:"label"`
	Assignee *User `json:"assignee"`
	// Body and User are a comment's, in the timeline
	// (/issues/{n}/timeline), where a comment is an event "commented".
	Body   string `json:"body"`
	User   *User  `json:"user"`
	Rename *struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"rename"`
	// Issue is set in the repository-wide events list.
	Issue *Issue `json:"issue,omitempty"`
	// Delivery is the X-GitHub-Delivery of the webhook that reported an
	// event (package hook): a webhook carries no event id, so the
	// delivery names the change in its provenance instead.
	Delivery string `json:"delivery,omitempty"`
}

// changeID names an event in provenance: its id, else the delivery that
// reported it.
func (e Event) changeID() string {
	if e.ID == 0 && e.Delivery != "" {
		return "delivery-" + e.Delivery
	}
	return strconv.FormatInt(e.ID, 10)
}

// Parse reads one export: issue objects with their events, one per line
// or as a JSON array, or the repository-wide events list (an array of
// events, each with its issue). Pull requests are left out and counted.
func Parse(r io.Reader) (issues []Issue, pulls int, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, fmt.Errorf("reading a GitHub export: %w", err)
	}
	trimmed := bytes.TrimSpace(data)
	var raw []json.RawMessage
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, 0, fmt.Errorf("a GitHub export: %w", err)
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			if b := bytes.TrimSpace(sc.Bytes()); len(b) > 0 {
				raw = append(raw, append([]byte(nil), b...))
			}
		}
		if err := sc.Err(); err != nil {
			return nil, 0, fmt.Errorf("reading a GitHub export: %w", err)
		}
	}
	byNumber := map[int]int{}
	for i, r := range raw {
		var probe struct {
			Event string `json:"event"`
		}
		_ = json.Unmarshal(r, &probe)
		if probe.Event != "" {
			var e Event
			if err := json.Unmarshal(r, &e); err != nil || e.Issue == nil {
				return nil, 0, fmt.Errorf("item %d is an event without its issue: is this /repos/{o}/{r}/issues/events?", i+1)
			}
			is := e.Issue
			e.Issue = nil
			j, ok := byNumber[is.Number]
			if !ok {
				j = len(issues)
				byNumber[is.Number] = j
				is.Events = nil
				issues = append(issues, *is)
			}
			issues[j].Events = append(issues[j].Events, e)
			continue
		}
		var is Issue
		if err := json.Unmarshal(r, &is); err != nil || is.Number == 0 {
			return nil, 0, fmt.Errorf("item %d is not a GitHub issue object", i+1)
		}
		if j, ok := byNumber[is.Number]; ok {
			events := issues[j].Events
			issues[j] = is
			for _, e := range events {
				if e.ID == 0 || !slices.ContainsFunc(is.Events, func(x Event) bool { return x.ID == e.ID }) {
					issues[j].Events = append(issues[j].Events, e)
				}
			}
			continue
		}
		byNumber[is.Number] = len(issues)
		issues = append(issues, is)
	}
	out := issues[:0]
	for _, is := range issues {
		if len(is.PullRequest) > 0 && string(is.PullRequest) != "null" {
			pulls++
			continue
		}
		out = append(out, is)
	}
	return out, pulls, nil
}

// Defaults is the default GitHub mapping: a milestone is a release;
// closing as completed delivers (and takes on an issue never triaged:
// something was done), closing as not planned rejects as out-of-scope,
// marked_as_duplicate as duplicate; a close without a reason (every close
// before GitHub had reasons, in 2022) delivers what was taken on and
// rejects as other what never was; reopening undoes any. Links are the
// issues' own (html_url).
func Defaults() importer.Map {
	return importer.Map{
		Resolutions: map[string]importer.Outcome{
			"completed":   {Deliver: true},
			"not_planned": {Reject: domain.ReasonOutOfScope},
			"duplicate":   {Reject: domain.ReasonDuplicate},
			"closed":      {Deliver: true, Reject: domain.ReasonOther},
		},
	}
}

// Result is what an export maps to.
type Result struct {
	Ops     []importer.Op
	Skipped importer.Skipped
}

// Map maps issues to the decisions they record, by the lifecycle every
// tracker shares (importer.Run).
func Map(issues []Issue, m *importer.Map) (Result, error) {
	list, err := Issues(issues)
	if err != nil {
		return Result{}, err
	}
	ops, skipped, err := importer.Run(System, list, m)
	if err != nil {
		return Result{}, err
	}
	return Result{Ops: ops, Skipped: skipped}, nil
}

func login(u *User) string {
	if u == nil || u.Login == "" {
		return "ghost" // GitHub's name for a deleted account
	}
	return u.Login
}

// Issues reads issues and their events as the lifecycle's issues: an
// event is a change of one field (milestoned and demilestoned the
// milestone, labeled a label, assigned the assignee, renamed the title,
// closed, marked_as_duplicate and reopened the resolution).
func Issues(issues []Issue) ([]importer.Issue, error) {
	out := make([]importer.Issue, 0, len(issues))
	for i := range issues {
		is := &issues[i]
		created, err := time.Parse(time.RFC3339, is.CreatedAt)
		if err != nil {
			return nil, fmt.Errorf("issue %d: created_at: %w", is.Number, err)
		}
		k := strconv.Itoa(is.Number)
		why := is.Body
		if strings.TrimSpace(importer.Clean(why)) == "" {
			why = importer.WithLink("github: issue "+k+" opened", is.HTMLURL)
		}
		li := importer.Issue{Key: k, ItemPrefix: "GH-", URL: is.HTMLURL, Title: is.Title,
			Filed: &importer.Filing{At: created, By: importer.User{Login: login(is.User)}, Why: why, Field: "created_at"}}
		last := created
		for j, e := range is.Events {
			at, err := time.Parse(time.RFC3339, e.CreatedAt)
			switch {
			case err == nil:
				last = at
			case e.CreatedAt == "" && !meaningful[e.Event]:
				// A timeline item with no time of its own (committed,
				// reviewed) means nothing to the ledger: it is counted
				// as skipped, where it stands.
				at = last
			default:
				return nil, fmt.Errorf("issue %d event %d (%s): created_at: %w", is.Number, e.ID, e.Event, err)
			}
			if e.Event == "commented" {
				by := e.Actor
				if by == nil {
					by = e.User
				}
				li.Comments = append(li.Comments, importer.Comment{ID: e.changeID(), By: importer.User{Login: login(by)}, At: at, Text: e.Body})
				continue
			}
			c := importer.Change{At: at, By: importer.User{Login: login(e.Actor)}, ID: e.changeID(), Seq: j, Field: "events[].created_at"}
			it := importer.Item{Raw: e.Event}
			switch e.Event {
			case "milestoned":
				if e.Milestone != nil {
					it.Field, it.To = importer.FieldMilestone, e.Milestone.Title
				}
			case "demilestoned":
				if e.Milestone != nil {
					it.Field, it.From = importer.FieldMilestone, e.Milestone.Title
				}
			case "labeled":
				if e.Label != nil {
					it.Field, it.To = importer.FieldLabel, e.Label.Name
				}
			case "assigned":
				if e.Assignee != nil {
					it.Field, it.To = importer.FieldAssignee, e.Assignee.Login
				}
			case "renamed":
				if e.Rename != nil {
					it.Field, it.From, it.To = importer.FieldTitle, e.Rename.From, e.Rename.To
				}
			case "closed":
				reason := e.StateReason
				if reason == "" {
					reason = "closed" // no reason given: GitHub had none before 2022
				}
				it.Field, it.To = importer.FieldResolution, reason
			case "marked_as_duplicate":
				it.Field, it.To = importer.FieldResolution, "duplicate"
			case "reopened":
				it.Field = importer.FieldResolution
			}
			c.Items = []importer.Item{it}
			li.Changes = append(li.Changes, c)
		}
		out = append(out, li)
	}
	return out, nil
}

// meaningful are the events the import reads: one without a time is an
// export that cannot be read truthfully.
var meaningful = map[string]bool{"milestoned": true, "demilestoned": true, "labeled": true, "assigned": true,
	"renamed": true, "closed": true, "marked_as_duplicate": true, "reopened": true, "commented": true}

// Merge joins the issues of several exports (an issues file and the
// repository's events list, or pages) by number, in order of first
// appearance; events are kept once by id.
func Merge(lists ...[]Issue) []Issue {
	var out []Issue
	at := map[int]int{}
	for _, issues := range lists {
		for _, is := range issues {
			i, ok := at[is.Number]
			if !ok {
				at[is.Number] = len(out)
				out = append(out, is)
				continue
			}
			have := &out[i]
			seen := map[int64]bool{}
			for _, e := range have.Events {
				seen[e.ID] = true
			}
			for _, e := range is.Events {
				// A timeline item without an id (cross-referenced,
				// committed) is kept as it is.
				if e.ID == 0 || !seen[e.ID] {
					have.Events = append(have.Events, e)
				}
			}
			if have.Body == "" {
				have.Body = is.Body
			}
		}
	}
	return out
}
