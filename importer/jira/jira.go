package jira

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
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
}

// Fields are the issue's current fields.
type Fields struct {
	Summary   string `json:"summary"`
	Created   string `json:"created"`
	Reporter  *User  `json:"reporter"`
	Creator   *User  `json:"creator"`
	IssueType *struct {
		ID             string `json:"id"`
		Name           string `json:"name"`
		HierarchyLevel int    `json:"hierarchyLevel"`
	} `json:"issuetype"`
	Priority    *Ref `json:"priority"`
	Status      *Ref `json:"status"`
	Resolution  *Ref `json:"resolution"`
	Assignee    *User
	FixVersions []struct {
		Name        string `json:"name"`
		ReleaseDate string `json:"releaseDate"`
	} `json:"fixVersions"`
	Description string `json:"description"`
	Comment     *struct {
		Comments []struct {
			ID      string `json:"id"`
			Body    string `json:"body"`
			Author  *User  `json:"author"`
			Created string `json:"created"`
		} `json:"comments"`
	} `json:"comment"`
}

// Ref is a Jira value with its id.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// User is a Jira account: Cloud names it by accountId, Server by name.
type User struct {
	AccountID    string `json:"accountId"`
	Name         string `json:"name"`
	EmailAddress string `json:"emailAddress"`
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

type moment struct {
	at    time.Time
	issue int
	hist  int // -1 creation
	order int // the history's place in the export (newest first is fine)
}

type issueState struct {
	is         *Issue
	key, url   string
	status     string
	generation int
	request    string
	item       string
	itemUsed   bool
	release    string
	title      string
	started    bool
	comments   map[string][]string // author and time to bodies
}

// Map maps issues to ops: histories are sorted by their parsed instant
// (they may come newest first), then by issue, then by history id.
func Map(issues []Issue, m *importer.Map) (Result, error) {
	res := Result{Skipped: importer.Skipped{}}
	// Release dates the export knows, unless the map gives them.
	dates := map[string]string{}
	for _, is := range issues {
		for _, v := range is.Fields.FixVersions {
			if v.ReleaseDate != "" {
				dates[v.Name] = v.ReleaseDate
			}
		}
	}
	for name, d := range dates {
		if _, ok := m.Milestones[name]; !ok {
			if m.Milestones == nil {
				m.Milestones = map[string]string{}
			}
			m.Milestones[name] = d
		}
	}
	var all []moment
	states := make([]*issueState, len(issues))
	for i := range issues {
		is := &issues[i]
		created, err := ParseTime(is.Fields.Created)
		if err != nil {
			return Result{}, fmt.Errorf("%s: created: %w", is.Key, err)
		}
		all = append(all, moment{at: created, issue: i, hist: -1})
		for j, h := range is.Changelog.Histories {
			at, err := ParseTime(h.Created)
			if err != nil {
				return Result{}, fmt.Errorf("%s history %s: %w", is.Key, h.ID, err)
			}
			all = append(all, moment{at: at, issue: i, hist: j})
		}
		st := &issueState{is: is, key: is.Key, title: is.Fields.Summary, comments: map[string][]string{}}
		st.url = browseURL(m.URL, is)
		// The summary at creation is what the earliest summary change removed.
		var first *time.Time
		for _, h := range is.Changelog.Histories {
			at, _ := ParseTime(h.Created)
			for _, it := range h.Items {
				if it.Field == "summary" && (first == nil || at.Before(*first)) {
					t := at
					first, st.title = &t, str(it.FromString)
				}
			}
		}
		if is.Fields.Comment != nil {
			for _, c := range is.Fields.Comment.Comments {
				if at, err := ParseTime(c.Created); err == nil {
					k := c.Author.Login() + "\x00" + at.Format(time.RFC3339Nano)
					st.comments[k] = append(st.comments[k], c.Body)
				}
			}
		}
		states[i] = st
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if a.issue != b.issue {
			return a.issue < b.issue
		}
		if (a.hist < 0) != (b.hist < 0) {
			return a.hist < 0
		}
		return historyID(states[a.issue], a.hist) < historyID(states[b.issue], b.hist)
	})
	mp := &mapper{m: m, res: &res, order: &importer.Order{}}
	for _, mo := range all {
		st := states[mo.issue]
		if mo.hist < 0 {
			mp.created(st, mo.at)
		} else {
			mp.history(st, st.is.Changelog.Histories[mo.hist], mo.at)
		}
	}
	return res, nil
}

func historyID(st *issueState, i int) int64 {
	if i < 0 {
		return -1
	}
	n, _ := strconv.ParseInt(st.is.Changelog.Histories[i].ID, 10, 64)
	return n
}

// browseURL is the issue's page: the map's base URL, else the site of
// the issue's self link, then /browse/KEY.
func browseURL(base string, is *Issue) string {
	if base == "" {
		if i := strings.Index(is.Self, "/rest/"); i > 0 {
			base = is.Self[:i]
		}
	}
	return strings.TrimRight(base, "/") + "/browse/" + is.Key
}

type mapper struct {
	m     *importer.Map
	res   *Result
	order *importer.Order
}

// noAuthor is the login of a history entry Jira gives no author.
const noAuthor = "anonymous"

func (st *issueState) requestID() string {
	if st.generation <= 1 {
		return importer.ItemID("", st.key) + "-req"
	}
	return fmt.Sprintf("%s-req%d", importer.ItemID("", st.key), st.generation)
}

func (st *issueState) undecided() bool { return st.status == "pending" || st.status == "deferred" }
func (st *issueState) open() bool      { return st.status == "accepted" }

func (st *issueState) why(login string, at time.Time, generated string) string {
	k := login + "\x00" + at.Format(time.RFC3339Nano)
	if bodies := st.comments[k]; len(bodies) > 0 {
		st.comments[k] = bodies[1:]
		if t := importer.Text(bodies[0], domain.MaxTextLen); t != "" {
			return t
		}
	}
	return importer.Text(generated, domain.MaxTextLen)
}

func (mp *mapper) emit(st *issueState, login, author string, at time.Time, change, why string, reason domain.ReasonCode, facts []importer.Fact, needs []importer.Milestone, slip bool) {
	if len(facts) == 0 {
		return
	}
	mp.res.Ops = append(mp.res.Ops, importer.Op{At: at, Actor: mp.m.ActorID(login), Why: why, Reason: reason, Facts: facts,
		Needs: needs, Slip: slip, Field: importer.DatedBy(change, "fields.created", "changelog.histories[].created"),
		Source: domain.Source{System: System, Key: st.key, URL: st.url, Change: change, Author: author}})
}

func (mp *mapper) title(st *issueState, s string) (string, string) {
	t, note := importer.Title(s)
	if t == "" {
		t = st.key
	}
	return t, note
}

func (mp *mapper) created(st *issueState, at time.Time) {
	f := st.is.Fields
	who := f.Reporter.Login()
	if who == "" {
		who = f.Creator.Login()
	}
	if who == "" {
		who = noAuthor
	}
	st.generation, st.status = 1, "pending"
	st.request = st.requestID()
	title, note := mp.title(st, st.title)
	why := st.why(who, at, "")
	if why == "" {
		why = importer.Text(f.Description, domain.MaxTextLen)
	}
	if why == "" {
		why = importer.WithLink("jira: "+st.key+" created", st.url)
	}
	mp.emit(st, who, who, at, "created", why, "", []importer.Fact{{Kind: domain.KindRequest, ID: st.request,
		Data: domain.RequestSubmitted{Title: title, Detail: note, Requester: mp.m.ActorID(who)}}}, nil, false)
}

func (mp *mapper) milestone(name string) importer.Milestone {
	return importer.Milestone{ID: importer.ItemID("M-", name), Name: name, Period: mp.m.ReleasePeriod(name)}
}

func (mp *mapper) kind(st *issueState) domain.ItemKind {
	t := st.is.Fields.IssueType
	switch {
	case t == nil:
		return domain.ItemStory
	case t.HierarchyLevel >= 1:
		return domain.ItemEpic
	case strings.EqualFold(t.Name, "bug"):
		return domain.ItemBug
	}
	return domain.ItemStory
}

func (mp *mapper) accept(st *issueState, release string) ([]importer.Fact, []importer.Milestone) {
	if !st.itemUsed {
		st.item, st.itemUsed = importer.ItemID("", st.key), true
	} else {
		st.item = fmt.Sprintf("%s-%d", importer.ItemID("", st.key), st.generation)
	}
	st.status = "accepted"
	title, note := mp.title(st, st.title)
	added := domain.BacklogItemAdded{Title: title, Kind: mp.kind(st), Detail: note, Request: st.request}
	var needs []importer.Milestone
	if release != "" {
		ms := mp.milestone(release)
		added.Roadmap, needs, st.release = ms.ID, []importer.Milestone{ms}, release
	}
	mp.order.Add(st.item, -1)
	return []importer.Fact{
		{Kind: domain.KindRequest, ID: st.request, Data: domain.RequestAccepted{Item: st.item}},
		{Kind: domain.KindItem, ID: st.item, Data: added},
	}, needs
}

// history plays one changelog entry: fix versions first (a version set
// with the resolution is the release it delivers into), then the rest in
// order, the resolution last.
func (mp *mapper) history(st *issueState, h History, at time.Time) {
	login, author := h.Author.Login(), h.Author.Login()
	if login == "" {
		login = noAuthor
	}
	var facts []importer.Fact
	var needs []importer.Milestone
	var reason domain.ReasonCode
	var meant []string
	slip := false
	var added, removed []string
	for _, it := range h.Items {
		if it.Field == "Fix Version" || it.FieldID == "fixVersions" {
			if v := str(it.ToString); v != "" {
				added = append(added, v)
			}
			if v := str(it.FromString); v != "" {
				removed = append(removed, v)
			}
		}
	}
	triggers := len(added) > 0
	for _, it := range h.Items {
		switch it.Field {
		case "assignee", "Sprint":
			triggers = triggers || str(it.To) != "" || str(it.ToString) != ""
		case "status":
			o := mp.m.Statuses[str(it.To)]
			triggers = triggers || o.Start || o.Accept || o.Deliver
		case "resolution":
			triggers = triggers || mp.m.Resolutions[str(it.To)].Deliver
		}
	}
	used := map[int]bool{}
	if st.undecided() && triggers {
		release := ""
		if len(added) > 0 {
			release = added[len(added)-1]
		}
		f, n := mp.accept(st, release)
		facts, needs = append(facts, f...), append(needs, n...)
		for i, it := range h.Items {
			if it.Field == "assignee" || it.Field == "Sprint" || it.Field == "Fix Version" || it.FieldID == "fixVersions" {
				used[i] = true
			}
		}
		meant = append(meant, "triaged")
	}
	// Fix versions as one move.
	if (len(added) > 0 || len(removed) > 0) && (st.open() || st.status == "delivered") && len(facts) == 0 {
		switch {
		case len(added) > 0:
			name := added[len(added)-1]
			if name != st.release {
				ms := mp.milestone(name)
				slip = st.release != ""
				meant = append(meant, fmt.Sprintf("fix version %q -> %q", st.release, name))
				st.release = name
				facts, needs = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRefined{Roadmap: ms.ID}}), append(needs, ms)
			}
		case st.release != "" && contains(removed, st.release):
			meant = append(meant, fmt.Sprintf("fix version %q cleared", st.release))
			facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemUnplanned{Roadmap: mp.milestone(st.release).ID}})
			st.release = ""
		}
		if len(facts) > 0 {
			for i, it := range h.Items {
				if it.Field == "Fix Version" || it.FieldID == "fixVersions" {
					used[i] = true
				}
			}
		}
	}
	var plan []int
	for i, it := range h.Items {
		if it.Field != "resolution" {
			plan = append(plan, i)
		}
	}
	for i, it := range h.Items {
		if it.Field == "resolution" {
			plan = append(plan, i)
		}
	}
	for _, i := range plan {
		it := h.Items[i]
		if used[i] {
			continue
		}
		before := len(facts)
		switch it.Field {
		case "priority":
			if rank, ok := mp.m.Rank(str(it.To)); ok && st.open() {
				facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item,
					Data: domain.BacklogItemRanked{Position: mp.order.Place(st.item, rank)}})
			}
		case "summary":
			if st.open() {
				title, _ := mp.title(st, str(it.ToString))
				facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRefined{Title: title}})
			}
			st.title = str(it.ToString)
		case "status":
			if o := mp.m.Statuses[str(it.To)]; o.Start && st.open() && !st.started {
				st.started = true
				facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item, Data: domain.WorkStarted{}})
			} else if o.Deliver && st.open() {
				facts = append(facts, mp.deliver(st)...)
			}
		case "resolution":
			var f []importer.Fact
			f, reason = mp.resolution(st, login, it)
			facts = append(facts, f...)
		}
		if len(facts) == before {
			mp.res.Skipped.Add(it.Field)
		} else {
			meant = append(meant, fmt.Sprintf("%s %q -> %q", it.Field, str(it.FromString), str(it.ToString)))
		}
	}
	if len(facts) == 0 {
		return
	}
	why := st.why(login, at, importer.WithLink("jira: "+strings.Join(meant, ", "), st.url))
	mp.emit(st, login, author, at, h.ID, why, reason, facts, needs, slip)
}

func (mp *mapper) deliver(st *issueState) []importer.Fact {
	st.status = "delivered"
	mp.order.Remove(st.item)
	return []importer.Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.WorkDelivered{Release: st.release}}}
}

func (mp *mapper) resolution(st *issueState, login string, it Item) ([]importer.Fact, domain.ReasonCode) {
	to := str(it.To)
	o := mp.m.Resolutions[to]
	switch {
	case to == "":
		switch st.status {
		case "delivered":
			st.status, st.started = "accepted", false
			mp.order.Add(st.item, -1)
			return []importer.Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.WorkReopened{Release: st.release}}}, ""
		case "rejected", "removed":
			old := st.request
			st.generation++
			st.request, st.status = st.requestID(), "pending"
			title, note := mp.title(st, st.title)
			return []importer.Fact{{Kind: domain.KindRequest, ID: st.request,
				Data: domain.RequestSubmitted{Title: title, Detail: note, Requester: mp.m.ActorID(login), Repeats: old}}}, ""
		}
	case o.Deliver && st.open():
		return mp.deliver(st), ""
	case o.Reject != "" && st.undecided():
		st.status = "rejected"
		return []importer.Fact{{Kind: domain.KindRequest, ID: st.request, Data: domain.RequestRejected{}}}, o.Reject
	case o.Reject != "" && st.open():
		st.status = "removed"
		mp.order.Remove(st.item)
		return []importer.Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRemoved{}}}, o.Reject
	case o.Defer && st.status == "pending":
		st.status = "deferred"
		return []importer.Fact{{Kind: domain.KindRequest, ID: st.request, Data: domain.RequestDeferred{}}}, ""
	}
	return nil, ""
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
