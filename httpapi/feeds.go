package httpapi

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// atomType is the media type of an Atom feed (RFC 4287).
const atomType = "application/atom+xml"

// feedEntries is how many decisions a feed holds, the newest: a reader
// keeps what it saw, so a feed needs only what is new since it last read.
const feedEntries = 100

// feedRoutes are the Atom feeds of the decisions on requests: the
// product's, and one stakeholder's.
func (s *Server) feedRoutes() []route {
	stakeholder := paramDoc{name: "stakeholder", in: "path", required: true, schema: map[string]any{"type": "string"},
		doc: "the actor who submitted the requests, then .atom: sally.atom"}
	return []route{
		{method: http.MethodGet, pattern: "/feeds/{p}/requests.atom", auth: feedReader,
			doc: opDoc{summary: "an Atom feed of every decision on the product's requests (accepted, rejected, deferred, withdrawn) and of the delivery of the item a request became, newest first: who decided, in which role, why and the reason code",
				params: otherParams("token"), raw: atomType, statuses: []int{200, 304, 400, 401, 404}},
			h: s.serveProductFeed},
		{method: http.MethodGet, pattern: "/feeds/{p}/stakeholders/{stakeholder}", auth: feedReader,
			doc: opDoc{summary: "the Atom feed of the decisions on the requests one stakeholder submitted, as the product's feed words them",
				params: append([]paramDoc{stakeholder}, otherParams("token")...), raw: atomType, statuses: []int{200, 304, 400, 401, 404}},
			h: s.serveStakeholderFeed},
	}
}

// feedToken is the token of a feed reader that cannot send an
// Authorization: Bearer header: the password of HTTP Basic credentials
// (the user name is not read), else the token query parameter. A token in
// the URL ends up in the reader's settings, its sync service, proxies'
// and servers' logs and the browser's history: docs/feeds.md says to
// give each reader a token of its own, to revoke alone.
func feedToken(r *http.Request) string {
	if _, pw, ok := r.BasicAuth(); ok {
		return strings.TrimSpace(pw)
	}
	return strings.TrimSpace(r.URL.Query().Get("token"))
}

func (s *Server) serveProductFeed(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("p")
	s.serveFeed(w, r, feedSpec{product: p, path: "/feeds/" + url.PathEscape(p) + "/requests.atom",
		title: p + ": decisions on requests", page: "/p/" + url.PathEscape(p) + "/requests"})
}

func (s *Server) serveStakeholderFeed(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("p")
	actor, ok := strings.CutSuffix(r.PathValue("stakeholder"), ".atom")
	if !ok {
		s.writeError(w, r, &domain.Error{Kind: domain.KindNotFound, Field: "stakeholder",
			Msg: fmt.Sprintf("no feed %q: a stakeholder's feed is /feeds/%s/stakeholders/ACTOR.atom", r.PathValue("stakeholder"), p)})
		return
	}
	if err := domain.CheckID("stakeholder", actor); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.serveFeed(w, r, feedSpec{product: p, requester: actor,
		path:  "/feeds/" + url.PathEscape(p) + "/stakeholders/" + url.PathEscape(actor) + ".atom",
		title: p + ": decisions on the requests of " + actor,
		page:  "/p/" + url.PathEscape(p) + "/requests?requester=" + url.QueryEscape(actor)})
}

// feedSpec is what one feed shows.
type feedSpec struct {
	product   string
	requester string // "" for every request of the product
	path      string // the feed's own path, without the token
	title     string
	page      string // the dashboard's page of the same requests
}

func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, fs feedSpec) {
	for name := range r.URL.Query() {
		if name != "token" {
			s.writeError(w, r, domain.Malformed(name, "unknown parameter %q: a feed takes token only (or the token as the password of HTTP Basic credentials)", name))
			return
		}
	}
	// A feed for now is a function of the product's position (and of the
	// links' base): a reader polling between two decisions is answered
	// 304 from the position alone, without building the feed.
	base := baseURL(r)
	if lv, ok := s.cfg.Views.(liveViewer); ok {
		if pos, ok := lv.LiveAt(fs.product); ok {
			sum := sha256.Sum256([]byte(base + fs.path))
			etag := fmt.Sprintf(`"feed-%d-%s"`, pos, hex.EncodeToString(sum[:8]))
			w.Header().Set("ETag", etag)
			if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
				w.Header().Set("Cache-Control", "private, no-cache")
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	news, meta, err := s.requestDecisions(ctx, fs.product, fs.requester)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(news) > feedEntries {
		news = news[:feedEntries]
	}
	b, err := xml.MarshalIndent(atomFeedOf(base, fs, news, meta), "", " ")
	if err != nil {
		s.writeError(w, r, fmt.Errorf("encode the feed %s: %w", fs.path, err))
		return
	}
	w.Header().Set("Content-Type", atomType+"; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-cache")
	var out bytes.Buffer
	out.WriteString(xml.Header)
	out.Write(b)
	out.WriteByte('\n')
	_, _ = w.Write(out.Bytes())
}

// requestDecisions answers, from the requests and decisions views, the
// decisions a requester hears of (query.RequestDecisions), newest first:
// of the requests requester submitted, or of every request when it is
// empty. meta is the requests view's.
func (s *Server) requestDecisions(ctx context.Context, product, requester string) ([]query.RequestDecision, query.Meta, error) {
	rv, err := s.cfg.Views.View(ctx, query.ViewRequests, query.Options{Product: product, Requester: requester})
	if err != nil {
		return nil, query.Meta{}, err
	}
	rs := rv.(query.Requests)
	dv, err := s.cfg.Views.View(ctx, query.ViewDecisions, query.Options{Product: product, Type: query.RequestDecisionTypes})
	if err != nil {
		return nil, rs.Meta, err
	}
	return query.RequestDecisions(rs.Requests, dv.(query.Decisions).Decisions), rs.Meta, nil
}

// baseURL is the scheme and host the caller reached the server at, for
// the feed's links: a feed reader resolves nothing against the page it
// came from. serve speaks plain HTTP, so behind a proxy that terminates
// TLS the links follow the proxy's X-Forwarded-Proto and
// X-Forwarded-Host. Trusting them is safe here: they change only the
// links of the answer to the caller who sent them, which no shared cache
// keeps (Cache-Control: private).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(strings.TrimSpace(firstOf(r.Header.Get("X-Forwarded-Proto")))); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := strings.TrimSpace(firstOf(r.Header.Get("X-Forwarded-Host"))); h != "" && !strings.ContainsAny(h, "/?#@ ") {
		host = h
	}
	return scheme + "://" + host
}

// firstOf is the first of a header's comma-separated values: the one the
// proxy nearest the client set.
func firstOf(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return first
}

// The elements of an Atom feed that the ledger writes (RFC 4287).
type (
	atomFeed struct {
		XMLName   xml.Name      `xml:"http://www.w3.org/2005/Atom feed"`
		ID        string        `xml:"id"`
		Title     atomText      `xml:"title"`
		Subtitle  atomText      `xml:"subtitle"`
		Updated   string        `xml:"updated"`
		Links     []atomLink    `xml:"link"`
		Author    atomPerson    `xml:"author"`
		Generator atomGenerator `xml:"generator"`
		Entries   []atomEntry   `xml:"entry"`
	}
	atomEntry struct {
		ID         string         `xml:"id"`
		Title      atomText       `xml:"title"`
		Updated    string         `xml:"updated"`
		Published  string         `xml:"published"`
		Author     atomPerson     `xml:"author"`
		Links      []atomLink     `xml:"link"`
		Categories []atomCategory `xml:"category"`
		Content    atomText       `xml:"content"`
	}
	atomText struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	}
	atomLink struct {
		Rel   string `xml:"rel,attr"`
		Type  string `xml:"type,attr,omitempty"`
		Href  string `xml:"href,attr"`
		Title string `xml:"title,attr,omitempty"`
	}
	atomPerson struct {
		Name string `xml:"name"`
	}
	atomCategory struct {
		Term  string `xml:"term,attr"`
		Label string `xml:"label,attr,omitempty"`
	}
	atomGenerator struct {
		Text string `xml:",chardata"`
	}
)

func plain(s string) atomText { return atomText{Type: "text", Text: s} }

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// atomFeedOf words the decisions as an Atom feed whose links start with
// base.
func atomFeedOf(base string, fs feedSpec, news []query.RequestDecision, meta query.Meta) atomFeed {
	f := atomFeed{ID: nameUUID("feed " + fs.path), Title: plain(fs.title),
		Subtitle: plain("Who decided, in which role, why and the reason code; from the Decision Ledger"),
		Links: []atomLink{
			{Rel: "self", Type: atomType, Href: base + fs.path},
			{Rel: "alternate", Type: "text/html", Href: base + fs.page},
		},
		Author: atomPerson{Name: "Decision Ledger"}, Generator: atomGenerator{Text: "Decision Ledger"},
		Entries: []atomEntry{}}
	// The feed changed last when its newest decision was taken; a feed
	// with none yet stands as of the product's last event.
	switch {
	case len(news) > 0:
		f.Updated = atomTime(news[0].At)
	case meta.At != nil:
		f.Updated = atomTime(*meta.At)
	default:
		f.Updated = atomTime(time.Unix(0, 0))
	}
	for _, d := range news {
		f.Entries = append(f.Entries, atomEntryOf(base, fs.product, d))
	}
	return f
}

// decisionVerbs are how an entry's title says what was decided.
var decisionVerbs = map[string]string{
	domain.TypeRequestAccepted: "accepted", domain.TypeRequestRejected: "rejected",
	domain.TypeRequestDeferred: "deferred", domain.TypeRequestWithdrawn: "withdrawn",
	domain.TypeWorkDelivered: "delivered",
}

func atomEntryOf(base, product string, d query.RequestDecision) atomEntry {
	rq := d.Request
	verb := decisionVerbs[d.Type]
	if verb == "" {
		verb = strings.ToLower(domain.ShortType(d.Type))
	}
	what := verb
	switch {
	case d.Reason != "":
		what += " (" + string(d.Reason) + ")"
	case d.Kind == domain.KindItem:
		what += " as " + d.ID
	}
	page := base + "/p/" + url.PathEscape(product) + "/why/" + url.PathEscape(rq.ID)
	e := atomEntry{ID: eventURN(product, d.DecisionRow), Title: plain(rq.ID + " " + what + ": " + rq.Title),
		Updated: atomTime(d.At), Published: atomTime(d.At), Author: atomPerson{Name: d.Actor},
		Links:      []atomLink{{Rel: "alternate", Type: "text/html", Href: page, Title: rq.ID + " in the dashboard"}},
		Categories: []atomCategory{{Term: verb, Label: "decision"}, {Term: string(d.Role), Label: "role"}}}
	if d.Reason != "" {
		e.Categories = append(e.Categories, atomCategory{Term: string(d.Reason), Label: "reason"})
	}
	// The content is HTML, escaped into the feed: readers show paragraphs
	// of it, where they run plain text together.
	var c strings.Builder
	para := func(format string, args ...any) {
		c.WriteString("<p>" + html.EscapeString(fmt.Sprintf(format, args...)) + "</p>\n")
	}
	if d.Kind == domain.KindItem {
		e.Links = append(e.Links, atomLink{Rel: "related", Type: "text/html",
			Href: base + "/p/" + url.PathEscape(product) + "/why/" + url.PathEscape(d.ID), Title: d.ID + " in the dashboard"})
		para("The backlog item %s, which request %s became, was delivered by %s, in the role %s.", d.ID, rq.ID, d.Actor, d.Role)
	} else {
		para("Request %s was %s by %s, in the role %s.", rq.ID, verb, d.Actor, d.Role)
	}
	if d.Reason != "" {
		para("Reason code: %s.", d.Reason)
	}
	if d.Why != "" {
		para("Why: %s", d.Why)
	}
	if len(d.Changes) > 0 {
		para("What changed: %s.", strings.Join(d.Changes, "; "))
	}
	wait := ""
	if rq.Wait != "" {
		wait = " It waited " + rq.Wait + " for a decision."
	}
	para("The request: %q, submitted by %s on %s, is now %s.%s", rq.Title, rq.Requester, rq.SubmittedAt.UTC().Format(time.DateOnly), rq.Status, wait)
	if d.OutsideAuthority {
		para("Imported from the tracker, where %s decided without the role the ledger's rules require (outside authority).", d.Actor)
	} else if d.Source != nil {
		para("Imported from the tracker's history.")
	}
	para("Event %s, sequence %d.", d.EventID, d.Seq)
	e.Content = atomText{Type: "html", Text: c.String()}
	return e
}

// eventURN is an entry's id: the event's ULID, 128 bits, written as a
// UUID URN, so that the id never changes and names the one event (the
// decisions view's eventId). An event without a ULID, which the ledger
// does not write, is named by its product and sequence instead.
func eventURN(product string, d query.DecisionRow) string {
	id, err := ulid.Parse(d.EventID)
	if err != nil {
		return nameUUID(fmt.Sprintf("event %s %d", product, d.Seq))
	}
	return uuidURN(id[:])
}

// nameUUID is a name-based (version 5, RFC 9562) UUID URN of name, in a
// namespace of the ledger's own: the same name, the same id, wherever the
// server runs.
func nameUUID(name string) string {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8} // the URL namespace
	h := sha1.Sum(append(ns[:], "decisionledger:"+name...))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return uuidURN(h[:16])
}

func uuidURN(b []byte) string {
	x := hex.EncodeToString(b)
	return "urn:uuid:" + x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
