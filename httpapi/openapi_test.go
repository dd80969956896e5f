package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenAPI walks the OpenAPI document and calls every operation in it:
// each must answer a documented status with a documented media type, and
// a JSON answer must carry its schema's required fields. The document is
// generated from the route table, so this also proves every route works.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := f.do(call{path: "/api/openapi.json"})
	require.Equal(t, 200, a.status)
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(a.body, &doc))
	assert.Equal(t, "3.1.0", doc.OpenAPI)

	// Every $ref resolves.
	for _, ref := range refs(a.body) {
		_, ok := doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		assert.True(t, ok, "dangling %s", ref)
	}

	// Example values for the parameters a call needs.
	params := map[string]string{"p": "checkout", "id": "CARD-2", "plannedAsOf": "2026-04-01", "from": "2026-05-01"}
	var called []string
	n := 0
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				OperationID string                      `json:"operationId"`
				Parameters  []struct{ Name, In string } `json:"parameters"`
				RequestBody json.RawMessage             `json:"requestBody"`
				Responses   map[string]struct {
					Content map[string]struct {
						Schema map[string]any `json:"schema"`
					} `json:"content"`
				} `json:"responses"`
			}
			require.NoError(t, json.Unmarshal(raw, &op))
			require.NotEmpty(t, op.OperationID)
			url := path
			var q []string
			for _, p := range op.Parameters {
				switch p.In {
				case "path":
					url = strings.ReplaceAll(url, "{"+p.Name+"}", params[p.Name])
				case "query":
					if v := params[p.Name]; v != "" {
						q = append(q, p.Name+"="+v)
					}
				}
			}
			if len(q) > 0 {
				url += "?" + strings.Join(q, "&")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			var body *strings.Reader
			if op.RequestBody != nil {
				n++
				body = strings.NewReader(fmt.Sprintf(`{"action":"request.submit","args":{"id":"REQ-OA%d","title":"From the document","why":"Walked"}}`, n))
			} else {
				body = strings.NewReader("")
			}
			req, err := http.NewRequestWithContext(ctx, strings.ToUpper(method), f.url+url, body)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Ledger-Actor", "sally")
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err, "%s %s", method, url)
			status := fmt.Sprint(res.StatusCode)
			resp, ok := op.Responses[status]
			require.True(t, ok, "%s %s answered %s, which the document does not list", method, url, status)
			ct := strings.TrimSpace(strings.Split(res.Header.Get("Content-Type"), ";")[0])
			media, ok := resp.Content[ct]
			assert.True(t, ok, "%s %s answered %s, which the document does not list for %s", method, url, ct, status)
			if ct == "application/json" && ok {
				var got map[string]any
				require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
				schema := media.Schema
				if ref, isRef := schema["$ref"].(string); isRef {
					schema = doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
				}
				req, _ := schema["required"].([]any)
				for _, r := range req {
					assert.Contains(t, got, r, "%s %s: required field %v", method, url, r)
				}
			}
			res.Body.Close()
			cancel()
			called = append(called, strings.ToUpper(method)+" "+path+" "+status)
		}
	}
	sort.Strings(called)
	t.Logf("called:\n%s", strings.Join(called, "\n"))
	assert.Len(t, called, 17, "every API route is in the document")
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
