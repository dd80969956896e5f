package query

import (
	"fmt"
	"strings"
	"time"
)

// CSVHeader names the columns of the decisions view as CSV (RFC 4180, as
// the CLI's --csv and the HTTP API's ?format=csv write it through
// WriteCSV); lists are joined with "; ".
var CSVHeader = []string{"seq", "at", "type", "subject", "kind", "id", "eventId", "actor", "role", "why", "reason",
	"changes", "epic", "roadmap", "request", "scoreFramework", "scoreValue", "overrides", "source", "outsideAuthority", "quarantined"}

// CSVRows returns the decisions as CSV records, in CSVHeader's order.
func (d Decisions) CSVRows() [][]string {
	rows := make([][]string, 0, len(d.Decisions))
	for _, r := range d.Decisions {
		var framework, value string
		if r.Score != nil {
			framework = r.Score.Framework
			if r.Score.Value != nil {
				value = fmt.Sprint(*r.Score.Value)
			}
		}
		var over []string
		for _, o := range r.Overrides {
			over = append(over, fmt.Sprintf("%s (%s %v)", o.ID, o.Framework, o.Score))
		}
		var source, outside string
		if r.Source != nil {
			source = strings.TrimSpace(strings.Join([]string{r.Source.System, r.Source.Key, r.Source.Change, r.Source.URL}, " "))
		}
		if r.OutsideAuthority {
			outside = "true"
		}
		rows = append(rows, []string{fmt.Sprint(r.Seq), r.At.UTC().Format(time.RFC3339), r.Type, r.Subject, string(r.Kind), r.ID,
			r.EventID, r.Actor, string(r.Role), r.Why, string(r.Reason), strings.Join(r.Changes, "; "), r.Epic, r.Roadmap,
			r.Request, framework, value, strings.Join(over, "; "), source, outside, r.Quarantined})
	}
	return rows
}

// csv is the decisions view's CSV form.
func (d Decisions) csv() ([]string, [][]string) { return CSVHeader, d.CSVRows() }
