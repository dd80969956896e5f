package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/decisionledger/ledger/query"
)

// writeCSV writes an answer of a view in the view's CSV form, through
// query.WriteCSV (quoted where needed, CRLF line ends, cells a
// spreadsheet would run as formulas neutralised): a header row, then one
// row per element.
func writeCSV(w http.ResponseWriter, v *query.View, product string, answer any) error {
	header, rows, err := v.CSV(answer)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", product+"-"+v.Name+".csv"))
	return query.WriteCSV(w, true, header, rows)
}

func num(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}
