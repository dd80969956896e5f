package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/decisionledger/ledger/query"
)

// writeCSV writes a tabular view as RFC 4180 CSV through query.WriteCSV
// (quoted where needed, CRLF line ends, cells a spreadsheet would run as
// formulas neutralised): a header row, then one row per item.
func writeCSV(w http.ResponseWriter, view, product string, v any) error {
	header, rows := table(v)
	if header == nil {
		return fmt.Errorf("the %s view has no CSV form", view)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", product+"-"+view+".csv"))
	return query.WriteCSV(w, true, header, rows)
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func tsp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ts(*t)
}

func num(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// table returns the header and rows of a view; nil for a view without a
// tabular form.
func table(v any) (header []string, rows [][]string) {
	switch v := v.(type) {
	case query.Decisions:
		header, rows = query.CSVHeader, v.CSVRows()
	case query.Backlog:
		header = []string{"rank", "id", "title", "kind", "epic", "roadmap", "status", "estimate", "score_framework", "score",
			"request", "added_at", "last_decision", "last_actor", "last_role", "last_at", "last_why", "score_overridden"}
		for _, it := range v.Items {
			fw, sc := "", ""
			if it.Score != nil {
				fw, sc = it.Score.Framework, num(it.Score.Value)
			}
			d := it.LastDecision
			rows = append(rows, []string{strconv.Itoa(it.Rank), it.ID, it.Title, string(it.Kind), it.Epic, it.Roadmap, string(it.Status),
				num(it.Estimate), fw, sc, it.Request, ts(it.AddedAt), d.Type, d.Actor, string(d.Role), ts(d.At), d.Why,
				strconv.FormatBool(len(d.Overrides) > 0)})
		}
	case query.Roadmap:
		header = []string{"period", "rank", "id", "title", "objective", "status", "late", "items_delivered", "items_in_progress", "items_total",
			"planned_at", "delivered_at", "dropped_at", "last_decision", "last_actor", "last_why"}
		for _, p := range v.Periods {
			for _, it := range p.Items {
				rows = append(rows, []string{p.Name, strconv.Itoa(it.Rank), it.ID, it.Title, it.Objective, string(it.Status), strconv.FormatBool(it.Late),
					strconv.Itoa(it.Progress.Delivered), strconv.Itoa(it.Progress.InProgress), strconv.Itoa(it.Progress.Total),
					ts(it.PlannedAt), tsp(it.DeliveredAt), tsp(it.DroppedAt), it.LastDecision.Type, it.LastDecision.Actor, it.LastDecision.Why})
			}
		}
	case query.Requests:
		header = []string{"id", "requester", "title", "business_case", "status", "submitted_at", "decided_at", "decided_by", "decided_role",
			"reason", "why", "item", "deferred_until", "wait_seconds"}
		for _, r := range v.Requests {
			rows = append(rows, []string{r.ID, r.Requester, r.Title, r.BusinessCase, string(r.Status), ts(r.SubmittedAt), tsp(r.DecidedAt),
				r.DecidedBy, string(r.DecidedRole), string(r.Reason), r.Why, r.Item, r.DeferredUntil, num(r.WaitSeconds)})
		}
	case query.Log:
		header = []string{"seq", "id", "type", "aggregate_kind", "aggregate_id", "actor", "role", "occurred_at", "why", "reason", "command_id", "quarantined"}
		for _, e := range v.Entries {
			rows = append(rows, []string{strconv.FormatUint(e.Seq, 10), e.ID, e.Type, string(e.Aggregate.Kind), e.Aggregate.ID, e.Actor.ID,
				string(e.Actor.Role), ts(e.OccurredAt), e.Why, string(e.Reason), e.CommandID, e.Quarantined})
		}
	case *query.Comparison:
		header = []string{"period", "id", "title", "outcome", "overdue", "period_now", "roadmap", "delivered_at", "dropped_at", "period_say_do", "causes"}
		for _, p := range v.Periods {
			for _, it := range p.Items {
				var causes []string
				for _, c := range it.Causes {
					causes = append(causes, fmt.Sprintf("#%d %s %s by %s (%s): %s", c.Seq, c.Type, c.Subject, c.Actor, c.Role, c.Why))
				}
				rows = append(rows, []string{p.Period, it.ID, it.Title, string(it.Outcome), strconv.FormatBool(it.Overdue), it.PeriodNow, it.Roadmap,
					tsp(it.DeliveredAt), tsp(it.DroppedAt), num(p.SayDo), strings.Join(causes, "; ")})
			}
		}
	}
	if header != nil && rows == nil {
		rows = [][]string{}
	}
	return header, rows
}
