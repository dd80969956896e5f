package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/decisionledger/ledger/query"
)

// liveViewer is a Viewer that can tell, without asking the stream, the
// position its answer for now about a product would have;
// *query.Service with live projections is one.
type liveViewer interface {
	LiveAt(product string) (pos uint64, ok bool)
}

// viewCache keeps the encoded JSON of the latest backlog, roadmap and
// requests answers, by what was asked, for as long as the product's
// live projections stay at the position the answer was built at. A
// dashboard and its readers ask the same views again and again between
// two decisions; encoding a long backlog costs far more than writing it,
// so each answer is encoded once per position rather than once per
// reader. An answer for now is a function of the position (and the
// options), which is what makes keeping it exact rather than stale; the
// requests answer also counts pending requests' waiting to the minute of
// the query's clock, and is kept for that minute.
type viewCache struct {
	mu      sync.Mutex
	entries map[string]cachedView
}

type cachedView struct {
	pos  uint64
	body []byte
	etag string
	// clock is the minute a requests answer counted its pending
	// requests' waiting to (query.Requests.WaitingAt): the answer is exact
	// for that minute only. Zero for an answer that reads no clock.
	clock time.Time
}

// clocked is a Viewer whose answers for now count ages to a minute of
// its clock; *query.Service is one.
type clocked interface {
	WaitingAt() time.Time
}

// maxCachedViews bounds the cache; the key space (products, views,
// status and requester filters) is small, so when it is full the cache
// starts again rather than keeping track of use.
const maxCachedViews = 512

// cacheable reports whether an answer to o may be kept: a view of the
// Views for now, with no wait for a later write.
func cacheable(view string, o query.Options) bool {
	switch view {
	case query.ViewBacklog, query.ViewRoadmap, query.ViewRequests:
		return o.AsOf == ""
	}
	return false
}

func cacheKey(view string, o query.Options) string {
	return view + "\x00" + o.Product + "\x00" + o.Status + "\x00" + o.Requester
}

// get returns the answer kept for key if the product still stands at its
// position, it satisfies minSeq and, when it counted ages, it counted
// them to clock, the minute it is now.
func (c *viewCache) get(key string, pos, minSeq uint64, clock time.Time) (cachedView, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, ok && e.pos == pos && e.pos >= minSeq && (e.clock.IsZero() || e.clock.Equal(clock))
}

func (c *viewCache) put(key string, e cachedView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedViews {
		c.entries = map[string]cachedView{}
	}
	if old, ok := c.entries[key]; !ok || old.pos <= e.pos {
		c.entries[key] = e
	}
}

// positionOf returns the position an answer of a cacheable view was built
// at.
func positionOf(out any) (uint64, bool) {
	switch v := out.(type) {
	case query.Backlog:
		return v.Position, true
	case query.Roadmap:
		return v.Position, true
	case query.Requests:
		return v.Position, true
	}
	return 0, false
}

// encodeView encodes an answer the way writeJSON does, with its ETag.
func encodeView(pos uint64, out any) (cachedView, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(out); err != nil {
		return cachedView{}, err
	}
	sum := sha256.Sum256(buf.Bytes())
	e := cachedView{pos: pos, body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if r, ok := out.(query.Requests); ok && r.WaitingAt != nil {
		e.clock = *r.WaitingAt
	}
	return e, nil
}

// writeCached answers with an encoded view, or 304 Not Modified when the
// client already holds it (If-None-Match).
func writeCached(w http.ResponseWriter, r *http.Request, e cachedView) {
	h := w.Header()
	h.Set("ETag", e.etag)
	h.Set("Cache-Control", "no-cache") // keep it, but ask again: the ledger moves on
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(e.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(e.body)
}

// etagMatch reports whether an If-None-Match list names etag (or is *);
// the comparison is weak, as RFC 9110 asks of If-None-Match.
func etagMatch(list, etag string) bool {
	for _, tag := range strings.Split(list, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
