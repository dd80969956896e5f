package github

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
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
	Rename *struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"rename"`
	// Issue is set in the repository-wide events list.
	Issue *Issue `json:"issue,omitempty"`
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
			seen := map[int64]bool{}
			for _, e := range issues[j].Events {
				seen[e.ID] = true
			}
			events := issues[j].Events
			issues[j] = is
			for _, e := range events {
				if !slices.ContainsFunc(is.Events, func(x Event) bool { return x.ID == e.ID }) {
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

// Defaults is the default GitHub mapping: a milestone is a release, closing
// an accepted issue delivers it, closing one never triaged (or as
// not_planned) rejects it, marked_as_duplicate rejects as duplicate.
func Defaults() importer.Map {
	return importer.Map{URL: "https://github.com"}
}

// Result is what an export maps to.
type Result struct {
	Ops     []importer.Op
	Skipped importer.Skipped
}

type moment struct {
	at    time.Time
	issue int
	order int // -1 creation
}

type issueState struct {
	is         *Issue
	key, url   string
	status     string // pending, deferred, accepted, delivered, rejected, removed
	generation int
	request    string
	item       string
	itemUsed   bool
	release    string // the release milestone the item serves
	title      string
}

// Map maps issues to ops, one state machine per issue over its creation
// and events sorted by instant, then issue, then source order (see
// docs/import.md for the table).
func Map(issues []Issue, m *importer.Map) (Result, error) {
	res := Result{Skipped: importer.Skipped{}}
	var all []moment
	states := make([]*issueState, len(issues))
	for i := range issues {
		is := &issues[i]
		created, err := time.Parse(time.RFC3339, is.CreatedAt)
		if err != nil {
			return Result{}, fmt.Errorf("issue %d: created_at: %w", is.Number, err)
		}
		all = append(all, moment{at: created, issue: i, order: -1})
		for j, e := range is.Events {
			at, err := time.Parse(time.RFC3339, e.CreatedAt)
			if err != nil {
				return Result{}, fmt.Errorf("issue %d event %d: created_at: %w", is.Number, e.ID, err)
			}
			all = append(all, moment{at: at, issue: i, order: j})
		}
		st := &issueState{is: is, key: strconv.Itoa(is.Number), url: is.HTMLURL, title: is.Title}
		// The title at creation is what the first rename renamed.
		for _, e := range is.Events {
			if e.Event == "renamed" && e.Rename != nil {
				st.title = e.Rename.From
				break
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
		return a.order < b.order
	})
	mp := &mapper{m: m, res: &res, order: &importer.Order{}}
	for _, mo := range all {
		st := states[mo.issue]
		if mo.order < 0 {
			mp.created(st, mo.at)
		} else {
			mp.event(st, st.is.Events[mo.order], mo.at)
		}
	}
	return res, nil
}

type mapper struct {
	m     *importer.Map
	res   *Result
	order *importer.Order
}

func login(u *User) string {
	if u == nil || u.Login == "" {
		return "ghost" // GitHub's name for a deleted account
	}
	return u.Login
}

func (st *issueState) requestID() string {
	if st.generation <= 1 {
		return importer.ItemID("GH-", st.key) + "-req"
	}
	return fmt.Sprintf("%s-req%d", importer.ItemID("GH-", st.key), st.generation)
}

func (st *issueState) undecided() bool { return st.status == "pending" || st.status == "deferred" }
func (st *issueState) open() bool      { return st.status == "accepted" }

func (mp *mapper) emit(st *issueState, who string, at time.Time, change string, why string, reason domain.ReasonCode, facts []importer.Fact, needs []importer.Milestone, slip bool) {
	if len(facts) == 0 {
		return
	}
	mp.res.Ops = append(mp.res.Ops, importer.Op{At: at, Actor: mp.m.ActorID(who), Why: importer.Text(why, domain.MaxTextLen),
		Reason: reason, Facts: facts, Needs: needs, Slip: slip,
		Field:  importer.DatedBy(change, "created_at", "events[].created_at"),
		Source: domain.Source{System: System, Key: st.key, URL: st.url, Change: change, Author: who}})
}

func (mp *mapper) title(st *issueState, s string) (string, string) {
	t, note := importer.Title(s)
	if t == "" {
		t = "Issue " + st.key
	}
	return t, note
}

func (mp *mapper) created(st *issueState, at time.Time) {
	who := login(st.is.User)
	st.generation, st.status = 1, "pending"
	st.request = st.requestID()
	title, note := mp.title(st, st.title)
	why := st.is.Body
	if strings.TrimSpace(importer.Clean(why)) == "" {
		why = importer.WithLink("github: issue "+st.key+" opened", st.url)
	}
	mp.emit(st, who, at, "created", why, "", []importer.Fact{{Kind: domain.KindRequest, ID: st.request,
		Data: domain.RequestSubmitted{Title: title, Detail: note, Requester: mp.m.ActorID(who)}}}, nil, false)
}

func (mp *mapper) milestone(name string) importer.Milestone {
	return importer.Milestone{ID: importer.ItemID("M-", name), Name: name, Period: mp.m.ReleasePeriod(name)}
}

// accept accepts the pending request into a new item.
func (mp *mapper) accept(st *issueState, release string) ([]importer.Fact, []importer.Milestone) {
	if !st.itemUsed {
		st.item, st.itemUsed = importer.ItemID("GH-", st.key), true
	} else {
		st.item = fmt.Sprintf("%s-%d", importer.ItemID("GH-", st.key), st.generation)
	}
	st.status = "accepted"
	title, note := mp.title(st, st.title)
	added := domain.BacklogItemAdded{Title: title, Kind: domain.ItemBug, Detail: note, Request: st.request}
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

// outcome applies what a triage milestone or a label means.
func (mp *mapper) outcome(st *issueState, o importer.Outcome) ([]importer.Fact, domain.ReasonCode) {
	switch {
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
	case (o.Accept || o.Start) && st.undecided():
		f, _ := mp.accept(st, "")
		return f, ""
	case o.Deliver && st.open():
		return mp.deliver(st), ""
	}
	return nil, ""
}

func (mp *mapper) deliver(st *issueState) []importer.Fact {
	st.status = "delivered"
	mp.order.Remove(st.item)
	return []importer.Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.WorkDelivered{Release: st.release}}}
}

// event plays one issue event.
func (mp *mapper) event(st *issueState, e Event, at time.Time) {
	who := login(e.Actor)
	var facts []importer.Fact
	var needs []importer.Milestone
	var reason domain.ReasonCode
	slip := false
	what := e.Event
	switch e.Event {
	case "milestoned":
		if e.Milestone == nil {
			break
		}
		name := e.Milestone.Title
		what += " " + strconv.Quote(name)
		if o, triage := mp.m.Triage[name]; triage {
			facts, reason = mp.outcome(st, o)
			break
		}
		switch {
		case st.undecided():
			facts, needs = mp.accept(st, name)
		case st.open() || st.status == "delivered":
			ms := mp.milestone(name)
			slip = st.release != "" && st.release != name
			st.release = name
			facts, needs = []importer.Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRefined{Roadmap: ms.ID}}}, []importer.Milestone{ms}
		}
	case "demilestoned":
		if e.Milestone == nil {
			break
		}
		what += " " + strconv.Quote(e.Milestone.Title)
		if st.release == e.Milestone.Title && (st.open() || st.status == "delivered") {
			facts = []importer.Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemUnplanned{Roadmap: mp.milestone(st.release).ID}}}
			st.release = ""
		}
	case "labeled":
		if e.Label == nil {
			break
		}
		name := e.Label.Name
		what += " " + strconv.Quote(name)
		if rank, ok := mp.m.Rank(name); ok {
			if st.undecided() {
				facts, _ = mp.accept(st, "")
			}
			if st.open() {
				facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item,
					Data: domain.BacklogItemRanked{Position: mp.order.Place(st.item, rank)}})
			}
			break
		}
		if o, ok := mp.m.Labels[name]; ok {
			facts, reason = mp.outcome(st, o)
		}
	case "assigned":
		if st.undecided() {
			facts, _ = mp.accept(st, "")
		}
	case "renamed":
		if e.Rename != nil && st.open() {
			title, _ := mp.title(st, e.Rename.To)
			facts = []importer.Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRefined{Title: title}}}
		}
		if e.Rename != nil {
			st.title = e.Rename.To
		}
	case "closed":
		switch {
		case st.open() && e.StateReason != "not_planned":
			facts = mp.deliver(st)
		case st.open():
			facts, reason = mp.outcome(st, importer.Outcome{Reject: domain.ReasonOutOfScope})
		case st.undecided() && e.StateReason == "not_planned":
			facts, reason = mp.outcome(st, importer.Outcome{Reject: domain.ReasonOutOfScope})
		case st.undecided():
			facts, reason = mp.outcome(st, importer.Outcome{Reject: domain.ReasonOther})
		}
	case "marked_as_duplicate":
		facts, reason = mp.outcome(st, importer.Outcome{Reject: domain.ReasonDuplicate})
	case "reopened":
		switch st.status {
		case "delivered":
			st.status = "accepted"
			mp.order.Add(st.item, -1)
			facts = []importer.Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.WorkReopened{Release: st.release}}}
		case "rejected", "removed":
			old := st.request
			st.generation++
			st.request, st.status = st.requestID(), "pending"
			title, note := mp.title(st, st.title)
			facts = []importer.Fact{{Kind: domain.KindRequest, ID: st.request,
				Data: domain.RequestSubmitted{Title: title, Detail: note, Requester: mp.m.ActorID(who), Repeats: old}}}
		}
	}
	if len(facts) == 0 {
		mp.res.Skipped.Add(e.Event)
		return
	}
	why := importer.WithLink(fmt.Sprintf("github: %s by %s", what, who), st.url)
	mp.emit(st, who, at, strconv.FormatInt(e.ID, 10), why, reason, facts, needs, slip)
}

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
				if !seen[e.ID] {
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
