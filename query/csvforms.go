package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The CSV forms of the views that are tables, each a header and one row
// per element, written through WriteCSV by every edge that offers CSV.

func backlogCSV(v Backlog) ([]string, [][]string) {
	header := []string{"rank", "id", "title", "kind", "epic", "roadmap", "status", "estimate", "score_framework", "score",
		"request", "added_at", "last_decision", "last_actor", "last_role", "last_at", "last_why", "score_overridden"}
	var rows [][]string
	for _, it := range v.Items {
		fw, sc := "", ""
		if it.Score != nil {
			fw, sc = it.Score.Framework, csvNum(it.Score.Value)
		}
		d := it.LastDecision
		rows = append(rows, []string{strconv.Itoa(it.Rank), it.ID, it.Title, string(it.Kind), it.Epic, it.Roadmap, string(it.Status),
			csvNum(it.Estimate), fw, sc, it.Request, csvTime(it.AddedAt), d.Type, d.Actor, string(d.Role), csvTime(d.At), d.Why,
			strconv.FormatBool(len(d.Overrides) > 0)})
	}
	return header, rows
}

func roadmapCSV(v Roadmap) ([]string, [][]string) {
	header := []string{"period", "rank", "id", "title", "objective", "status", "late", "items_delivered", "items_in_progress", "items_total",
		"planned_at", "delivered_at", "dropped_at", "last_decision", "last_actor", "last_why"}
	var rows [][]string
	for _, p := range v.Periods {
		for _, it := range p.Items {
			rows = append(rows, []string{p.Name, strconv.Itoa(it.Rank), it.ID, it.Title, it.Objective, string(it.Status), strconv.FormatBool(it.Late),
				strconv.Itoa(it.Progress.Delivered), strconv.Itoa(it.Progress.InProgress), strconv.Itoa(it.Progress.Total),
				csvTime(it.PlannedAt), csvTimep(it.DeliveredAt), csvTimep(it.DroppedAt), it.LastDecision.Type, it.LastDecision.Actor, it.LastDecision.Why})
		}
	}
	return header, rows
}

func requestsCSV(v Requests) ([]string, [][]string) {
	header := []string{"id", "requester", "title", "business_case", "status", "submitted_at", "decided_at", "decided_by", "decided_role",
		"reason", "why", "item", "deferred_until", "wait_seconds"}
	var rows [][]string
	for _, r := range v.Requests {
		rows = append(rows, []string{r.ID, r.Requester, r.Title, r.BusinessCase, string(r.Status), csvTime(r.SubmittedAt), csvTimep(r.DecidedAt),
			r.DecidedBy, string(r.DecidedRole), string(r.Reason), r.Why, r.Item, r.DeferredUntil, csvNum(r.WaitSeconds)})
	}
	return header, rows
}

func logCSV(v Log) ([]string, [][]string) {
	header := []string{"seq", "id", "type", "aggregate_kind", "aggregate_id", "actor", "role", "occurred_at", "why", "reason", "command_id", "quarantined"}
	var rows [][]string
	for _, e := range v.Entries {
		rows = append(rows, []string{strconv.FormatUint(e.Seq, 10), e.ID, e.Type, string(e.Aggregate.Kind), e.Aggregate.ID, e.Actor.ID,
			string(e.Actor.Role), csvTime(e.OccurredAt), e.Why, string(e.Reason), e.CommandID, e.Quarantined})
	}
	return header, rows
}

func comparisonCSV(v *Comparison) ([]string, [][]string) {
	header := []string{"period", "id", "title", "outcome", "overdue", "period_now", "roadmap", "delivered_at", "dropped_at", "period_say_do", "causes"}
	var rows [][]string
	for _, p := range v.Periods {
		for _, it := range p.Items {
			var causes []string
			for _, c := range it.Causes {
				causes = append(causes, fmt.Sprintf("#%d %s %s by %s (%s): %s", c.Seq, c.Type, c.Subject, c.Actor, c.Role, c.Why))
			}
			rows = append(rows, []string{p.Period, it.ID, it.Title, string(it.Outcome), strconv.FormatBool(it.Overdue), it.PeriodNow, it.Roadmap,
				csvTimep(it.DeliveredAt), csvTimep(it.DroppedAt), csvNum(p.SayDo), strings.Join(causes, "; ")})
		}
	}
	return header, rows
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvTimep(t *time.Time) string {
	if t == nil {
		return ""
	}
	return csvTime(*t)
}

func csvNum(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}
