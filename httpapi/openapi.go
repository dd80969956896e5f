package httpapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/query"
)

// opDoc is what the OpenAPI document says of a route. The document is
// generated from the route table and the handlers' own types, so it
// cannot drift from what the server does; a test walks it and calls every
// route.
type opDoc struct {
	summary  string
	params   []paramDoc // query and path parameters ({p} is every product route's)
	csv      bool       // also answers text/csv
	paged    bool       // a list's page: the answer has a Link header
	sse      bool       // answers text/event-stream
	raw      string     // answers this media type, schema-less
	body     any        // the JSON request body
	upload   bool       // the request body is a file, or a multipart form of files (an import)
	noActor  bool       // a write that names no actor: no X-Ledger-Actor (an import)
	resp     any        // the JSON answer
	statuses []int
}

// paramDoc is a parameter as the OpenAPI document states it.
type paramDoc struct {
	name, in, doc string
	required      bool
	schema        map[string]any
}

// viewParams are a view's options as parameters: each from the catalogue,
// with its documentation, its type and the values it takes.
func viewParams(v *query.View) []paramDoc {
	var out []paramDoc
	for _, p := range v.Params {
		d := paramDoc{name: p.Name, in: "query", doc: p.Doc, required: p.Required, schema: paramSchema(p)}
		if p.Subject {
			d.in, d.required = "path", true
		}
		if p.Accept != nil && len(p.Values) > 0 {
			// Other spellings are taken too: the values are named, not enumerated.
			d.doc += "; one of " + strings.Join(p.Values, ", ")
		}
		out = append(out, d)
	}
	return out
}

// paramSchema is the JSON Schema of an option's value, from its kind.
func paramSchema(p query.Param) map[string]any {
	var s map[string]any
	switch p.Kind() {
	case query.KindBool:
		return map[string]any{"type": "boolean"}
	case query.KindNumber:
		return map[string]any{"type": "integer", "minimum": 0}
	default:
		s = map[string]any{"type": "string"}
	}
	if len(p.Values) > 0 && p.Accept == nil {
		s["enum"] = p.Values
	}
	if p.Kind() == query.KindList {
		return map[string]any{"type": "array", "items": s}
	}
	return s
}

// otherDocs describes the query parameters of the routes that are no view.
var otherDocs = map[string]paramDoc{
	"after":  {doc: "resume after this stream sequence (Last-Event-ID takes precedence); without either, the stream starts at the current position", schema: map[string]any{"type": "integer", "minimum": 0}},
	"format": {doc: "the tracker the export comes from: " + strings.Join(command.ImportFormats(), ", "), required: true, schema: map[string]any{"type": "string", "enum": command.ImportFormats()}},
	"url":    {doc: "the tracker's base address, for links to its issues (a Bugzilla export names none): replaces the map file's url", schema: map[string]any{"type": "string"}},
	"token":  {doc: "a feed's token, for a feed reader that can send neither Authorization: Bearer nor Basic credentials (the token as the password): it ends up in logs and the reader's settings, so give the reader a token of its own", schema: map[string]any{"type": "string"}},
	"dryRun": {doc: "true: answer the summary, with what would be written, and write nothing", schema: map[string]any{"type": "boolean"}},
}

// otherParams are query parameters of otherDocs.
func otherParams(names ...string) []paramDoc {
	var out []paramDoc
	for _, n := range names {
		d, ok := otherDocs[n]
		if !ok {
			panic("httpapi: parameter " + n + " has no documentation")
		}
		d.name, d.in = n, "query"
		out = append(out, d)
	}
	return out
}

// OpenAPI returns the OpenAPI 3.1 document of the API routes.
func (s *Server) OpenAPI() map[string]any {
	sg := &schemas{defs: map[string]any{}}
	paths := map[string]any{}
	for _, rt := range s.routes {
		if rt.page {
			continue
		}
		op := map[string]any{"summary": rt.doc.summary, "operationId": operationID(rt)}
		var params []any
		if strings.Contains(rt.pattern, "{p}") {
			params = append(params, map[string]any{"name": "p", "in": "path", "required": true, "description": "the product id", "schema": map[string]any{"type": "string"}})
		}
		for _, p := range rt.doc.params {
			param := map[string]any{"name": p.name, "in": p.in, "description": p.doc, "schema": p.schema}
			if p.required {
				param["required"] = true
			}
			params = append(params, param)
		}
		if rt.doc.csv {
			params = append(params, map[string]any{"name": "format", "in": "query", "description": "json (default) or csv; Accept: text/csv works too",
				"schema": map[string]any{"type": "string", "enum": []string{"json", "csv"}}})
		}
		if rt.doc.sse {
			params = append(params, map[string]any{"name": "Last-Event-ID", "in": "header", "description": "resume after this stream sequence; without it (or ?after), the stream starts at the current position", "schema": map[string]any{"type": "string"}})
		}
		if rt.auth == caller && rt.method == http.MethodPost && !rt.doc.noActor {
			params = append(params, map[string]any{"name": "X-Ledger-Actor", "in": "header", "description": "who is deciding: required in local mode (without tokens); with a token, the token's actor decides, and only a token made with --on-behalf may name another actor here (the event records who relayed it)", "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.doc.body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": sg.of(reflect.TypeOf(rt.doc.body))}}}
		}
		if rt.doc.upload {
			file := map[string]any{"type": "string", "contentMediaType": "application/octet-stream"}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"multipart/form-data": map[string]any{"schema": map[string]any{"type": "object", "required": []string{"export"},
					"properties": map[string]any{
						"export": map[string]any{"type": "array", "items": file, "description": "an export file; several are merged as the format merges them"},
						"map":    map[string]any{"type": "string", "contentMediaType": "application/json", "description": "the map file"},
					}}},
				"application/json":         map[string]any{"schema": map[string]any{"description": "the export as the tracker wrote it: any JSON document"}},
				"application/x-ndjson":     map[string]any{"schema": file},
				"application/octet-stream": map[string]any{"schema": file},
			}, "description": fmt.Sprintf("the export itself (any media type but a URL-encoded form), or a multipart form; at most %d MiB", MaxImportBody>>20)}
		}
		if rt.auth == public {
			op["security"] = []any{}
		}
		resps := map[string]any{}
		for _, code := range rt.doc.statuses {
			resps[strconv.Itoa(code)] = s.response(sg, rt, code)
		}
		op["responses"] = resps
		path := rt.pattern
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(rt.method)] = op
	}
	sg.of(reflect.TypeOf(ErrorBody{}))
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Decision Ledger API", "version": "1.0.0",
			"description": "The ledger's HTTP edge: the same actions, views, fields and error kinds as the CLI and the NATS service."},
		"paths":      paths,
		"components": map[string]any{"schemas": sg.defs},
	}
	if !s.local() {
		doc["components"].(map[string]any)["securitySchemes"] = map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}
		doc["security"] = []any{map[string]any{"bearer": []any{}}}
	}
	return doc
}

func (s *Server) response(sg *schemas, rt route, code int) map[string]any {
	desc := http.StatusText(code)
	if code == http.StatusServiceUnavailable && rt.doc.raw != "" {
		// /readyz says why it is not ready in plain text.
		return map[string]any{"description": desc, "content": map[string]any{rt.doc.raw: map[string]any{"schema": map[string]any{"type": "string"}}}}
	}
	if code >= 400 {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ErrorBody"}}}}
	}
	content := map[string]any{}
	switch {
	case rt.doc.sse:
		content["text/event-stream"] = map[string]any{"schema": map[string]any{"type": "string"}}
	case rt.doc.raw == "application/json":
		content[rt.doc.raw] = map[string]any{"schema": map[string]any{"type": "object"}}
	case rt.doc.raw != "":
		content[rt.doc.raw] = map[string]any{"schema": map[string]any{"type": "string"}}
	case rt.doc.resp != nil:
		content["application/json"] = map[string]any{"schema": sg.of(reflect.TypeOf(rt.doc.resp))}
	}
	if rt.doc.csv {
		content["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"}}
	}
	out := map[string]any{"description": desc, "content": content}
	if rt.doc.paged && code == http.StatusOK {
		out["headers"] = map[string]any{"Link": map[string]any{
			"description": `the pages around this one, as RFC 8288 links: <...?after=NEXT>; rel="next" while the list goes on, <...?after=PREV>; rel="prev" after the first page`,
			"schema":      map[string]any{"type": "string"}}}
	}
	return out
}

func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.method))
	for _, part := range strings.FieldsFunc(rt.pattern, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '.' }) {
		if part == "api" || part == "v1" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.OpenAPI())
}

// schemas turns Go types into JSON Schema (2020-12, as OpenAPI 3.1 uses
// it) by their json tags: named structs become components.
type schemas struct {
	defs map[string]any
}

var (
	timeType  = reflect.TypeOf(time.Time{})
	rawType   = reflect.TypeOf(json.RawMessage{})
	bytesType = reflect.TypeOf([]byte(nil))
	textType  = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
	jsonType  = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
)

func (sg *schemas) of(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"description": "any JSON value"}
	case t == bytesType:
		return map[string]any{"type": "string", "contentEncoding": "base64"} // as encoding/json writes them
	case t.Implements(textType) && !t.Implements(jsonType):
		return map[string]any{"type": "string"} // encoding/json writes its text (a position: "seq:120")
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := sg.of(t.Elem())
		return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": sg.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": sg.of(t.Elem())}
	case reflect.Interface:
		return map[string]any{"description": "the event's data: its fields depend on the event type"}
	case reflect.Struct:
		name := componentName(t)
		if _, ok := sg.defs[name]; !ok {
			sg.defs[name] = map[string]any{} // breaks cycles
			props, required := map[string]any{}, []string{}
			sg.fields(t, props, &required)
			sort.Strings(required)
			def := map[string]any{"type": "object", "properties": props}
			if len(required) > 0 {
				def["required"] = required
			}
			sg.defs[name] = def
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// fields adds t's JSON fields, flattening embedded structs as
// encoding/json does.
func (sg *schemas) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				sg.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = sg.of(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}

func componentName(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	if pkg == "httpapi" || pkg == "" {
		return t.Name()
	}
	r := []rune(pkg)
	r[0] = unicode.ToUpper(r[0])
	return string(r) + t.Name()
}
