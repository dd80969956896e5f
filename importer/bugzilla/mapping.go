package bugzilla

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer"
)

// System is the source system name of Bugzilla imports.
const System = "bugzilla"

// noMilestone and noPriority are Bugzilla's "not set" values.
const (
	noMilestone = "---"
	noPriority  = "--"
)

// Defaults is the default Bugzilla mapping (docs/import.md): P1 to P5
// order the backlog, FIXED delivers, WONTFIX, INVALID, DUPLICATE,
// WORKSFORME, INCOMPLETE, MOVED and EXPIRED reject, LATER and REMIND defer.
func Defaults() importer.Map {
	return importer.Map{
		URL:        "https://bugzilla.mozilla.org",
		Priorities: []string{"P1", "P2", "P3", "P4", "P5"},
		Unassigned: []string{"nobody@mozilla.org"},
		Resolutions: map[string]importer.Outcome{
			"FIXED":      {Deliver: true},
			"WONTFIX":    {Reject: domain.ReasonOutOfScope},
			"INVALID":    {Reject: domain.ReasonNotFeasible},
			"DUPLICATE":  {Reject: domain.ReasonDuplicate},
			"WORKSFORME": {Reject: domain.ReasonOther},
			"INCOMPLETE": {Reject: domain.ReasonOther},
			"MOVED":      {Reject: domain.ReasonOther},
			"EXPIRED":    {Reject: domain.ReasonOther},
			"LATER":      {Defer: true},
			"REMIND":     {Defer: true},
		},
	}
}

// Result is what an export maps to.
type Result struct {
	Ops     []importer.Op
	Skipped importer.Skipped
}

// change is one moment of one bug: its creation or a history entry.
type change struct {
	at    time.Time
	bug   int // index in the export
	order int // -1 creation, else the history entry's index
	h     History
}

// Map maps bugs to ops. Every bug's creation and history entries are
// sorted by instant, then by bug (its place in the export), then by
// source order, and played through one state machine per bug:
//
//   - created: a request submitted by the creator (title, first comment);
//   - first triage (assigned to someone real, a milestone or a priority
//     set, status ASSIGNED, or FIXED before any of these): the request
//     accepted into a backlog item (kind story for an enhancement, else
//     bug), serving the milestone's roadmap item, ranked by its priority;
//   - priority changed: the item ranked among the open items by priority;
//   - milestone set, changed, cleared (on an open or delivered item): the
//     item moved to, moved to (a slip) or taken off that milestone's
//     roadmap item; in one history entry, before its resolution, which
//     delivers into the milestone set with it;
//   - summary changed: the item refined;
//   - a delivering resolution: work delivered (release = the milestone);
//   - a rejecting resolution: the request rejected, or the item removed
//     when it was accepted; a deferring one: the request deferred;
//   - resolution cleared: after delivery the item reopened; after a
//     rejection or removal the request submitted again, naming the old
//     one.
//
// Everything else is counted in Skipped by field, comments that are no
// change's why as "comment".
func Map(bugs []Bug, m *importer.Map) (Result, error) {
	res := Result{Skipped: importer.Skipped{}}
	var all []change
	states := make([]*bugState, len(bugs))
	for i := range bugs {
		b := &bugs[i]
		created, err := parseTime(b.CreationTime)
		if err != nil {
			return Result{}, fmt.Errorf("bug %d: creation_time: %w", b.ID, err)
		}
		all = append(all, change{at: created, bug: i, order: -1})
		for j, h := range b.History {
			at, err := parseTime(h.When)
			if err != nil {
				return Result{}, fmt.Errorf("bug %d: history entry %d: %w", b.ID, j, err)
			}
			all = append(all, change{at: at, bug: i, order: j, h: h})
		}
		states[i] = newBugState(b, m)
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if a.bug != b.bug {
			return a.bug < b.bug
		}
		return a.order < b.order
	})
	mp := &mapper{m: m, res: &res, order: &importer.Order{}}
	for _, c := range all {
		st := states[c.bug]
		if c.order < 0 {
			mp.created(st, c.at)
		} else {
			mp.history(st, c)
		}
	}
	for _, st := range states {
		for _, c := range st.bug.Comments {
			if !st.usedComments[c.ID] && c.Count != 0 {
				res.Skipped.Add("comment")
			}
		}
	}
	return res, nil
}

// bugState is one bug as the import has played it so far.
type bugState struct {
	bug     *Bug
	key     string
	url     string
	initial map[string]string // field values at creation
	fields  map[string]string // field values now

	status     string // pending, accepted, delivered, rejected, removed, deferred
	generation int    // requests submitted so far
	request    string // current request id
	item       string // current item id ("" before the first acceptance)
	itemUsed   bool   // the base item id is taken

	usedComments map[int]bool
	comments     map[string][]Comment // by author and time
}

func newBugState(b *Bug, m *importer.Map) *bugState {
	st := &bugState{bug: b, key: key(b.ID), initial: map[string]string{}, fields: map[string]string{},
		usedComments: map[int]bool{}, comments: map[string][]Comment{}}
	st.url = m.URL + "/show_bug.cgi?id=" + st.key
	current := map[string]string{"priority": b.Priority, "target_milestone": b.TargetMilestone,
		"assigned_to": b.AssignedTo, "status": b.Status, "resolution": b.Resolution, "summary": b.Summary}
	for f, v := range current {
		st.initial[f] = v
	}
	// The history may be unsorted: the value at creation is what the
	// earliest change of the field removed.
	for f := range current {
		var first *time.Time
		for _, h := range b.History {
			at, err := parseTime(h.When)
			if err != nil {
				continue
			}
			for _, c := range h.Changes {
				if c.FieldName == f && (first == nil || at.Before(*first)) {
					t := at
					first = &t
					st.initial[f] = c.Removed
				}
			}
		}
	}
	for f, v := range st.initial {
		st.fields[f] = v
	}
	for _, c := range b.Comments {
		at, err := parseTime(c.CreationTime)
		if err != nil {
			continue
		}
		if c.Author == "" && c.Count == 0 {
			// Exports may leave out the author of the description:
			// comment 0 is the reporter's.
			c.Author = b.Creator
		}
		k := c.Author + "\x00" + at.Format(time.RFC3339Nano)
		st.comments[k] = append(st.comments[k], c)
	}
	return st
}

type mapper struct {
	m     *importer.Map
	res   *Result
	order *importer.Order
}

func (st *bugState) requestID() string {
	if st.generation <= 1 {
		return importer.ItemID("BZ-", st.key) + "-req"
	}
	return fmt.Sprintf("%s-req%d", importer.ItemID("BZ-", st.key), st.generation)
}

func (st *bugState) newItemID() string {
	if !st.itemUsed {
		st.itemUsed = true
		return importer.ItemID("BZ-", st.key)
	}
	return fmt.Sprintf("%s-%d", importer.ItemID("BZ-", st.key), st.generation)
}

func (st *bugState) open() bool { return st.status == "accepted" }

func (st *bugState) undecided() bool { return st.status == "pending" || st.status == "deferred" }

// why is the comment who wrote at at, else the generated line.
func (st *bugState) why(who string, at time.Time, generated string) string {
	for _, c := range st.comments[who+"\x00"+at.Format(time.RFC3339Nano)] {
		if st.usedComments[c.ID] {
			continue
		}
		if text := importer.Text(c.Text, domain.MaxTextLen); text != "" {
			st.usedComments[c.ID] = true
			return text
		}
	}
	return importer.Text(generated, domain.MaxTextLen)
}

func (mp *mapper) milestone(name string) importer.Milestone {
	return importer.Milestone{ID: importer.ItemID("M-", name), Name: name, Period: mp.m.ReleasePeriod(name)}
}

func (mp *mapper) assigned(login string) bool {
	return login != "" && !slices.Contains(mp.m.Unassigned, login)
}

func (mp *mapper) emit(st *bugState, who string, at time.Time, change string, part int, why string, reason domain.ReasonCode, facts []importer.Fact, needs []importer.Milestone, slip bool) {
	if len(facts) == 0 {
		return
	}
	mp.res.Ops = append(mp.res.Ops, importer.Op{At: at, Actor: mp.m.ActorID(who), Why: why, Reason: reason, Facts: facts,
		Needs: needs, Slip: slip, Part: part,
		Field:  importer.DatedBy(change, "creation_time", "history[].when"),
		Source: domain.Source{System: System, Key: st.key, URL: st.url, Change: change, Author: who}})
}

// created submits the bug's request, and accepts it at once when the bug
// was filed already triaged.
func (mp *mapper) created(st *bugState, at time.Time) {
	b := st.bug
	st.generation, st.status = 1, "pending"
	st.request = st.requestID()
	title, note := mp.title(st, st.initial["summary"])
	why := st.why(b.Creator, at, importer.WithLink(fmt.Sprintf("bugzilla: bug %s filed", st.key), st.url))
	mp.emit(st, b.Creator, at, "created", 0, why, "", []importer.Fact{{Kind: domain.KindRequest, ID: st.request,
		Data: domain.RequestSubmitted{Title: title, Detail: note, Requester: mp.m.ActorID(b.Creator)}}}, nil, false)
	ms, prio, who := st.initial["target_milestone"], st.initial["priority"], st.initial["assigned_to"]
	_, ranked := mp.m.Rank(prio)
	if ms != noMilestone && ms != "" || ranked || mp.assigned(who) {
		facts, needs := mp.accept(st, st.fields)
		mp.emit(st, b.Creator, at, "created", 1, importer.WithLink(fmt.Sprintf("bugzilla: bug %s filed triaged: priority %q, target_milestone %q, assigned_to %q", st.key, prio, ms, who), st.url), "", facts, needs, false)
	}
}

func (mp *mapper) title(st *bugState, s string) (string, string) {
	title, note := importer.Title(s)
	if title == "" {
		title = "Bug " + st.key
	}
	return title, note
}

// accept accepts the pending request into a new item with fields' values.
func (mp *mapper) accept(st *bugState, fields map[string]string) ([]importer.Fact, []importer.Milestone) {
	st.item = st.newItemID()
	st.status = "accepted"
	kind := domain.ItemBug
	if t := strings.ToLower(st.bug.Type); t == "enhancement" || t == "task" || strings.EqualFold(st.bug.Severity, "enhancement") {
		kind = domain.ItemStory
	}
	title, note := mp.title(st, fields["summary"])
	added := domain.BacklogItemAdded{Title: title, Kind: kind, Detail: note, Request: st.request}
	var needs []importer.Milestone
	if ms := fields["target_milestone"]; ms != noMilestone && ms != "" {
		m := mp.milestone(ms)
		added.Roadmap, needs = m.ID, []importer.Milestone{m}
	}
	facts := []importer.Fact{
		{Kind: domain.KindRequest, ID: st.request, Data: domain.RequestAccepted{Item: st.item}},
		{Kind: domain.KindItem, ID: st.item, Data: added},
	}
	mp.order.Add(st.item, -1)
	if rank, ok := mp.m.Rank(fields["priority"]); ok {
		facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item,
			Data: domain.BacklogItemRanked{Position: mp.order.Place(st.item, rank)}})
	}
	return facts, needs
}

// history plays one history entry.
func (mp *mapper) history(st *bugState, c change) {
	who := c.h.Who
	next := map[string]string{}
	for f, v := range st.fields {
		next[f] = v
	}
	for _, ch := range c.h.Changes {
		next[ch.FieldName] = ch.Added
	}
	var facts []importer.Fact
	var needs []importer.Milestone
	var reason domain.ReasonCode
	var meant []string
	slip := false
	used := map[int]bool{}
	if st.undecided() {
		trigger := false
		for i, ch := range c.h.Changes {
			_, ranked := mp.m.Rank(ch.Added)
			hit := false
			switch ch.FieldName {
			case "target_milestone":
				hit = ch.Added != noMilestone && ch.Added != ""
			case "priority":
				hit = ranked
			case "assigned_to":
				hit = mp.assigned(ch.Added)
			case "status":
				hit = ch.Added == "ASSIGNED" || ch.Added == "IN_PROGRESS"
			case "resolution":
				hit = mp.m.Resolutions[ch.Added].Deliver
				if hit {
					continue // the delivery itself follows the acceptance
				}
			}
			if hit {
				trigger, used[i] = true, true
				meant = append(meant, fmt.Sprintf("%s %q -> %q", ch.FieldName, ch.Removed, ch.Added))
			}
		}
		if trigger || slices.ContainsFunc(c.h.Changes, func(ch Change) bool {
			return ch.FieldName == "resolution" && mp.m.Resolutions[ch.Added].Deliver
		}) {
			f, n := mp.accept(st, next)
			facts, needs = append(facts, f...), append(needs, n...)
		}
	}
	// The resolution comes last: a milestone set in the same entry is the
	// release the resolution delivers.
	var plan []int
	for i, ch := range c.h.Changes {
		if ch.FieldName != "resolution" {
			plan = append(plan, i)
		}
	}
	for i, ch := range c.h.Changes {
		if ch.FieldName == "resolution" {
			plan = append(plan, i)
		}
	}
	for _, i := range plan {
		ch := c.h.Changes[i]
		if used[i] {
			continue
		}
		before := len(facts)
		switch ch.FieldName {
		case "priority":
			if rank, ok := mp.m.Rank(ch.Added); ok && st.open() {
				facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item,
					Data: domain.BacklogItemRanked{Position: mp.order.Place(st.item, rank)}})
			}
		case "target_milestone":
			if !st.open() && st.status != "delivered" {
				break
			}
			old, now := st.fields["target_milestone"], ch.Added
			switch {
			case now != noMilestone && now != "":
				m := mp.milestone(now)
				needs = append(needs, m)
				facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRefined{Roadmap: m.ID}})
				slip = slip || (old != noMilestone && old != "")
			case old != noMilestone && old != "":
				facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item,
					Data: domain.BacklogItemUnplanned{Roadmap: mp.milestone(old).ID}})
			}
		case "summary":
			if st.open() {
				title, _ := mp.title(st, ch.Added)
				facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRefined{Title: title}})
			}
		case "resolution":
			facts, reason = mp.resolution(st, who, ch, next, facts, reason)
		}
		if len(facts) == before {
			mp.res.Skipped.Add(ch.FieldName)
		} else {
			meant = append(meant, fmt.Sprintf("%s %q -> %q", ch.FieldName, ch.Removed, ch.Added))
		}
	}
	st.fields = next
	if len(facts) == 0 {
		return
	}
	why := st.why(who, c.at, importer.WithLink("bugzilla: "+strings.Join(meant, ", "), st.url))
	mp.emit(st, who, c.at, c.h.When, 0, why, reason, facts, needs, slip)
}

// resolution plays a resolution change.
func (mp *mapper) resolution(st *bugState, who string, ch Change, next map[string]string, facts []importer.Fact, reason domain.ReasonCode) ([]importer.Fact, domain.ReasonCode) {
	out := mp.m.Resolutions[ch.Added]
	switch {
	case ch.Added == "":
		switch st.status {
		case "delivered":
			st.status = "accepted"
			mp.order.Add(st.item, -1)
			facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item, Data: domain.WorkReopened{Release: release(st.fields["target_milestone"])}})
			if rank, ok := mp.m.Rank(next["priority"]); ok {
				facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item,
					Data: domain.BacklogItemRanked{Position: mp.order.Place(st.item, rank)}})
			}
		case "rejected", "removed":
			old := st.request
			st.generation++
			st.request, st.status = st.requestID(), "pending"
			title, note := mp.title(st, next["summary"])
			facts = append(facts, importer.Fact{Kind: domain.KindRequest, ID: st.request,
				Data: domain.RequestSubmitted{Title: title, Detail: note, Requester: mp.m.ActorID(who), Repeats: old}})
		}
	case out.Deliver && st.open():
		st.status = "delivered"
		mp.order.Remove(st.item)
		facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item, Data: domain.WorkDelivered{Release: release(next["target_milestone"])}})
	case out.Reject != "" && st.undecided():
		st.status, reason = "rejected", out.Reject
		facts = append(facts, importer.Fact{Kind: domain.KindRequest, ID: st.request, Data: domain.RequestRejected{}})
	case out.Reject != "" && st.open():
		st.status, reason = "removed", out.Reject
		mp.order.Remove(st.item)
		facts = append(facts, importer.Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRemoved{}})
	case out.Defer && st.status == "pending":
		st.status = "deferred"
		facts = append(facts, importer.Fact{Kind: domain.KindRequest, ID: st.request, Data: domain.RequestDeferred{}})
	}
	return facts, reason
}

func release(milestone string) string {
	if milestone == noMilestone {
		return ""
	}
	return milestone
}
