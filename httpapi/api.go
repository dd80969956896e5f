package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// RequestTimeout bounds the work on one view or command, as the NATS
// service bounds it; event streams run as long as the client stays.
const RequestTimeout = 30 * time.Second

// CommandBody is the body of POST /api/v1/products/{p}/commands: the NATS
// service's command body without product (the path names it) and actor
// (the caller is the actor).
type CommandBody struct {
	// Action names the decision: "item.rank", "request.reject", ...
	Action string `json:"action"`
	// Args are the action's fields, named like the CLI's long flags.
	Args json.RawMessage `json:"args,omitempty"`
	// CommandID makes the decision idempotent: a retry with the same id
	// is recorded once.
	CommandID string `json:"commandId,omitempty"`
	// At is when the decision was taken (RFC 3339 or YYYY-MM-DD); empty
	// for now.
	At string `json:"at,omitempty"`
}

// viewRoute is one read route of the API and the view it answers.
type viewRoute struct {
	path   string
	view   string
	params []string // query parameters, as query.Options names them
	csv    bool
	resp   any
}

var viewRoutes = []viewRoute{
	{"/api/v1/products", query.ViewProducts, nil, false, query.Products{}},
	{"/api/v1/products/{p}/backlog", query.ViewBacklog, []string{"asOf", "status"}, true, query.Backlog{}},
	{"/api/v1/products/{p}/roadmap", query.ViewRoadmap, []string{"asOf"}, true, query.Roadmap{}},
	{"/api/v1/products/{p}/requests", query.ViewRequests, []string{"asOf", "status", "requester"}, true, query.Requests{}},
	{"/api/v1/products/{p}/why/{id}", query.ViewWhy, []string{"asOf"}, false, query.Why{}},
	{"/api/v1/products/{p}/log", query.ViewLog, []string{"asOf"}, true, query.Log{}},
	{"/api/v1/products/{p}/compare", query.ViewCompare, []string{"plannedAsOf", "deliveredAsOf", "period", "level"}, true, query.Comparison{}},
	{"/api/v1/products/{p}/saydo", query.ViewSayDo, []string{"asOf"}, false, query.SayDo{}},
	{"/api/v1/products/{p}/diff", query.ViewDiff, []string{"from", "to"}, false, query.Changes{}},
	{"/api/v1/products/{p}/decisions", query.ViewDecisions, []string{"type", "item", "epic", "roadmap", "request", "actor", "role",
		"reason", "from", "to", "overrides", "outsideAuthority", "quarantined", "asOf"}, true, query.Decisions{}},
}

func (s *Server) apiRoutes() []route {
	var rs []route
	for _, v := range viewRoutes {
		v := v
		rs = append(rs, route{method: http.MethodGet, pattern: v.path, auth: caller,
			doc: opDoc{summary: "the " + v.view + " view, as the CLI prints it with --json", params: v.params, csv: v.csv,
				resp: v.resp, statuses: viewStatuses(v)},
			h: func(w http.ResponseWriter, r *http.Request) { s.serveView(w, r, v) }})
	}
	return append(rs,
		route{method: http.MethodPost, pattern: "/api/v1/products/{p}/commands", auth: caller,
			doc: opDoc{summary: "record a decision: the caller is the actor; 201 with the events recorded, 200 for a retry of a recorded commandId",
				body: CommandBody{}, resp: command.Output{}, statuses: []int{200, 201, 400, 401, 403, 404, 409, 413, 422}},
			h: s.serveCommand},
		route{method: http.MethodPost, pattern: "/api/v1/products/{p}/imports", auth: caller,
			doc: opDoc{summary: "import a tracker's history: the export as the body (JSON or JSON lines), or a multipart form with the parts export (one or more) and map; " +
				"the caller needs a token made with --on-behalf (or local mode), and the events record it as their relayer; 201 with the summary when events were written, 200 when nothing was new or on a dry run",
				params: importParams, upload: true, noActor: true, resp: command.ImportSummary{},
				statuses: []int{200, 201, 400, 401, 403, 404, 409, 413, 422}},
			h: s.serveImport},
		route{method: http.MethodGet, pattern: "/api/v1/products/{p}/events", auth: caller,
			doc: opDoc{summary: "server-sent events, one per stored event as the log shows it (id: is the stream sequence): without Last-Event-ID or ?after=N, a live feed of the events stored from now on; with either, the events after that sequence, then the new ones; 503 when the server streams to as many clients as it may at once",
				params: []string{"after"}, sse: true, statuses: []int{200, 400, 401, 404, 503}},
			h: s.serveEvents},
		route{method: http.MethodGet, pattern: "/api/openapi.json", auth: caller,
			doc: opDoc{summary: "this document", statuses: []int{200, 401}, raw: "application/json"},
			h:   s.serveOpenAPI},
		route{method: http.MethodGet, pattern: "/metrics", auth: caller,
			doc: opDoc{summary: "Prometheus metrics", statuses: []int{200, 401}, raw: "text/plain"},
			h:   promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP},
		route{method: http.MethodGet, pattern: "/healthz", auth: public,
			doc: opDoc{summary: "the process is up", statuses: []int{200}, raw: "text/plain"},
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				_, _ = io.WriteString(w, "ok\n")
			}},
		route{method: http.MethodGet, pattern: "/readyz", auth: public,
			doc: opDoc{summary: "200 once the live projections have caught up with the stream, 503 before", statuses: []int{200, 503}, raw: "text/plain"},
			h:   s.serveReady},
	)
}

func viewStatuses(v viewRoute) []int {
	if v.view == query.ViewProducts {
		return []int{200, 401}
	}
	if cacheable(v.view, query.Options{}) {
		return []int{200, 304, 400, 401, 404, 422} // 304: If-None-Match names the ETag of the answer for now
	}
	return []int{200, 400, 401, 404, 422}
}

// options reads a view's options from the query string: each parameter
// the route takes, by the name query.Options gives it. Anything else is
// refused, as the CLI refuses an unknown flag.
func options(r *http.Request, v viewRoute) (query.Options, error) {
	o := query.Options{Product: r.PathValue("p"), ID: r.PathValue("id")}
	q := r.URL.Query()
	set := map[string]*string{"asOf": &o.AsOf, "status": &o.Status, "requester": &o.Requester,
		"plannedAsOf": &o.PlannedAsOf, "deliveredAsOf": &o.DeliveredAsOf, "period": &o.Period,
		"level": &o.Level, "from": &o.From, "to": &o.To,
		"item": &o.Item, "epic": &o.Epic, "roadmap": &o.Roadmap, "request": &o.Request, "actor": &o.Actor,
		"role": &o.Role, "reason": &o.Reason}
	flags := map[string]*bool{"overrides": &o.Overrides, "outsideAuthority": &o.OutsideAuthority, "quarantined": &o.Quarantined}
	for name, vals := range q {
		switch {
		case name == "format":
			continue
		case name == "minSeq":
			n, err := strconv.ParseUint(vals[0], 10, 64)
			if err != nil {
				return o, domain.Malformed("minSeq", "minSeq must be a number, not %q", vals[0])
			}
			o.MinSeq = n
			continue
		case !oneOf(name, v.params):
			if len(v.params) == 0 {
				return o, domain.Malformed(name, "unknown parameter %q: the %s view takes none", name, v.view)
			}
			return o, domain.Malformed(name, "unknown parameter %q: the %s view takes %s", name, v.view, strings.Join(v.params, ", "))
		case name == "type":
			o.Type = append(o.Type, vals...) // repeatable, as the CLI's --type
			continue
		case len(vals) > 1:
			return o, domain.Malformed(name, "parameter %q is given %d times: give it once", name, len(vals))
		case flags[name] != nil:
			b, err := strconv.ParseBool(vals[0])
			if err != nil {
				return o, domain.Malformed(name, "%s must be true or false, not %q", name, vals[0])
			}
			*flags[name] = b
			continue
		}
		*set[name] = vals[0]
	}
	return o, nil
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// wantCSV says whether the caller asked for CSV: ?format=csv, or
// Accept: text/csv without ?format.
func wantCSV(r *http.Request, v viewRoute) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		if !v.csv {
			return false, domain.Malformed("format", "the %s view has no CSV form: CSV is offered for backlog, roadmap, requests, log and compare", v.view)
		}
		return true, nil
	case "json":
		return false, nil
	case "":
		return v.csv && strings.Contains(r.Header.Get("Accept"), "text/csv"), nil
	default:
		return false, domain.Malformed("format", "format %q is not known: use json or csv", f)
	}
}

func (s *Server) serveView(w http.ResponseWriter, r *http.Request, v viewRoute) {
	o, err := options(r, v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	csvOut, err := wantCSV(r, v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	live, _ := s.cfg.Views.(liveViewer)
	keep := !csvOut && live != nil && cacheable(v.view, o)
	key := cacheKey(v.view, o)
	if keep {
		if pos, ok := live.LiveAt(o.Product); ok {
			var clock time.Time
			if c, ok := s.cfg.Views.(clocked); ok {
				clock = c.WaitingAt()
			}
			if e, ok := s.views.get(key, pos, o.MinSeq, clock); ok {
				s.metrics.viewCache.WithLabelValues(v.view, "hit").Inc()
				writeCached(w, r, e)
				return
			}
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	out, err := s.cfg.Views.View(ctx, v.view, o)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if pos, ok := positionOf(out); keep && ok {
		e, err := encodeView(pos, out)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.views.put(key, e)
		s.metrics.viewCache.WithLabelValues(v.view, "miss").Inc()
		writeCached(w, r, e)
		return
	}
	if csvOut {
		if err := writeCSV(w, v.view, o.Product, out); err != nil {
			s.logf("http %s: CSV: %v", r.URL.Path, err)
		}
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serveCommand(w http.ResponseWriter, r *http.Request) {
	body, err := s.decodeCommand(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := s.do(r, body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusCreated
	if out.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, out)
}

// do records a decision for the caller, counting refusals. In local mode
// the actor is X-Ledger-Actor's; with a token it is the token's, or the
// one X-Ledger-Actor names when the token may act for others (the event
// then records who relayed it).
func (s *Server) do(r *http.Request, b CommandBody) (command.Output, error) {
	actor, relay := actorOf(r), ""
	if id := identityOf(r); id != nil {
		var err error
		if actor, relay, err = access.Act(id, strings.TrimSpace(r.Header.Get("X-Ledger-Actor"))); err != nil {
			return command.Output{}, err
		}
	} else if actor == "" {
		return command.Output{}, unauthenticated("say who is deciding: send X-Ledger-Actor: <actor> (or make tokens with \"ledger token add ACTOR\" and send one as a bearer token)")
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	return s.cfg.Commands.Do(ctx, command.Request{Action: b.Action, Product: r.PathValue("p"),
		Actor: actor, RelayedBy: relay, CommandID: b.CommandID, At: b.At, Args: b.Args})
}

// decodeCommand reads the command body strictly: JSON only (which a
// cross-site form cannot send), at most MaxBody bytes, no unknown field.
func (s *Server) decodeCommand(w http.ResponseWriter, r *http.Request) (CommandBody, error) {
	var b CommandBody
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return b, domain.Malformed("Content-Type", "send the command as JSON with Content-Type: application/json, not %q", ct)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return b, tooLarge()
		}
		return b, domain.Malformed("", "cannot read the request body: %s", err.Error())
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return b, domain.Malformed("", "the body is empty: send {\"action\",\"args\",\"commandId\",\"at\"}")
	}
	err = domain.DecodeStrict(data, &b, "the body", func(name string) string {
		if name == "actor" || name == "product" {
			return name + " is not part of the body: the path names the product, and the caller is the actor (a token that may act for others names another with X-Ledger-Actor)"
		}
		return fmt.Sprintf("unknown field %q: a command has action, args, commandId and at", name)
	})
	return b, err
}

// serveReady answers 200 once every product's live projections have
// applied the stream's last event; it stays ready after that, since a
// lag during a burst of writes is not a reason to stop sending traffic.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	s.readyMu.Lock()
	ready := s.ready
	s.readyMu.Unlock()
	if !ready {
		msg, err := s.caughtUp(r)
		if err != nil || msg != "" {
			if err != nil {
				msg = err.Error()
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "not ready: "+msg+"\n")
			return
		}
		s.readyMu.Lock()
		s.ready = true
		s.readyMu.Unlock()
	}
	_, _ = io.WriteString(w, "ready\n")
}

func (s *Server) caughtUp(r *http.Request) (string, error) {
	v, err := s.cfg.Views.View(r.Context(), query.ViewProducts, query.Options{})
	if err != nil {
		return "", err
	}
	for _, p := range v.(query.Products).Products {
		head, applied, err := s.cfg.Views.Head(r.Context(), p)
		if err != nil {
			return "", err
		}
		if applied < head {
			return "product " + p + " is at sequence " + strconv.FormatUint(applied, 10) + " of " + strconv.FormatUint(head, 10), nil
		}
	}
	return "", nil
}
