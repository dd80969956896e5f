package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
)

// System is the source system name of Jira imports.
const System = "jira"

// Issue is the part of a Jira issue the import reads.
type Issue struct {
	ID        string `json:"id"`
	Key       string `json:"key"`
	Self      string `json:"self"`
	Fields    Fields `json:"fields"`
	Changelog struct {
		Histories []History `json:"histories"`
	} `json:"changelog"`
	// Raw holds every field as the export has it, for those whose id
	// differs from site to site (the Epic Link custom field).
	Raw map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON reads an issue and keeps its raw fields.
func (is *Issue) UnmarshalJSON(b []byte) error {
	type plain Issue
	if err := json.Unmarshal(b, (*plain)(is)); err != nil {
		return err
	}
	var raw struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	is.Raw = raw.Fields
	return nil
}

// Fields are the issue's current fields.
type Fields struct {
	Summary   string `json:"summary"`
	Created   string `json:"created"`
	Reporter  *User  `json:"reporter"`
	Creator   *User  `json:"creator"`
	IssueType *struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		UntranslatedName string `json:"untranslatedName"`
		Subtask          bool   `json:"subtask"`
		HierarchyLevel   int    `json:"hierarchyLevel"`
		AvatarID         int    `json:"avatarId"`
	} `json:"issuetype"`
	Project *struct {
		Key string `json:"key"`
	} `json:"project"`
	// Parent is the issue's parent: a sub-task's issue, a team-managed
	// project's epic.
	Parent *struct {
		Key string `json:"key"`
	} `json:"parent"`
	// Epic is the agile API's epic of the issue.
	Epic *struct {
		Key string `json:"key"`
	} `json:"epic"`
	Priority    *Ref    `json:"priority"`
	Status      *Status `json:"status"`
	Resolution  *Ref    `json:"resolution"`
	Assignee    *User
	FixVersions []struct {
		Name        string `json:"name"`
		ReleaseDate string `json:"releaseDate"`
	} `json:"fixVersions"`
	Description Text `json:"description"`
	Comment     *struct {
		Comments []struct {
			ID      string `json:"id"`
			Body    Text   `json:"body"`
			Author  *User  `json:"author"`
			Created string `json:"created"`
		} `json:"comments"`
	} `json:"comment"`
}

// Text is a description or a comment: a string in the REST API v2, a
// document in Atlassian Document Format in v3 (/rest/api/3/search/jql),
// read as its plain text: the text of its nodes, a paragraph, heading,
// list item, code block or quote a line, a hard break a line break, a
// mention or an emoji by what it shows.
type Text string

// UnmarshalJSON reads either form.
func (t *Text) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != nil {
			*t = Text(*s)
		}
		return nil
	}
	var doc adfNode
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("neither text nor an Atlassian document: %w", err)
	}
	var sb strings.Builder
	doc.write(&sb)
	*t = Text(strings.TrimSpace(sb.String()))
	return nil
}

// adfNode is a node of an Atlassian Document Format document.
type adfNode struct {
	Type    string    `json:"type"`
	Text    string    `json:"text"`
	Content []adfNode `json:"content"`
	Attrs   struct {
		Text      string `json:"text"`
		ShortName string `json:"shortName"`
		URL       string `json:"url"`
	} `json:"attrs"`
}

func (n *adfNode) write(sb *strings.Builder) {
	switch n.Type {
	case "text":
		sb.WriteString(n.Text)
	case "hardBreak":
		sb.WriteString("\n")
	case "mention", "status":
		sb.WriteString(n.Attrs.Text)
	case "emoji":
		if n.Attrs.Text != "" {
			sb.WriteString(n.Attrs.Text)
		} else {
			sb.WriteString(n.Attrs.ShortName)
		}
	case "inlineCard", "blockCard":
		sb.WriteString(n.Attrs.URL)
	}
	for i := range n.Content {
		n.Content[i].write(sb)
	}
	switch n.Type {
	case "paragraph", "heading", "codeBlock", "blockquote", "listItem", "rule", "tableRow", "panel", "blockCard":
		if !strings.HasSuffix(sb.String(), "\n") {
			sb.WriteString("\n")
		}
	case "tableCell", "tableHeader":
		sb.WriteString("\t")
	}
}

// Ref is a Jira value with its id.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Status is a workflow status with its category: new, indeterminate (in
// progress) or done, the same on every site whatever the status is called.
type Status struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	StatusCategory *struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

// User is a Jira account: Cloud names it by accountId, Server by name.
type User struct {
	AccountID    string `json:"accountId"`
	Name         string `json:"name"`
	EmailAddress string `json:"emailAddress"`
	DisplayName  string `json:"displayName"`
}

// user is the lifecycle's user: the stable login and the display name.
func (u *User) user() importer.User {
	if u == nil {
		return importer.User{}
	}
	return importer.User{Login: u.Login(), Name: u.DisplayName}
}

// Login is the user's stable login: account id, else name, else e-mail.
func (u *User) Login() string {
	switch {
	case u == nil:
		return ""
	case u.AccountID != "":
		return u.AccountID
	case u.Name != "":
		return u.Name
	}
	return u.EmailAddress
}

// History is one changelog entry.
type History struct {
	ID      string `json:"id"`
	Author  *User  `json:"author"`
	Created string `json:"created"`
	Items   []Item `json:"items"`
}

// Item is one field changed in a history entry; From and To are ids.
type Item struct {
	Field      string  `json:"field"`
	FieldID    string  `json:"fieldId"`
	From       *string `json:"from"`
	FromString *string `json:"fromString"`
	To         *string `json:"to"`
	ToString   *string `json:"toString"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Parse reads one page of search results.
func Parse(r io.Reader) ([]Issue, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading a Jira export: %w", err)
	}
	var page struct {
		Issues *[]Issue `json:"issues"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(data), &page); err != nil || page.Issues == nil {
		return nil, fmt.Errorf("not Jira search results {\"issues\":[...]} (from /rest/api/2/search?expand=changelog): %v", err)
	}
	return *page.Issues, nil
}

// Merge joins pages by issue key; histories are kept once by id.
func Merge(pages ...[]Issue) []Issue {
	var out []Issue
	at := map[string]int{}
	for _, issues := range pages {
		for _, is := range issues {
			i, ok := at[is.Key]
			if !ok {
				at[is.Key] = len(out)
				out = append(out, is)
				continue
			}
			seen := map[string]bool{}
			for _, h := range out[i].Changelog.Histories {
				seen[h.ID] = true
			}
			for _, h := range is.Changelog.Histories {
				if !seen[h.ID] {
					out[i].Changelog.Histories = append(out[i].Changelog.Histories, h)
				}
			}
		}
	}
	return out
}

// Defaults is the default Jira mapping, by id: priorities 1 (Highest) to 5
// (Lowest); resolutions 1 Fixed and 10000 Done deliver, 2 Won't Fix and
// 10001 Won't Do reject as out-of-scope, 3 Duplicate as duplicate, 4
// Incomplete and 5 Cannot Reproduce as other; status 3 (In Progress)
// starts work.
func Defaults() importer.Map {
	return importer.Map{
		Priorities: []string{"1", "2", "3", "4", "5"},
		Resolutions: map[string]importer.Outcome{
			"1": {Deliver: true}, "10000": {Deliver: true},
			"2": {Reject: domain.ReasonOutOfScope}, "10001": {Reject: domain.ReasonOutOfScope},
			"3": {Reject: domain.ReasonDuplicate}, "4": {Reject: domain.ReasonOther}, "5": {Reject: domain.ReasonOther},
		},
		Statuses: map[string]importer.Outcome{"3": {Start: true}},
	}
}

// ParseTime reads Jira's times: 2020-06-12T08:13:13.360+0800, with or
// without milliseconds, with a numeric offset or Z.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not a Jira time", s)
}

// Result is what an export maps to.
type Result struct {
	Ops     []importer.Op
	Skipped importer.Skipped
}

// Map maps issues to the decisions they record, by the lifecycle every
// tracker shares (importer.Run). People are named as Jira shows them
// (their display name; the account id stays in each event's source);
// an issue's type is its backlog item's kind (Kind); its epic is its Epic
// Link, agile epic or parent, whether or not the export holds that issue;
// a status in Jira's "in progress" category starts work unless the map
// says otherwise; release dates come from the fix versions.
func Map(issues []Issue, m *importer.Map) (Result, error) {
	// Release dates the export knows, unless the map gives them.
	for _, is := range issues {
		for _, v := range is.Fields.FixVersions {
			if v.ReleaseDate == "" {
				continue
			}
			if _, ok := m.Milestones[v.Name]; !ok {
				if m.Milestones == nil {
					m.Milestones = map[string]string{}
				}
				m.Milestones[v.Name] = v.ReleaseDate
			}
		}
	}
	// Statuses in the "in progress" category start work, those the map
	// (or the defaults) name aside: the category is Jira's own meaning,
	// the same in every language and workflow.
	for _, is := range issues {
		if st := is.Fields.Status; st != nil && st.StatusCategory != nil && st.StatusCategory.Key == "indeterminate" {
			if _, ok := m.Statuses[st.ID]; !ok {
				if m.Statuses == nil {
					m.Statuses = map[string]importer.Outcome{}
				}
				m.Statuses[st.ID] = importer.Outcome{Start: true}
			}
		}
	}
	list, err := Issues(issues, m)
	if err != nil {
		return Result{}, err
	}
	ops, skipped, err := importer.Run(System, list, m)
	if err != nil {
		return Result{}, err
	}
	return Result{Ops: ops, Skipped: skipped}, nil
}

// fields maps Jira's changelog fields to the lifecycle's.
var fields = map[string]importer.Field{
	"status":                 importer.FieldStatus,
	"resolution":             importer.FieldResolution,
	"assignee":               importer.FieldAssignee,
	"priority":               importer.FieldPriority,
	"summary":                importer.FieldTitle,
	"Sprint":                 importer.FieldSprint,
	"Epic Link":              importer.FieldEpic,
	"Parent":                 importer.FieldEpic,
	"IssueParentAssociation": importer.FieldEpic,
}

// epicLinkFields are the field ids of the Epic Link custom field the
// changelog names (customfield_10014 on many sites, another on others).
func epicLinkFields(issues []Issue) []string {
	seen := map[string]bool{"customfield_10014": true}
	out := []string{"customfield_10014"}
	for _, is := range issues {
		for _, h := range is.Changelog.Histories {
			for _, it := range h.Items {
				if it.Field == "Epic Link" && it.FieldID != "" && !seen[it.FieldID] {
					seen[it.FieldID] = true
					out = append(out, it.FieldID)
				}
			}
		}
	}
	return out
}

// epicOf is the key of an issue's epic or parent, "" for none.
func epicOf(is *Issue, linkFields []string) string {
	f := is.Fields
	if f.Epic != nil && f.Epic.Key != "" {
		return f.Epic.Key
	}
	for _, id := range linkFields {
		var key string
		if raw, ok := is.Raw[id]; ok && json.Unmarshal(raw, &key) == nil && key != "" {
			return key
		}
	}
	if f.Parent != nil {
		return f.Parent.Key
	}
	return ""
}

// Issues reads issues and their changelogs as the lifecycle's issues.
func Issues(issues []Issue, m *importer.Map) ([]importer.Issue, error) {
	links := epicLinkFields(issues)
	out := make([]importer.Issue, 0, len(issues))
	for i := range issues {
		is := &issues[i]
		f := is.Fields
		created, err := ParseTime(f.Created)
		if err != nil {
			return nil, fmt.Errorf("%s: created: %w", is.Key, err)
		}
		by := f.Reporter.user()
		if by.Login == "" {
			by = f.Creator.user()
		}
		why := importer.Text(string(f.Description), domain.MaxTextLen)
		url := browseURL(m.URL, is)
		if why == "" {
			why = importer.WithLink("jira: "+is.Key+" created", url)
		}
		li := importer.Issue{Key: is.Key, URL: url, Title: f.Summary, Kind: Kind(is, m), Epic: epicOf(is, links),
			Filed: &importer.Filing{At: created, By: by, Why: why, Field: "fields.created"},
			Now:   map[importer.Field]string{}}
		if f.Project != nil {
			li.Project = f.Project.Key
		}
		if f.Status != nil {
			li.Now[importer.FieldStatus] = f.Status.ID
		}
		if f.Resolution != nil {
			li.Now[importer.FieldResolution] = f.Resolution.ID
		}
		if f.Priority != nil {
			li.Now[importer.FieldPriority] = f.Priority.ID
		}
		li.Now[importer.FieldAssignee] = f.Assignee.Login()
		if n := len(f.FixVersions); n > 0 {
			li.Now[importer.FieldMilestone] = f.FixVersions[n-1].Name
		}
		li.Now[importer.FieldEpic] = li.Epic
		for j, h := range is.Changelog.Histories {
			at, err := ParseTime(h.Created)
			if err != nil {
				return nil, fmt.Errorf("%s history %s: %w", is.Key, h.ID, err)
			}
			seq, _ := strconv.Atoi(h.ID)
			c := importer.Change{At: at, By: h.Author.user(), ID: h.ID, Seq: seq*1000 + j, Field: "changelog.histories[].created"}
			// Fix versions are one move: to the last one added, or off the
			// one removed.
			var added, removed []string
			for _, it := range h.Items {
				if it.Field == "Fix Version" || it.FieldID == "fixVersions" {
					if v := str(it.ToString); v != "" {
						added = append(added, v)
					}
					if v := str(it.FromString); v != "" {
						removed = append(removed, v)
					}
					continue
				}
				item := importer.Item{Field: fields[it.Field], Raw: it.Field, From: str(it.From), To: str(it.To),
					FromName: str(it.FromString), ToName: str(it.ToString)}
				switch item.Field {
				case importer.FieldTitle, importer.FieldSprint, importer.FieldEpic:
					// Compared and shown by their text (an epic by its key).
					item.From, item.To, item.FromName, item.ToName = str(it.FromString), str(it.ToString), "", ""
				case importer.FieldAssignee:
					if item.To == "" {
						item.To = str(it.ToString)
					}
				}
				c.Items = append(c.Items, item)
			}
			switch {
			case len(added) > 0:
				from := ""
				if len(removed) > 0 {
					from = removed[0]
				}
				c.Items = append([]importer.Item{{Field: importer.FieldMilestone, Raw: "Fix Version", From: from, To: added[len(added)-1]}}, c.Items...)
			case len(removed) > 0:
				c.Items = append([]importer.Item{{Field: importer.FieldMilestone, Raw: "Fix Version", From: removed[0]}}, c.Items...)
			}
			li.Changes = append(li.Changes, c)
		}
		if f.Comment != nil {
			for _, cm := range f.Comment.Comments {
				if at, err := ParseTime(cm.Created); err == nil {
					li.Comments = append(li.Comments, importer.Comment{ID: cm.ID, By: cm.Author.user(), At: at, Text: string(cm.Body)})
				}
			}
		}
		out = append(out, li)
	}
	return out, nil
}

// bugNames are what Jira's bug type is called in the languages its
// exports come in: a localized site names it in its own (a type is
// matched by id first, through the map).
var bugNames = map[string]bool{"bug": true, "defect": true, "缺陷": true, "故障": true, "错误": true, "bug 修复": true,
	"バグ": true, "버그": true, "fehler": true, "défaut": true, "bogue": true, "anomalie": true, "error": true, "erro": true,
	"errore": true, "ошибка": true, "баг": true, "błąd": true, "fout": true}

// bugAvatar is the avatar of Jira Cloud's standard bug type, whatever the
// site calls it.
const bugAvatar = 10303

// Kind is the backlog item an issue's type becomes: the map's kind for
// the type's id (or name) when it names one; an epic for a type above the
// base level of the hierarchy; a story for a sub-task (a piece of its
// parent); a bug for a bug, recognised by its untranslated name, its
// standard icon or its name in a common language; else a story.
func Kind(is *Issue, m *importer.Map) domain.ItemKind {
	t := is.Fields.IssueType
	if t == nil {
		return domain.ItemStory
	}
	if k, ok := m.Types[t.ID]; ok {
		return k
	}
	if k, ok := m.Types[t.Name]; ok {
		return k
	}
	switch {
	case t.HierarchyLevel >= 1:
		return domain.ItemEpic
	case t.Subtask || t.HierarchyLevel < 0:
		return domain.ItemStory
	case strings.EqualFold(t.UntranslatedName, "bug"), t.AvatarID == bugAvatar, bugNames[strings.ToLower(strings.TrimSpace(t.Name))]:
		return domain.ItemBug
	case strings.EqualFold(t.UntranslatedName, "epic"), strings.EqualFold(t.Name, "epic"):
		return domain.ItemEpic
	case strings.EqualFold(t.UntranslatedName, "spike"), strings.EqualFold(t.Name, "spike"):
		return domain.ItemSpike
	}
	return domain.ItemStory
}

// browseURL is the issue's page: the map's base URL, else the site of
// the issue's self link, then /browse/KEY.
func browseURL(base string, is *Issue) string {
	if base == "" {
		if i := strings.Index(is.Self, "/rest/"); i > 0 {
			base = is.Self[:i]
		}
	}
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/browse/" + is.Key
}
