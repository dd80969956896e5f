package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/query"
)

// openAPI fetches the server's OpenAPI document and loads it with
// kin-openapi, which validates it against the OpenAPI 3.1 specification
// (JSON Schema 2020-12 for the schemas).
func openAPI(t *testing.T, f *fixture) (*openapi3.T, []byte) {
	t.Helper()
	a := f.do(call{path: "/api/openapi.json"})
	require.Equal(t, 200, a.status)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(a.body)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(loader.Context), "the document is valid OpenAPI %s", doc.OpenAPI)
	return doc, a.body
}

// TestOpenAPI calls every operation of the OpenAPI document: kin-openapi
// validates each request against the operation's parameters and each
// answer against the status, media type and schema the document gives.
// The document is generated from the route table, so this also proves
// every route works.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	doc, raw := openAPI(t, f)
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	for _, ref := range refs(raw) {
		assert.NotNil(t, doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")], "dangling %s", ref)
	}
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)

	// Example values for the parameters a call needs.
	params := map[string]string{"p": "checkout", "id": "CARD-2", "plannedAsOf": "2026-04-01", "from": "2026-05-01", "stakeholder": "sally.atom"}
	var called []string
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			require.NotEmpty(t, op.OperationID)
			url := path
			var q []string
			for _, p := range op.Parameters {
				switch p.Value.In {
				case "path":
					url = strings.ReplaceAll(url, "{"+p.Value.Name+"}", params[p.Value.Name])
				case "query":
					v := params[p.Value.Name]
					if s := p.Value.Schema.Value; v == "" && p.Value.Required && len(s.Enum) > 0 {
						v = fmt.Sprint(s.Enum[0]) // a required choice: the first one
					}
					if v != "" {
						q = append(q, p.Value.Name+"="+v)
					}
				}
			}
			if len(q) > 0 {
				url += "?" + strings.Join(q, "&")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			var body []byte
			if op.RequestBody != nil {
				n++
				body = fmt.Appendf(nil, `{"action":"request.submit","args":{"id":"REQ-OA%d","title":"From the document","why":"Walked"}}`, n)
			}
			req, err := http.NewRequestWithContext(ctx, method, f.url+url, bytes.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Ledger-Actor", "sally")
			route, pathParams, err := router.FindRoute(req)
			require.NoError(t, err, "%s %s", method, url)
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
			require.NoError(t, openapi3filter.ValidateRequest(ctx, in), "%s %s", method, url)
			req.Body = io.NopCloser(bytes.NewReader(body))
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err, "%s %s", method, url)
			var got []byte
			stream := strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream")
			if !stream { // a stream does not end: its status and media type are checked
				got, err = io.ReadAll(res.Body)
				require.NoError(t, err)
			}
			res.Body.Close()
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
				Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: stream}}
			out.SetBodyBytes(got)
			assert.NoError(t, openapi3filter.ValidateResponse(ctx, out), "%s %s answered %d", method, url, res.StatusCode)
			cancel()
			called = append(called, method+" "+path+" "+fmt.Sprint(res.StatusCode))
		}
	}
	sort.Strings(called)
	t.Logf("called:\n%s", strings.Join(called, "\n"))
	assert.Len(t, called, 22, "every API route is in the document")
}

// TestOpenAPIHasEveryViewOption walks the view catalogue: every view is an
// operation of the document, and every option of every view is a
// parameter of it, with its documentation, its type, the values it takes
// and whether it is required, as the catalogue declares them.
func TestOpenAPIHasEveryViewOption(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	doc, _ := openAPI(t, f)
	ops := map[string]*openapi3.Operation{}
	for name, path := range viewPaths(doc) {
		ops[name] = doc.Paths.Value(path).Get
	}
	options := 0
	for _, v := range query.Catalogue() {
		op := ops[v.Name]
		if !assert.NotNil(t, op, "the %s view has no operation", v.Name) {
			continue
		}
		assert.Contains(t, op.Summary, v.Doc)
		if !v.Ledger {
			assert.NotNil(t, op.Parameters.GetByInAndName("path", "p"), "%s: the product", v.Name)
		}
		for _, p := range v.Params {
			options++
			in := "query"
			if p.Subject {
				in = "path"
			}
			got := op.Parameters.GetByInAndName(in, p.Name)
			if !assert.NotNil(t, got, "the %s view's option %s is not in the document", v.Name, p.Name) {
				continue
			}
			assert.Contains(t, got.Description, p.Doc, "%s %s", v.Name, p.Name)
			assert.Equal(t, p.Required || p.Subject, got.Required, "%s %s", v.Name, p.Name)
			schema := got.Schema.Value
			if p.Kind() == query.KindList {
				require.True(t, schema.Type.Is("array"), "%s %s", v.Name, p.Name)
				schema = schema.Items.Value
			}
			want := map[string]string{query.KindText: "string", query.KindList: "string", query.KindBool: "boolean", query.KindNumber: "integer"}[p.Kind()]
			assert.True(t, schema.Type.Is(want), "%s %s is %v, not %s", v.Name, p.Name, schema.Type, want)
			if len(p.Values) > 0 {
				if p.Accept == nil {
					var enum []string
					for _, e := range schema.Enum {
						enum = append(enum, fmt.Sprint(e))
					}
					assert.Equal(t, p.Values, enum, "%s %s", v.Name, p.Name)
				} else {
					for _, val := range p.Values {
						assert.Contains(t, got.Description, val, "%s %s", v.Name, p.Name)
					}
				}
			}
		}
	}
	assert.Greater(t, options, 30, "the catalogue's options were walked")
}

// TestOpenAPIDocumentsPages: the operation of every list view of the
// catalogue takes limit and after, answers with a Link header, and its
// answer's schema holds the next and previous cursors; a view that is no
// list has none of them.
func TestOpenAPIDocumentsPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	doc, _ := openAPI(t, f)
	paths := viewPaths(doc)
	lists := 0
	for _, v := range query.Catalogue() {
		op := doc.Paths.Value(paths[v.Name]).Get
		require.NotNil(t, op, v.Name)
		ok := op.Responses.Status(http.StatusOK)
		require.NotNil(t, ok, v.Name)
		schema := ok.Value.Content.Get("application/json").Schema
		if schema.Ref != "" {
			schema = doc.Components.Schemas[strings.TrimPrefix(schema.Ref, "#/components/schemas/")]
		}
		require.NotNil(t, schema, v.Name)
		if !v.Paged() {
			assert.Nil(t, op.Parameters.GetByInAndName("query", "limit"), "%s is no list", v.Name)
			assert.Nil(t, ok.Value.Headers["Link"], v.Name)
			continue
		}
		lists++
		for _, name := range []string{"limit", "after"} {
			assert.NotNil(t, op.Parameters.GetByInAndName("query", name), "%s takes %s", v.Name, name)
		}
		link := ok.Value.Headers["Link"]
		if assert.NotNil(t, link, "%s: the Link header", v.Name) {
			assert.Contains(t, link.Value.Description, `rel="next"`)
		}
		for _, cursor := range []string{"next", "prev"} {
			prop := schema.Value.Properties[cursor]
			if assert.NotNil(t, prop, "%s: the %s cursor is in the answer's schema", v.Name, cursor) {
				assert.True(t, prop.Value.Type.Is("string"), "%s %s", v.Name, cursor)
			}
		}
	}
	assert.Positive(t, lists, "the catalogue's lists were walked (query's TestPagesAddUpToTheWhole names them)")
}

// viewPaths finds the path of each view's operation in the document: the
// GET whose path ends with the view's name (and its subject).
func viewPaths(doc *openapi3.T) map[string]string {
	out := map[string]string{}
	for path, item := range doc.Paths.Map() {
		if item.Get == nil || !strings.HasPrefix(path, "/api/v1/") {
			continue // not a view (/metrics is Prometheus's, the metrics view is the product's)
		}
		words := strings.Split(path, "/")
		for i := len(words) - 1; i >= 0; i-- {
			if !strings.HasPrefix(words[i], "{") {
				out[words[i]] = path
				break
			}
		}
	}
	return out
}

// refs finds every $ref in a JSON document.
func refs(b []byte) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "$ref" {
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var v any
	_ = json.Unmarshal(b, &v)
	walk(v)
	return out
}
