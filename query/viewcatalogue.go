package query

import (
	"context"
	"slices"
	"strings"

	"github.com/decisionledger/ledger/domain"
)

// The options more than one view takes, declared once.
var (
	asOfParam = Param{Name: "asOf", Doc: "as it stood at a date (the end of that day, UTC), an RFC 3339 time or seq:N; empty for now"}
	// minSeqParam is added to every view of a product.
	minSeqParam = Param{Name: "minSeq", Hidden: true,
		Doc: "a stream sequence the answer must reflect: it waits, a little, for the live projections to apply it (read your writes across service instances)"}
	requesterParam = Param{Name: "requester", Doc: "only the requests of this stakeholder"}
)

// decisionParams are the decision filters: the decisions view's options,
// and what "ledger audit export" proves complete.
var decisionParams = []Param{
	{Name: "type", Doc: "only this kind of decision: a short name or an event type name (BacklogItemRanked); repeatable, any of them matches",
		Values: shortTypes(), Accept: func(s string) bool { _, err := domain.ExpandTypes("type", []string{s}); return err == nil },
		Other: "an event type name such as BacklogItemRanked"},
	{Name: "item", Doc: "only decisions about this backlog item"},
	{Name: "epic", Doc: "only the epic's decisions and those of every item under it when they were taken"},
	{Name: "roadmap", Doc: "only decisions about this roadmap item"},
	{Name: "request", Doc: "only decisions about this request"},
	{Name: "actor", Doc: "only decisions taken by this actor"},
	{Name: "role", Doc: "only decisions taken in this role", Values: roleNames()},
	{Name: "reason", Doc: "only rejections with this reason code", Values: reasonNames()},
	{Name: "from", Doc: "only decisions taken at or after this time: the start of the range [from, to), included: a date (midnight UTC at its start) or an RFC 3339 time"},
	{Name: "to", Doc: "only decisions taken before this time: the end of the range [from, to), excluded: a date (midnight UTC at its start: that day is not in) or an RFC 3339 time"},
	{Name: "overrides", Doc: "only rank decisions that jumped over an item with a higher score"},
	{Name: "outsideAuthority", Doc: "only imported decisions taken in the tracker by someone without the role the rules require"},
	{Name: "quarantined", Doc: "instead of decisions, the events the validating fold refused (no rule allowed them), with why"},
	{Name: "asOf", Doc: "what the ledger held at a date (the end of that day, UTC), an RFC 3339 time or seq:N"},
}

// DecisionParams returns the decision filters, in the order --help lists
// them.
func DecisionParams() []Param {
	v, _ := Lookup(ViewDecisions)
	return slices.Clone(v.Params[:len(decisionParams)])
}

// catalogue is every view, in the order the README documents them.
var catalogue = bind([]*View{
	{
		Name: ViewProducts, Doc: "the products that have events", Ledger: true, Answer: Products{},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (Products, error) {
			ps, err := s.Products(ctx)
			if err != nil {
				return Products{}, err
			}
			ps.Products, ps.Page, err = offsetPage(ps.Products, o, 0)
			return ps, err
		}),
		pages: pagesOf(func(v Products) int { return len(v.Products) }, func(d *Products, p Products) {
			d.Products, d.Next = append(d.Products, p.Products...), p.Next
		}),
	},
	{
		Name: ViewBacklog, Doc: "the backlog in rank order, each item with its status, score and last decision", Answer: Backlog{}, Cache: true,
		Params: []Param{asOfParam,
			{Name: "status", Doc: "only items in this status; open (the default) is new and in progress", Values: ItemStatuses}},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (Backlog, error) {
			pos, err := listPos(o)
			if err != nil {
				return Backlog{}, err
			}
			b, err := s.Backlog(ctx, o.Product, pos, BacklogFilter{Status: o.Status}, o.MinSeq)
			if err != nil {
				return Backlog{}, err
			}
			b.Items, b.Page, err = offsetPage(b.Items, o, b.Position)
			b.Items = nonNil(b.Items)
			return b, err
		}),
		csv: csvOf(backlogCSV),
		pages: pagesOf(func(v Backlog) int { return len(v.Items) }, func(d *Backlog, p Backlog) {
			d.Items, d.Next = append(d.Items, p.Items...), p.Next
		}),
	},
	{
		Name: ViewRoadmap, Doc: "the roadmap: periods in time order, items in the PM's order", Answer: Roadmap{}, Cache: true,
		Params: []Param{asOfParam},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (Roadmap, error) {
			pos, err := listPos(o)
			if err != nil {
				return Roadmap{}, err
			}
			rm, err := s.Roadmap(ctx, o.Product, pos, o.MinSeq)
			if err != nil {
				return Roadmap{}, err
			}
			rm.Periods, rm.Page, err = roadmapPage(rm.Periods, o, rm.Position)
			return rm, err
		}),
		csv:   csvOf(roadmapCSV),
		pages: pagesOf(roadmapItems, mergeRoadmap),
	},
	{
		Name: ViewRequests, Doc: "every stakeholder request, oldest first, with its fate, reason and wait", Answer: Requests{}, Cache: true,
		Params: []Param{asOfParam, {Name: "status", Doc: "only requests in this status", Values: RequestStatuses}, requesterParam,
			{Name: "reason", Doc: "only requests turned down with this reason code", Values: reasonNames()},
			{Name: "sort", Doc: "submitted (default, oldest first) or waiting (the longest waiting pending request first)", Values: RequestSorts}},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (Requests, error) {
			pos, err := listPos(o)
			if err != nil {
				return Requests{}, err
			}
			rs, err := s.Requests(ctx, o.Product, pos, o.Status, o.Requester, o.MinSeq)
			if err != nil {
				return rs, err
			}
			if o.After != "" {
				// A page after the first is of the list as it stood when
				// the first was answered (pinned to its sequence), its
				// ages counted to the moment the first counted them to:
				// the clock for now, the date of asOf.
				first, _ := Pos("asOf", o.AsOf)
				if at := s.waitingAt(first, rs.Meta); !at.IsZero() {
					rs.WaitingAt = &at
					setWaiting(rs.Requests, at)
				}
			}
			if o.Reason != "" {
				kept := []Request{}
				for _, r := range rs.Requests {
					if string(r.Reason) == o.Reason {
						kept = append(kept, r)
					}
				}
				rs.Requests = kept
			}
			// Sorted before it is paged: the pages are of one order.
			if err := SortRequests(rs.Requests, o.Sort); err != nil {
				return Requests{}, err
			}
			rs.Requests, rs.Page, err = offsetPage(rs.Requests, o, rs.Position)
			rs.Requests = nonNil(rs.Requests)
			return rs, err
		}),
		csv: csvOf(requestsCSV),
		pages: pagesOf(func(v Requests) int { return len(v.Requests) }, func(d *Requests, p Requests) {
			d.Requests, d.Next = append(d.Requests, p.Requests...), p.Next
		}),
	},
	{
		Name: ViewWhy, Doc: "the chain of decisions about an item, roadmap item or request: who decided what, when, and why", Answer: Why{},
		Params: []Param{{Name: "id", Doc: "the item, roadmap item or request", Subject: true, Required: true}, asOfParam},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (Why, error) {
			pos, err := Pos("asOf", o.AsOf)
			if err != nil {
				return Why{}, err
			}
			w, err := s.Why(ctx, o.Product, pos, o.ID, o.MinSeq)
			if err != nil {
				return Why{}, err
			}
			w.Decisions, w.Page, err = seqPage(w.Decisions, func(d Decision) uint64 { return d.Seq }, o)
			w.Decisions = nonNil(w.Decisions)
			return w, err
		}),
		pages: pagesOf(func(v Why) int { return len(v.Decisions) }, func(d *Why, p Why) {
			d.Decisions, d.Next = append(d.Decisions, p.Decisions...), p.Next
		}),
	},
	{
		Name: ViewLog, Doc: "every event of the product in stream order, each message the validating fold refused marked with why", Answer: Log{},
		Params: []Param{{Name: "asOf", Doc: "only events up to a date (the end of that day, UTC), an RFC 3339 time or seq:N"}},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (Log, error) {
			pos, err := Pos("asOf", o.AsOf)
			if err != nil {
				return Log{}, err
			}
			after, err := seqCursor(o.After)
			if err != nil {
				return Log{}, err
			}
			return s.LogPage(ctx, o.Product, pos, after, o.Limit)
		}),
		csv: csvOf(logCSV),
		pages: pagesOf(func(v Log) int { return len(v.Entries) }, func(d *Log, p Log) {
			// A page's meta is the log's up to its end: the last one's
			// stands for all of them, but for the entries they hold.
			events := d.Events + p.Events
			d.Entries, d.Meta, d.Next = append(d.Entries, p.Entries...), p.Meta, p.Next
			d.Events = events
		}),
	},
	{
		Name: ViewCompare, Doc: "the roadmap as planned at one date against what was delivered by a later one, each deviation with its causes", Answer: Comparison{},
		Params: []Param{
			{Name: "plannedAsOf", Doc: "T0: the plan as it stood then (a date, an RFC 3339 time or seq:N)", Required: true},
			{Name: "deliveredAsOf", Doc: "T1: count deliveries up to then; empty for now"},
			{Name: "period", Doc: "only this period: a quarter 2027-Q1, a half 2027-H1, a month 2027-03, a day 2027-03-15, a year 2027, or a release release:NAME or release:NAME@YYYY-MM-DD"},
			{Name: "level", Doc: "what is compared: roadmap items (the default) or the backlog items that served them", Values: []string{LevelRoadmap, LevelItem}},
		},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (*Comparison, error) {
			return s.Compare(ctx, o.Product, CompareOptions{PlannedAsOf: o.PlannedAsOf, DeliveredAsOf: o.DeliveredAsOf, Period: o.Period, Level: o.Level})
		}),
		csv: csvOf(comparisonCSV),
	},
	{
		Name: ViewSayDo, Doc: "the say/do ratio of every period begun, each against its own plan", Answer: SayDo{},
		Params: []Param{asOfParam},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (*SayDo, error) {
			pos, err := Pos("asOf", o.AsOf)
			if err != nil {
				return nil, err
			}
			return s.SayDo(ctx, o.Product, pos)
		}),
	},
	{
		Name: ViewOverview, Doc: "what a dashboard shows first: say/do per period, the request funnel and rejection reasons, the median time to a decision, the items re-ranked most, the latest decisions and the quarantined count", Answer: Overview{},
		Params: []Param{asOfParam},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (*Overview, error) {
			pos, err := Pos("asOf", o.AsOf)
			if err != nil {
				return nil, err
			}
			return s.Overview(ctx, o.Product, pos, o.MinSeq)
		}),
	},
	{
		Name: ViewQuarantine, Doc: "the events the validating fold refused (no rule allowed them), each with its sequence, type, subject, actor and why", Answer: Quarantine{},
		Params: []Param{asOfParam},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (Quarantine, error) {
			pos, err := Pos("asOf", o.AsOf)
			if err != nil {
				return Quarantine{}, err
			}
			return s.Quarantined(ctx, o.Product, pos, o.MinSeq)
		}),
	},
	{
		Name: ViewMetrics, Doc: "the product's events by type and how long requests waited for their first decision, as /metrics exports them", Answer: Metrics{},
		Params: []Param{asOfParam},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (Metrics, error) {
			pos, err := Pos("asOf", o.AsOf)
			if err != nil {
				return Metrics{}, err
			}
			return s.ProductMetrics(ctx, o.Product, pos, o.MinSeq)
		}),
	},
	{
		Name: ViewDiff, Doc: "what changed between two positions: items added, removed, moved, changed status, and requests decided", Answer: Changes{},
		Params: []Param{
			{Name: "from", Doc: "T0, included: a date (2026-05-01, midnight UTC at its start), an RFC 3339 time, or seq:N (just after that event)", Required: true},
			{Name: "to", Doc: "T1, excluded, not before T0 (default now): a date (midnight UTC at its start: that day is not in), an RFC 3339 time or seq:N"},
		},
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (*Changes, error) {
			return s.Diff(ctx, o.Product, o.From, o.To)
		}),
	},
	{
		Name: ViewDecisions, Doc: "every decision matching the filters, in stream order: who decided what, in which role, when, why, and what changed", Answer: Decisions{},
		Params: decisionParams,
		answer: answerOf(func(ctx context.Context, s *Service, o Options) (Decisions, error) {
			d, err := s.Decisions(ctx, o.Product, o.DecisionsFilter(), o.MinSeq)
			if err != nil {
				return Decisions{}, err
			}
			d.Decisions, d.Page, err = seqPage(d.Decisions, func(r DecisionRow) uint64 { return r.Seq }, o)
			d.Decisions = nonNil(d.Decisions)
			return d, err
		}),
		csv: csvOf(Decisions.csv),
		pages: pagesOf(func(v Decisions) int { return len(v.Decisions) }, func(d *Decisions, p Decisions) {
			d.Decisions, d.Next = append(d.Decisions, p.Decisions...), p.Next
		}),
	},
})

// DecisionsFilter is the decision filters of o.
func (o Options) DecisionsFilter() DecisionsFilter {
	return DecisionsFilter{Types: o.Type, Item: o.Item, Epic: o.Epic, Roadmap: o.Roadmap, Request: o.Request,
		Actor: o.Actor, Role: o.Role, Reason: o.Reason, From: o.From, To: o.To, Overrides: o.Overrides,
		OutsideAuthority: o.OutsideAuthority, Quarantined: o.Quarantined, AsOf: o.AsOf}
}

func shortTypes() []string {
	var out []string
	for _, t := range domain.EventTypes() {
		out = append(out, strings.ToLower(domain.ShortType(t)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func roleNames() []string {
	var out []string
	for _, r := range domain.Roles {
		out = append(out, string(r))
	}
	return out
}

func reasonNames() []string {
	var out []string
	for _, r := range domain.ReasonCodes {
		out = append(out, string(r))
	}
	return out
}
