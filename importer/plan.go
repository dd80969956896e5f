package importer

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// Step is one decision to record: an ordinary command (the product, its
// roles) decided by domain.Decide, or an observation whose events
// domain.Observe checks and completes. CommandID makes it idempotent.
type Step struct {
	CommandID string
	At        time.Time
	Command   *domain.Command
	Events    []domain.Event
	// Source names the change the step records, for messages.
	Source domain.Source
	// Dated says where At comes from ("github issue 12, events[].created_at
	// of change 345"), for the message that refuses a time in the future.
	Dated string
}

// Plan turns a format's ops into the steps that record them in product,
// in order: the product (created by the map's importer, who is its PM,
// with the map's first PO, or the importer as PO too), the map's roles as
// role decisions by the importer when they begin and end, every other
// actor assigned stakeholder before their first decision, each
// milestone's roadmap item planned by the importer when first needed, and
// each op as an observation. It also works out the summary under the
// map's roles. Ops must be in time order; Plan sorts them stably by time
// to be sure.
func Plan(system, product string, m *Map, ops []Op, skipped Skipped) ([]Step, Summary) {
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].At.Before(ops[j].At) })
	sum := Summary{Skipped: Skipped{}}
	for k, v := range skipped {
		sum.Skipped[k] = v
	}
	if len(ops) == 0 {
		return nil, sum
	}
	p := &planner{system: system, product: product, m: m, roles: map[string]map[domain.Role]bool{},
		planned: map[string]bool{}, actors: map[string]bool{}, dropped: map[string]bool{}, sum: &sum}
	t0 := ops[0].At.UTC().Truncate(time.Millisecond)
	p.create(t0)
	p.date(dated(system, ops[0]))
	spans := p.roleSpans()
	next := 0
	for _, op := range ops {
		at := op.At.UTC().Truncate(time.Millisecond)
		p.link(&op.Source)
		for next < len(spans) && !spans[next].at.After(at) {
			p.role(spans[next], later(spans[next].at, t0))
			if spans[next].at.After(t0) {
				p.date(fmt.Sprintf("the map file's role %s of %s, from or to %s", spans[next].role, spans[next].actor, spans[next].at.Format(time.DateOnly)))
			} else {
				p.date(dated(system, ops[0]))
			}
			next++
		}
		if !p.has(op.Actor) && op.Actor != UnnamedActor {
			p.role(roleChange{actor: op.Actor, role: domain.RoleStakeholder, on: true,
				why: "everyone the import's map file does not name is a stakeholder"}, at)
		}
		for _, ms := range op.Needs {
			p.plan(ms, op, at)
		}
		p.observe(op, at)
		p.date(dated(system, op))
	}
	from, to := ops[0].At.UTC(), ops[len(ops)-1].At.UTC()
	sum.From, sum.To = &from, &to
	sum.Actors = len(p.actors)
	return p.steps, sum
}

type planner struct {
	system, product string
	m               *Map
	roles           map[string]map[domain.Role]bool
	planned         map[string]bool
	actors          map[string]bool
	dropped         map[string]bool // issues whose link was dropped
	steps           []Step
	sum             *Summary
}

type roleChange struct {
	actor string
	role  domain.Role
	on    bool
	at    time.Time
	why   string
}

// date sets Dated on the steps appended since it was last called.
func (p *planner) date(d string) {
	for i := len(p.steps) - 1; i >= 0 && p.steps[i].Dated == ""; i-- {
		p.steps[i].Dated = d
	}
}

// dated says where an op's time comes from.
func dated(system string, op Op) string {
	d := fmt.Sprintf("%s issue %s", system, op.Source.Key)
	if op.Field != "" {
		d += ", " + op.Field
		if op.Source.Change != "created" && op.Source.Change != "" {
			d += " of change " + op.Source.Change
		}
	}
	return d
}

// link drops a source's link that is not one to keep (Link), counting
// each issue whose link was dropped once.
func (p *planner) link(src *domain.Source) {
	if src.URL == "" || Link(src.URL) != "" {
		return
	}
	src.URL = ""
	if !p.dropped[src.Key] {
		p.dropped[src.Key] = true
		p.sum.LinksDropped++
	}
}

func (p *planner) has(actor string) bool { return len(p.roles[actor]) > 0 }

func (p *planner) commandID(parts ...any) string {
	id := "import-" + p.system
	for _, x := range parts {
		id += "/" + fmt.Sprint(x)
	}
	if len(id) > 120 {
		id = id[:111] + "-" + DeriveID(id)[len(DeriveID(id))-8:]
	}
	return id
}

// create records the product: its PM is the importer, its PO the first
// person the map makes PO from the start (the importer when none).
func (p *planner) create(at time.Time) {
	po := p.m.Importer
	for _, login := range sortedKeys(p.m.People) {
		for _, r := range p.m.People[login].Roles {
			if r.Role == domain.RolePO && r.from.IsZero() && po == p.m.Importer {
				po = p.m.ActorID(login)
			}
		}
	}
	name := p.m.Name
	if name == "" {
		name = p.product
	}
	id := p.commandID("product")
	p.steps = append(p.steps, Step{CommandID: id, At: at, Source: domain.Source{System: p.system, Key: p.product},
		Command: &domain.Command{ID: id, Product: p.product, Actor: p.m.Importer, At: at,
			Action: domain.CreateProduct{Name: name, PM: p.m.Importer, PO: po}}})
	p.grant(p.m.Importer, domain.RolePM, true)
	p.grant(po, domain.RolePO, true)
	p.sum.Events += 1 // ProductCreated
}

func (p *planner) grant(actor string, role domain.Role, on bool) {
	if p.roles[actor] == nil {
		p.roles[actor] = map[domain.Role]bool{}
	}
	if on {
		p.roles[actor][role] = true
	} else {
		delete(p.roles[actor], role)
	}
}

// roleSpans lists the map's role changes in time order.
func (p *planner) roleSpans() []roleChange {
	var out []roleChange
	for _, login := range sortedKeys(p.m.People) {
		actor := p.m.ActorID(login)
		for _, r := range p.m.People[login].Roles {
			out = append(out, roleChange{actor: actor, role: r.Role, on: true, at: r.from, why: "role from the import's map file"})
			if !r.to.IsZero() {
				out = append(out, roleChange{actor: actor, role: r.Role, on: false, at: r.to, why: "role ends, by the import's map file"})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// role records a role change by the importer, unless it changes nothing.
func (p *planner) role(r roleChange, at time.Time) {
	if p.roles[r.actor][r.role] == r.on {
		return
	}
	verb := "assign"
	var action domain.Action = domain.AssignRole{Actor: r.actor, Role: r.role}
	if !r.on {
		verb, action = "revoke", domain.RevokeRole{Actor: r.actor, Role: r.role}
	}
	id := p.commandID("role", verb, r.actor, r.role, at.Format(time.RFC3339Nano))
	p.steps = append(p.steps, Step{CommandID: id, At: at, Source: domain.Source{System: p.system, Key: r.actor},
		Command: &domain.Command{ID: id, Product: p.product, Actor: p.m.Importer, At: at, Why: r.why, Action: action}})
	p.sum.Events++
	if r.on && r.role == domain.RolePO {
		// Assigning po hands the role over: the old PO's is revoked in
		// the same decision.
		for a, rs := range p.roles {
			if rs[domain.RolePO] && a != r.actor {
				p.grant(a, domain.RolePO, false)
				p.sum.Events++
			}
		}
	}
	p.grant(r.actor, r.role, r.on)
}

// plan puts a milestone on the roadmap, by the importer.
func (p *planner) plan(ms Milestone, op Op, at time.Time) {
	if p.planned[ms.ID] {
		return
	}
	p.planned[ms.ID] = true
	id := p.commandID("roadmap", ms.ID)
	title, _ := Title(ms.Name)
	src := domain.Source{System: p.system, Key: ms.Name, URL: op.Source.URL, Change: "first named by " + op.Source.Key, Author: op.Source.Author}
	e := domain.Event{ID: domain.EventID(p.product, id, at, 0), Product: p.product,
		Aggregate: domain.Aggregate{Kind: domain.KindRoadmap, ID: ms.ID}, Actor: domain.Actor{ID: p.m.Importer},
		OccurredAt: at, Why: fmt.Sprintf("%s milestone %q is a release on the roadmap", p.system, ms.Name),
		Data: domain.RoadmapItemPlanned{Title: title, Period: ms.Period}, CommandID: id, Source: &src}
	p.steps = append(p.steps, Step{CommandID: id, At: at, Events: []domain.Event{e}, Source: src})
	p.sum.Events++
}

// observe records an op.
func (p *planner) observe(op Op, at time.Time) {
	if len(op.Facts) == 0 {
		return
	}
	switch {
	case op.Actor != UnnamedActor:
		p.actors[op.Actor] = true
	case op.Source.Change == "filed":
		// A filing the export does not record (a history-only export);
		// unnamed's other decisions (a change without an author) are
		// none.
		p.sum.FiledUnnamed++
	}
	id := p.commandID(op.Source.Key, op.Source.Change, op.Part)
	src := op.Source
	step := Step{CommandID: id, At: at, Source: src}
	if op.Slip {
		p.sum.Slips++
	}
	for i, f := range op.Facts {
		s := src
		e := domain.Event{ID: domain.EventID(p.product, id, at, i), Product: p.product,
			Aggregate: domain.Aggregate{Kind: f.Kind, ID: f.ID}, Actor: domain.Actor{ID: op.Actor},
			OccurredAt: at, Why: op.Why, Data: f.Data, CommandID: id, Source: &s}
		switch f.Data.(type) {
		case domain.RequestRejected:
			e.Reason = op.Reason
		case domain.BacklogItemRemoved:
			// An accepted item removed for a rejecting resolution keeps
			// its reason code, as a rejected request does.
			e.Reason = op.Reason
			if op.Reason != "" {
				p.sum.Rejections++
			}
		}
		need, restricted := domain.RequiredRole(f.Data.EventType())
		// No role is ever granted to UnnamedActor: its submissions are
		// observed outside any authority.
		p.sum.count(f, (restricted && !p.roles[op.Actor][need]) || op.Actor == UnnamedActor)
		step.Events = append(step.Events, e)
	}
	p.steps = append(p.steps, step)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
