package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// csp allows scripts, styles and connections to this origin only: no
// inline script, no inline style, nothing fetched from elsewhere.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const (
	csrfCookie  = "ledger_csrf"
	tokenCookie = "ledger_token"
)

// pages renders the dashboard.
type pages struct {
	s    *Server
	tmpl map[string]*template.Template
}

var pageNames = []string{"overview", "backlog", "roadmap", "requests", "mine", "why", "compare", "decisions", "products", "error", "login"}

func newPages(s *Server) (*pages, error) {
	p := &pages{s: s, tmpl: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	return p, nil
}

var funcs = template.FuncMap{
	"date": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04")
		case *time.Time:
			if t == nil {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04")
		}
		return ""
	},
	"day": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"pct": func(f *float64) string {
		if f == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.0f%%", *f*100)
	},
	"num":  func(f *float64) string { return num(f) },
	"join": strings.Join,
	"q": func(kv ...string) template.URL {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				v.Set(kv[i], kv[i+1])
			}
		}
		if len(v) == 0 {
			return ""
		}
		return template.URL("?" + v.Encode())
	},
	"pathesc": url.PathEscape,
	// period is how a person reads a period: "mozilla34, 2014-12-01".
	"period":    domain.PeriodLabel,
	"isRelease": domain.IsRelease,
	"add":       func(a, b int) int { return a + b },
}

func (s *Server) pageRoutes() []route {
	p := s.pages
	page := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) route {
		return route{method: http.MethodGet, pattern: pattern, auth: caller, page: true, h: h}
	}
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	return []route{
		page("/{$}", p.products),
		page("/p/{p}/{$}", p.overview),
		page("/p/{p}/backlog", p.backlog),
		page("/p/{p}/roadmap", p.roadmap),
		page("/p/{p}/requests", p.requests),
		page("/p/{p}/mine", p.mine),
		page("/p/{p}/why/{id}", p.why),
		page("/p/{p}/compare", p.compare),
		page("/p/{p}/decisions", p.decisions),
		{method: http.MethodPost, pattern: "/p/{p}/requests/{id}/decide", auth: caller, page: true, h: p.decide},
		{method: http.MethodGet, pattern: "/static/", auth: public, page: true, h: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=3600")
			files.ServeHTTP(w, r)
		}},
		{method: http.MethodGet, pattern: "/login", auth: public, page: true, h: p.loginForm},
		{method: http.MethodPost, pattern: "/login", auth: public, page: true, h: p.login},
	}
}

// base is what the layout shows on every page.
type base struct {
	Title    string
	Nav      string
	Product  string
	Path     string
	AsOf     string // as the user wrote it
	AsOfDay  string // for the date picker
	Past     bool
	LiveURL  string // the event stream to follow; empty when showing the past
	CSRF     string
	Actor    string // the token's actor; empty in local mode
	Tokens   bool
	Actors   []actorRoles
	Warnings []string
	Flash    string
	Error    *ErrorDetail
	Feed     *feedLink // the page's Atom feed, for feed readers and browsers
	// Keep are the page's own query parameters that the as-of date
	// picker and its way back to now carry on (one value each).
	Keep url.Values
}

type actorRoles struct {
	ID    string
	Roles []string
}

func (p *pages) base(w http.ResponseWriter, r *http.Request, nav, title string) base {
	b := base{Title: title, Nav: nav, Product: r.PathValue("p"), Path: r.URL.Path, CSRF: csrfToken(w, r),
		Actor: actorOf(r), Tokens: !p.s.local(), AsOf: r.URL.Query().Get("asOf")}
	if d := r.URL.Query().Get("done"); flashText.MatchString(d) {
		// Only what decide redirects with: a link cannot make the page
		// say anything else.
		b.Flash = d
	}
	if b.AsOf != "" {
		b.Past = true
		if len(b.AsOf) >= 10 {
			if _, err := time.Parse(time.DateOnly, b.AsOf[:10]); err == nil {
				b.AsOfDay = b.AsOf[:10]
			}
		}
	}
	return b
}

// KeepQuery is Keep as a query string, "" when empty.
func (b base) KeepQuery() template.URL {
	if len(b.Keep) == 0 {
		return ""
	}
	return template.URL("?" + b.Keep.Encode())
}

// live points the page at the product's event stream from pos on, unless
// it shows the past.
func (b *base) live(pos uint64) {
	if b.Past || b.Product == "" {
		return
	}
	b.LiveURL = fmt.Sprintf("/api/v1/products/%s/events?after=%d", url.PathEscape(b.Product), pos)
}

func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := p.tmpl[name].Execute(&buf, data); err != nil {
		p.s.logf("dashboard %s: %v", name, err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// error shows err as a page with its status.
func (p *pages) error(w http.ResponseWriter, r *http.Request, err error) {
	b := errorBody(err)
	if b.Error.Code >= 500 {
		p.s.logf("dashboard %s %s: %v", r.Method, r.URL.Path, err)
	}
	data := struct {
		base
		Login bool
	}{base: p.base(w, r, "", http.StatusText(b.Error.Code)), Login: b.Error.Code == http.StatusUnauthorized}
	data.Error = &b.Error
	p.render(w, r, b.Error.Code, "error", data)
}

// options reads the options of a page's view from its query string as
// the API reads them: an unknown parameter, or a value the view does not
// take (?outsideAuthority=1, ?status=closed), is refused with 400 and
// the values it takes, never ignored. "done", the note decide leaves, is
// the pages' own.
func (p *pages) options(r *http.Request, view string, own ...string) (query.Options, error) {
	v, ok := query.Lookup(view)
	if !ok {
		return query.Options{}, fmt.Errorf("dashboard: no view %s", view)
	}
	return viewOptions(r, v, append(own, "done")...)
}

// pageSizes are the elements a dashboard list shows at once, unless
// ?limit= says otherwise: a long history is read a page at a time, with
// previous and next links, rather than as one page of megabytes. A
// roadmap page is larger: a period split over two pages reads worse than
// a long page.
var pageSizes = map[string]int{query.ViewRoadmap: 500}

// pageSize is what a page of the view shows by default.
func pageSize(view string) int {
	if n, ok := pageSizes[view]; ok {
		return n
	}
	return 100
}

// listOptions are a list page's options with its page size.
func (p *pages) listOptions(r *http.Request, view string) (query.Options, error) {
	o, err := p.options(r, view)
	if o.Limit == 0 {
		o.Limit = pageSize(view)
	}
	return o, err
}

// pager is the previous and next links of a dashboard list, and what the
// page shows.
type pager struct {
	Prev, Next string // the page's own URL with after set; "" for none
	Label      string
}

// pagerOf links the pages around answer, a page of a list.
func pagerOf(r *http.Request, answer any, shown int, what string) pager {
	pg, _ := query.PageOf(answer)
	var p pager
	if pg.Prev != "" {
		p.Prev = pageURL(r, pg.Prev)
	}
	if pg.Next != "" {
		p.Next = pageURL(r, pg.Next)
	}
	if p.Prev != "" || p.Next != "" {
		p.Label = fmt.Sprintf("%d %s on this page", shown, what)
		if pg.Total > 0 {
			p.Label = fmt.Sprintf("%d of %d %s on this page", shown, pg.Total, what)
		}
	}
	return p
}

// valuesOf lists the values an option of a view takes, for a page's
// select.
func valuesOf(v *query.View, option string) []string {
	p, _ := v.Param(option)
	return p.Values
}

// view answers a view for a page, with the page's as-of and minSeq.
func (p *pages) view(r *http.Request, name string, o query.Options) (any, error) {
	o.Product = r.PathValue("p")
	if v := r.URL.Query().Get("minSeq"); v != "" {
		fmt.Sscan(v, &o.MinSeq)
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	return p.s.cfg.Views.View(ctx, name, o)
}

func (p *pages) products(w http.ResponseWriter, r *http.Request) {
	o, err := p.listOptions(r, query.ViewProducts)
	if err != nil {
		p.error(w, r, err)
		return
	}
	v, err := p.s.cfg.Views.View(r.Context(), query.ViewProducts, o)
	if err != nil {
		p.error(w, r, err)
		return
	}
	ps := v.(query.Products).Products
	if len(ps) == 1 && o.After == "" {
		http.Redirect(w, r, "/p/"+url.PathEscape(ps[0])+"/", http.StatusSeeOther)
		return
	}
	p.render(w, r, http.StatusOK, "products", struct {
		base
		Products []string
		Pager    pager
	}{p.base(w, r, "", "Products"), ps, pagerOf(r, v, len(ps), "products")})
}

// actors returns who holds which role on the product, from its log, for
// the dashboard's actor picker.
func actors(l query.Log) []actorRoles {
	// The roles as the write state folds them: a PO handover revokes the
	// old PO in the same decision.
	var p domain.Product
	for _, e := range l.Entries {
		if e.Quarantined != "" {
			continue // a forged role grants nothing
		}
		p = domain.EvolveProduct(p, e.Event)
	}
	var out []actorRoles
	for a := range p.Roles {
		ar := actorRoles{ID: a}
		for _, r := range p.RolesOf(a) {
			ar.Roles = append(ar.Roles, string(r))
		}
		sort.Strings(ar.Roles)
		out = append(out, ar)
	}
	// The PO first: the one who decides requests here.
	sort.Slice(out, func(i, j int) bool {
		pi, pj := oneOf("po", out[i].Roles), oneOf("po", out[j].Roles)
		if pi != pj {
			return pi
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// csrfToken returns the CSRF token of the browser, setting the cookie
// that holds it the first time. Forms carry it back (double submit); a
// page on another site can neither read the cookie nor the form.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 64 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok})
	return tok
}

// checkCSRF refuses a form that does not carry the browser's CSRF token,
// or that comes from another origin.
func checkCSRF(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return &domain.Error{Kind: domain.KindUnauthorized, Field: "Origin", Msg: fmt.Sprintf("a form from %s may not record decisions here", o)}
		}
	}
	c, err := r.Cookie(csrfCookie)
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		return &domain.Error{Kind: domain.KindUnauthorized, Field: "csrf", Msg: "the form is stale or did not come from this dashboard: reload the page and try again"}
	}
	return nil
}

func (p *pages) loginForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, "login", struct{ base }{p.base(w, r, "", "Sign in")})
}

func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := checkCSRF(r); err != nil {
		p.error(w, r, err)
		return
	}
	if p.s.local() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	tok := strings.TrimSpace(r.PostFormValue("token"))
	if _, ok := p.s.cfg.Access.Authenticate("", tok); !ok {
		p.error(w, r, unauthenticated("that token is not known or was revoked"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: 30 * 86400})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// flashText is the note decide leaves after recording a decision.
var flashText = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63} (accepted|rejected|deferred)$`)

var done = map[string]string{"request.accept": "accepted", "request.reject": "rejected", "request.defer": "deferred"}

// decide records the PO's decision on a request from the requests page:
// accept into an item, reject with a reason code, or defer to a date,
// always with a why.
func (p *pages) decide(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			p.error(w, r, tooLarge())
			return
		}
		p.error(w, r, domain.Malformed("", "the form cannot be read: %s", err.Error()))
		return
	}
	if err := checkCSRF(r); err != nil {
		p.error(w, r, err)
		return
	}
	if p.s.local() {
		// Local mode: the picker names the actor, as X-Ledger-Actor does
		// for the API.
		r = r.WithContext(context.WithValue(r.Context(), actorKey, strings.TrimSpace(r.PostFormValue("actor"))))
	}
	id := r.PathValue("id")
	f := r.PostFormValue
	args := map[string]any{"id": id, "why": f("why")}
	var action string
	switch f("decision") {
	case "accept":
		action, args["item"] = "request.accept", f("item")
		if t := f("title"); t != "" {
			args["title"] = t
		}
	case "reject":
		action, args["reason"] = "request.reject", f("reason")
	case "defer":
		action, args["until"] = "request.defer", f("until")
	default:
		p.requestsPage(w, r, domain.Malformed("decision", "choose a decision: accept, reject or defer"))
		return
	}
	raw, err := command.MarshalArgs(args)
	if err == nil {
		err = command.Request{CommandID: f("commandId")}.CheckText()
	}
	if err != nil {
		p.requestsPage(w, r, err)
		return
	}
	out, err := p.s.do(r, CommandBody{Action: action, Args: raw, CommandID: f("commandId")})
	if err != nil {
		p.requestsPage(w, r, err)
		return
	}
	var seq uint64
	if n := len(out.Events); n > 0 {
		seq = out.Events[n-1].Seq
	}
	http.Redirect(w, r, fmt.Sprintf("/p/%s/requests?done=%s&minSeq=%d", url.PathEscape(r.PathValue("p")),
		url.QueryEscape(id+" "+done[action]), seq), http.StatusSeeOther)
}
