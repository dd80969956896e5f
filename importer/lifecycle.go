package importer

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// UnnamedActor is the actor of what the export says happened but not who
// did it: a request whose filing it does not record (a Bugzilla
// history-only export: filed before the issue's first change, by someone
// the export does not name), a change without an author. No role is ever
// granted to it, so what it did is observed outside any authority, as it
// should read; no name or date is invented for it.
const UnnamedActor = "unnamed"

// Run plays a format's issues through the one lifecycle every tracker
// shares and returns the decisions they record, in the order they were
// taken, and the changes with no ledger meaning, counted by field. The
// rules, written once for every format (docs/import.md):
//
//   - Filing submits a request, by whoever filed it, when; filing alone
//     accepts nothing. An issue whose filing the export does not record
//     is submitted at its first change by UnnamedActor.
//   - The request is accepted (into a backlog item, serving the
//     milestone's roadmap item, ranked by its priority) when the team
//     first takes it on: it is assigned to a person (not an inbox or
//     "nobody" address: Map.Assignable), its status starts work (Map
//     Statuses: ASSIGNED, IN_PROGRESS, Jira's "in progress" category), a
//     milestone, fix version or sprint is set, its priority is changed
//     from the default (Map.DefaultPriority, else the one it was filed
//     with), a priority label is added, or it is resolved as delivered
//     (FIXED). A triage milestone or label accepts, defers or rejects as
//     the map says.
//   - A deferring resolution (REMIND, LATER) defers a pending request; a
//     rejecting one rejects it, or removes the item it became.
//   - On the item: a priority change ranks it among the open items, a
//     milestone set, moved or cleared plans it into, moves it to (a slip)
//     or takes it off that release, a title change refines it, an epic or
//     parent change moves it under that epic, a status that starts work
//     starts it, a delivering resolution delivers it into its milestone; a
//     resolution cleared reopens a delivered item, or submits a rejected
//     request again, naming the old one.
//
// Within one change the acceptance comes first, the resolution last (a
// milestone set while resolving is the release it ships in). Run refuses
// an export that mixes projects unless the map names the ones to import.
func Run(system string, issues []Issue, m *Map) ([]Op, Skipped, error) {
	skipped := Skipped{}
	issues, err := m.selectProjects(issues, skipped)
	if err != nil {
		return nil, nil, err
	}
	lc := &lifecycle{system: system, m: m, skipped: skipped, order: &Order{}, names: map[string]string{}}
	type moment struct {
		at    time.Time
		issue int
		seq   int // -1 the filing
		ch    *Change
	}
	var all []moment
	states := make([]*issueState, len(issues))
	for i := range issues {
		is := &issues[i]
		sort.SliceStable(is.Changes, func(a, b int) bool {
			x, y := is.Changes[a], is.Changes[b]
			if !x.At.Equal(y.At) {
				return x.At.Before(y.At)
			}
			return x.Seq < y.Seq
		})
		if is.Filed == nil && len(is.Changes) == 0 {
			skipped.Add("issue without filing or history")
			continue
		}
		st := lc.newState(is)
		states[i] = st
		all = append(all, moment{at: st.filedAt, issue: i, seq: -1})
		for j := range is.Changes {
			all = append(all, moment{at: is.Changes[j].At, issue: i, seq: j, ch: &is.Changes[j]})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if a.issue != b.issue {
			return a.issue < b.issue
		}
		return a.seq < b.seq
	})
	for _, mo := range all {
		st := states[mo.issue]
		if mo.ch == nil {
			lc.file(st)
		} else {
			lc.change(st, mo.ch)
		}
	}
	for _, st := range states {
		if st == nil {
			continue
		}
		for _, c := range st.is.Comments {
			if !st.usedComments[c.ID] && !c.Description {
				skipped.Add("comment")
			}
		}
	}
	return lc.ops, skipped, nil
}

// selectProjects keeps the issues of the projects the map names, and
// refuses an export that mixes projects when it names none: one product
// is one project, and merging two silently would say one team decided
// what two did.
func (m *Map) selectProjects(issues []Issue, skipped Skipped) ([]Issue, error) {
	count := map[string]int{}
	for _, is := range issues {
		if is.Project != "" {
			count[is.Project]++
		}
	}
	if len(m.Projects) == 0 {
		if len(count) <= 1 {
			return issues, nil
		}
		keys := make([]string, 0, len(count))
		for k := range count {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s (%d issues)", k, count[k])
		}
		return nil, fmt.Errorf("the export mixes %d projects: %s; a product is one project: import each into its own product with a map file that names it, like {\"projects\": [%q]} with -p %s, or export one project at a time",
			len(keys), strings.Join(parts, ", "), keys[0], strings.ToLower(DeriveID(keys[0])))
	}
	want := map[string]bool{}
	for _, p := range m.Projects {
		want[p] = true
	}
	var out []Issue
	for _, is := range issues {
		if is.Project == "" || want[is.Project] {
			out = append(out, is)
			continue
		}
		skipped.Add("issue of another project")
	}
	return out, nil
}

type lifecycle struct {
	system  string
	m       *Map
	skipped Skipped
	order   *Order
	ops     []Op
	// names maps a display name to the login that took it first, so that
	// two people who show the same name keep two actor ids.
	names map[string]string
}

// issueState is one issue as the lifecycle has played it so far.
type issueState struct {
	is      *Issue
	filedAt time.Time
	values  map[Field]string // field values now
	deflt   string           // the default priority: the map's, else the filed one
	epic    string

	status     string // pending, deferred, accepted, delivered, rejected, removed
	generation int
	request    string
	item       string
	itemUsed   bool
	started    bool
	title      string

	usedComments map[string]bool
}

func (lc *lifecycle) newState(is *Issue) *issueState {
	st := &issueState{is: is, values: map[Field]string{}, usedComments: map[string]bool{}, title: is.Title, epic: is.Epic}
	for f, v := range is.Now {
		st.values[f] = v
	}
	// The value at filing is what the field's first change removed.
	seen := map[Field]bool{}
	for _, c := range is.Changes {
		for _, it := range c.Items {
			if it.Field != "" && !seen[it.Field] && it.Field != FieldLabel {
				seen[it.Field] = true
				st.values[it.Field] = it.From
				if it.Field == FieldTitle && it.name(false) != "" {
					st.title = it.name(false)
				}
				if it.Field == FieldEpic {
					st.epic = it.From
				}
			}
		}
	}
	st.deflt = lc.m.DefaultPriority
	if st.deflt == "" {
		st.deflt = st.values[FieldPriority]
	}
	if is.Filed != nil {
		st.filedAt = is.Filed.At
	} else {
		st.filedAt = is.Changes[0].At
	}
	return st
}

// actor is the ledger id of a tracker person; UnnamedActor for nobody.
func (lc *lifecycle) actor(p User) string {
	if strings.TrimSpace(p.Login) == "" && strings.TrimSpace(p.Name) == "" {
		return UnnamedActor
	}
	if p.Name != "" {
		if first, ok := lc.names[p.Name]; !ok {
			lc.names[p.Name] = p.Login
		} else if first != p.Login {
			// Two people show one name: the second keeps a login-derived
			// suffix.
			return lc.m.Actor(User{Login: p.Login, Name: p.Name + " " + shortHash(p.Login)})
		}
	}
	return lc.m.Actor(p)
}

func (st *issueState) requestID() string {
	base := ItemID(st.is.ItemPrefix, st.is.Key) + "-req"
	if st.generation <= 1 {
		return base
	}
	return fmt.Sprintf("%s%d", base, st.generation)
}

func (st *issueState) newItemID() string {
	if !st.itemUsed {
		st.itemUsed = true
		return ItemID(st.is.ItemPrefix, st.is.Key)
	}
	return fmt.Sprintf("%s-%d", ItemID(st.is.ItemPrefix, st.is.Key), st.generation)
}

func (st *issueState) undecided() bool { return st.status == "pending" || st.status == "deferred" }
func (st *issueState) open() bool      { return st.status == "accepted" }

// why is the comment who wrote at at, else the generated line.
func (st *issueState) why(who User, at time.Time, generated string) string {
	for _, c := range st.is.Comments {
		if c.Description || st.usedComments[c.ID] || c.By.Login != who.Login || !c.At.Equal(at) {
			continue
		}
		if text := Text(c.Text, domain.MaxTextLen); text != "" {
			st.usedComments[c.ID] = true
			return text
		}
	}
	return Text(generated, domain.MaxTextLen)
}

func (lc *lifecycle) title(st *issueState, s string) (string, string) {
	title, note := Title(s)
	if title == "" {
		title = strings.TrimSpace(st.is.ItemPrefix+st.is.Key) + " (no title)"
		if st.is.ItemPrefix == "BZ-" {
			title = "Bug " + st.is.Key
		} else if st.is.ItemPrefix == "GH-" {
			title = "Issue " + st.is.Key
		}
	}
	return title, note
}

func (lc *lifecycle) emit(st *issueState, who User, actor string, at time.Time, change, field, why string, reason domain.ReasonCode, facts []Fact, needs []Milestone, slip bool) {
	if len(facts) == 0 {
		return
	}
	lc.ops = append(lc.ops, Op{At: at, Actor: actor, Why: why, Reason: reason, Facts: facts, Needs: needs, Slip: slip,
		Field:  field,
		Source: domain.Source{System: lc.system, Key: st.is.Key, URL: st.is.URL, Change: change, Author: who.Login}})
}

// file submits the issue's request.
func (lc *lifecycle) file(st *issueState) {
	st.generation, st.status = 1, "pending"
	st.request = st.requestID()
	title, note := lc.title(st, st.title)
	f := st.is.Filed
	if f == nil {
		why := WithLink(fmt.Sprintf("%s: %s was filed before its first recorded change (%s), by someone the export does not name: the export holds its history only",
			lc.system, st.is.Key, st.filedAt.UTC().Format(time.RFC3339)), st.is.URL)
		field := ""
		if len(st.is.Changes) > 0 {
			field = st.is.Changes[0].Field
		}
		lc.emit(st, User{}, UnnamedActor, st.filedAt, "filed", field, why, "", []Fact{{Kind: domain.KindRequest, ID: st.request,
			Data: domain.RequestSubmitted{Title: title, Detail: note, Requester: UnnamedActor}}}, nil, false)
		return
	}
	why := Text(f.Why, domain.MaxTextLen)
	if why == "" {
		why = WithLink(fmt.Sprintf("%s: %s filed", lc.system, st.is.Key), st.is.URL)
	}
	actor := lc.actor(f.By)
	lc.emit(st, f.By, actor, f.At, "created", f.Field, why, "", []Fact{{Kind: domain.KindRequest, ID: st.request,
		Data: domain.RequestSubmitted{Title: title, Detail: note, Requester: actor}}}, nil, false)
}

// unset reports whether a field value means "not set".
func unset(v string) bool {
	switch strings.TrimSpace(v) {
	case "", "--", "---", "none", "None":
		return true
	}
	return false
}

// triage says whether it an item of a change takes the team on (it is
// the acceptance), and the outcome a triage value names.
func (lc *lifecycle) triage(st *issueState, it Item) (takesOn bool, o Outcome, named bool) {
	switch it.Field {
	case FieldAssignee:
		return !unset(it.To) && lc.m.Assignable(it.To), Outcome{}, false
	case FieldStatus:
		o := lc.m.Statuses[it.To]
		return o.Accept || o.Start, o, o.Deliver || o.Reject != "" || o.Defer
	case FieldMilestone:
		if o, ok := lc.m.Triage[it.To]; ok {
			return false, o, true
		}
		return !unset(it.To), Outcome{}, false
	case FieldSprint:
		return !unset(it.To), Outcome{}, false
	case FieldPriority:
		return !unset(it.To) && it.To != st.deflt, Outcome{}, false
	case FieldLabel:
		if _, ok := lc.m.Rank(it.To); ok {
			return true, Outcome{}, false
		}
		if o, ok := lc.m.Labels[it.To]; ok {
			return false, o, true
		}
	case FieldResolution:
		if o, ok := lc.m.Resolutions[it.To]; ok {
			return false, o, true
		}
	}
	return false, Outcome{}, false
}

// change plays one change.
func (lc *lifecycle) change(st *issueState, c *Change) {
	if st.status == "" {
		return // filed later than its first change: never (the filing sorts first)
	}
	who := c.By
	actor := lc.actor(who)
	next := map[Field]string{}
	for f, v := range st.values {
		next[f] = v
	}
	epic := st.epic
	title := st.title
	for _, it := range c.Items {
		switch it.Field {
		case "", FieldLabel:
		case FieldEpic:
			epic = it.To
			next[it.Field] = it.To
		case FieldTitle:
			title = it.name(true)
			next[it.Field] = it.To
		default:
			next[it.Field] = it.To
		}
	}
	var facts []Fact
	var needs []Milestone
	var reason domain.ReasonCode
	var meant []string
	slip := false
	used := map[int]bool{}
	// The acceptance: an undecided request the change takes on, or
	// delivers.
	if st.undecided() {
		take := false
		for i, it := range c.Items {
			t, o, _ := lc.triage(st, it)
			// An outcome that delivers takes the issue on, unless it rejects
			// what was never taken on (a GitHub close without a reason).
			if t || (o.Deliver && o.Reject == "") {
				take = true
				// A status that starts work is played after the acceptance
				// (the item starts); every other trigger is the acceptance.
				if t && !(it.Field == FieldStatus && o.Start) {
					used[i] = true
				}
				if t {
					meant = append(meant, lc.meaning(it))
				}
			}
		}
		if take {
			st.epic, st.title = epic, title
			f, n := lc.accept(st, next)
			facts, needs = append(facts, f...), append(needs, n...)
			for i, it := range c.Items {
				if it.Field == FieldMilestone || it.Field == FieldPriority || it.Field == FieldEpic || it.Field == FieldTitle || it.Field == FieldSprint {
					used[i] = true
				}
			}
		}
	}
	// The rest in order, the resolution last.
	var plan []int
	for i, it := range c.Items {
		if it.Field != FieldResolution {
			plan = append(plan, i)
		}
	}
	for i, it := range c.Items {
		if it.Field == FieldResolution {
			plan = append(plan, i)
		}
	}
	for _, i := range plan {
		it := c.Items[i]
		if used[i] {
			continue
		}
		before := len(facts)
		var r domain.ReasonCode
		facts, needs, slip, r = lc.item(st, who, actor, it, next, facts, needs, slip)
		if r != "" {
			reason = r
		}
		if len(facts) == before && !(st.undecided() && (it.Field == FieldTitle || it.Field == FieldEpic)) {
			// (A pending request's new title or epic is the item's once it
			// is accepted: remembered, not skipped.)
			raw := it.Raw
			if raw == "" {
				raw = string(it.Field)
			}
			lc.skipped.Add(raw)
		} else {
			meant = append(meant, lc.meaning(it))
		}
	}
	st.values = next
	if st.undecided() || st.status == "rejected" || st.status == "removed" {
		// A pending request's title and epic are the item's, once it is
		// accepted.
		st.title, st.epic = title, epic
	}
	if len(facts) == 0 {
		return
	}
	why := c.Why
	if why == "" {
		why = st.why(who, c.At, WithLink(lc.system+": "+strings.Join(meant, ", "), st.is.URL))
	}
	lc.emit(st, who, actor, c.At, c.ID, c.Field, Text(why, domain.MaxTextLen), reason, facts, needs, slip)
}

// meaning says what an item changed, for the generated why.
func (lc *lifecycle) meaning(it Item) string {
	name := it.Raw
	if name == "" {
		name = string(it.Field)
	}
	from, to := it.name(false), it.name(true)
	if it.Field == FieldLabel {
		return fmt.Sprintf("%s %q", name, to)
	}
	return fmt.Sprintf("%s %q -> %q", name, from, to)
}

// item plays one item of a change that the acceptance did not take.
func (lc *lifecycle) item(st *issueState, who User, actor string, it Item, next map[Field]string, facts []Fact, needs []Milestone, slip bool) ([]Fact, []Milestone, bool, domain.ReasonCode) {
	_, o, named := lc.triage(st, it)
	switch it.Field {
	case FieldPriority:
		if rank, ok := lc.m.Rank(it.To); ok && st.open() {
			facts = append(facts, Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRanked{Position: lc.order.Place(st.item, rank)}})
		}
	case FieldLabel:
		if rank, ok := lc.m.Rank(it.To); ok && st.open() {
			facts = append(facts, Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRanked{Position: lc.order.Place(st.item, rank)}})
		} else if named {
			f, r := lc.outcome(st, o, next)
			return append(facts, f...), needs, slip, r
		}
	case FieldMilestone:
		if named {
			f, r := lc.outcome(st, o, next)
			return append(facts, f...), needs, slip, r
		}
		if !st.open() && st.status != "delivered" {
			break
		}
		old := st.values[FieldMilestone]
		if _, triage := lc.m.Triage[old]; triage {
			old = ""
		}
		switch {
		case !unset(it.To) && it.To != old:
			ms := lc.milestone(it.To)
			needs = append(needs, ms)
			facts = append(facts, Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRefined{Roadmap: ms.ID}})
			slip = slip || !unset(old)
		case unset(it.To) && !unset(old) && (unset(it.From) || it.From == old):
			facts = append(facts, Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemUnplanned{Roadmap: lc.milestone(old).ID}})
		}
	case FieldEpic:
		// Like the title, the epic refines an open item; a delivered one
		// keeps the epic it shipped under.
		if st.open() && it.To != st.epic {
			epic := ""
			if !unset(it.To) {
				epic = ItemID(st.is.ItemPrefix, it.To)
			}
			st.epic = it.To
			facts = append(facts, Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemReparented{Epic: epic}})
		}
	case FieldTitle:
		if st.open() {
			title, _ := lc.title(st, it.name(true))
			facts = append(facts, Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRefined{Title: title}})
			st.title = it.name(true)
		}
	case FieldStatus:
		switch {
		case o.Start && st.open() && !st.started:
			st.started = true
			facts = append(facts, Fact{Kind: domain.KindItem, ID: st.item, Data: domain.WorkStarted{}})
		case o.Deliver && st.open():
			facts = append(facts, lc.deliver(st, next)...)
		case (o.Reject != "" || o.Defer) && !o.Deliver:
			f, r := lc.outcome(st, o, next)
			return append(facts, f...), needs, slip, r
		}
	case FieldResolution:
		if unset(it.To) {
			return append(facts, lc.reopen(st, who, actor, next)...), needs, slip, ""
		}
		if named {
			f, r := lc.outcome(st, o, next)
			return append(facts, f...), needs, slip, r
		}
	}
	return facts, needs, slip, ""
}

// outcome applies what a resolution, triage state, label or status means.
func (lc *lifecycle) outcome(st *issueState, o Outcome, values map[Field]string) ([]Fact, domain.ReasonCode) {
	switch {
	case o.Deliver && st.open():
		// Delivering comes first: an outcome that both delivers and
		// rejects (a GitHub close without a reason) delivers an item taken
		// on and rejects a request never taken on.
		return lc.deliver(st, values), ""
	case o.Reject != "" && st.undecided():
		st.status = "rejected"
		return []Fact{{Kind: domain.KindRequest, ID: st.request, Data: domain.RequestRejected{}}}, o.Reject
	case o.Reject != "" && st.open():
		st.status = "removed"
		lc.order.Remove(st.item)
		return []Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRemoved{}}}, o.Reject
	case o.Defer && st.status == "pending":
		st.status = "deferred"
		return []Fact{{Kind: domain.KindRequest, ID: st.request, Data: domain.RequestDeferred{}}}, ""
	case (o.Accept || o.Start) && st.undecided():
		f, _ := lc.accept(st, values)
		return f, ""
	}
	return nil, ""
}

func (lc *lifecycle) milestone(name string) Milestone {
	return Milestone{ID: ItemID("M-", name), Name: name, Period: lc.m.ReleasePeriod(name)}
}

// release is the release an item ships in: its milestone, unless that is
// a triage state.
func (lc *lifecycle) release(values map[Field]string) string {
	ms := values[FieldMilestone]
	if _, triage := lc.m.Triage[ms]; triage || unset(ms) {
		return ""
	}
	return ms
}

// accept accepts the undecided request into a new item with values.
func (lc *lifecycle) accept(st *issueState, values map[Field]string) ([]Fact, []Milestone) {
	st.item = st.newItemID()
	st.status, st.started = "accepted", false
	kind := st.is.Kind
	if kind == "" {
		kind = domain.ItemBug
	}
	title, note := lc.title(st, st.title)
	added := domain.BacklogItemAdded{Title: title, Kind: kind, Detail: note, Request: st.request}
	if !unset(st.epic) && kind != domain.ItemEpic {
		added.Epic = ItemID(st.is.ItemPrefix, st.epic)
	}
	var needs []Milestone
	if ms := lc.release(values); ms != "" {
		m := lc.milestone(ms)
		added.Roadmap, needs = m.ID, []Milestone{m}
	}
	facts := []Fact{
		{Kind: domain.KindRequest, ID: st.request, Data: domain.RequestAccepted{Item: st.item}},
		{Kind: domain.KindItem, ID: st.item, Data: added},
	}
	lc.order.Add(st.item, -1)
	if rank, ok := lc.m.Rank(values[FieldPriority]); ok {
		facts = append(facts, Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRanked{Position: lc.order.Place(st.item, rank)}})
	}
	return facts, needs
}

func (lc *lifecycle) deliver(st *issueState, values map[Field]string) []Fact {
	st.status = "delivered"
	lc.order.Remove(st.item)
	return []Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.WorkDelivered{Release: lc.release(values)}}}
}

// reopen plays a resolution cleared: a delivered item back in the
// backlog, or a rejected request submitted again.
func (lc *lifecycle) reopen(st *issueState, who User, actor string, values map[Field]string) []Fact {
	switch st.status {
	case "delivered":
		st.status, st.started = "accepted", false
		lc.order.Add(st.item, -1)
		facts := []Fact{{Kind: domain.KindItem, ID: st.item, Data: domain.WorkReopened{Release: lc.release(st.values)}}}
		if rank, ok := lc.m.Rank(values[FieldPriority]); ok {
			facts = append(facts, Fact{Kind: domain.KindItem, ID: st.item, Data: domain.BacklogItemRanked{Position: lc.order.Place(st.item, rank)}})
		}
		return facts
	case "rejected", "removed":
		old := st.request
		st.generation++
		st.request, st.status = st.requestID(), "pending"
		title, note := lc.title(st, st.title)
		return []Fact{{Kind: domain.KindRequest, ID: st.request,
			Data: domain.RequestSubmitted{Title: title, Detail: note, Requester: actor, Repeats: old}}}
	}
	return nil
}
