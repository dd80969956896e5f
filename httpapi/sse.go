package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// Heartbeat is how often an idle event stream sends a comment, so that
// proxies keep it open and a dead client is noticed.
const Heartbeat = 15 * time.Second

// DefaultMaxEventStreams bounds the event streams a server serves at once
// unless Config.MaxEventStreams says otherwise: each holds a goroutine, a
// follower of the store and what the server sends ahead of it, so a
// crowd of clients must not grow the process without bound.
const DefaultMaxEventStreams = 256

// serveEvents streams the product's events as server-sent events: "id:"
// is the stream sequence and "data:" the event as the log view shows it
// (its type included). There is no "event:" field, so that a plain
// EventSource's onmessage hears every event. A live feed starts at the
// current position: a client without Last-Event-ID or ?after=N gets the
// events stored from now on, not the history. A client that reconnects
// sends Last-Event-ID (or ?after=N) and gets what it missed, read from
// the store a small batch at a time (eventstore's Follow), then new events
// as they are stored. Over MaxEventStreams streams at once, a client gets
// 503 and Retry-After.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	product := r.PathValue("p")
	after, resume, err := resumeAt(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := domain.CheckID("product", product); err != nil {
		s.writeError(w, r, err)
		return
	}
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		w.Header().Set("Retry-After", "5")
		s.writeError(w, r, tooManyStreams(cap(s.streams)))
		return
	}
	head, _, err := s.cfg.Views.Head(r.Context(), product)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if head == 0 {
		s.writeError(w, r, &domain.Error{Kind: domain.KindNotFound, Field: "product",
			Msg: fmt.Sprintf("product %q has no events: create it first", product)})
		return
	}
	if !resume {
		after = head
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, "retry: 1000\n: events of %s after %d\n\n", product, after)
	if err := rc.Flush(); err != nil {
		return
	}

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	evs := make(chan query.LogEntry, 64)
	go func() {
		defer close(evs)
		err := s.cfg.Views.Follow(ctx, product, after, func(e query.LogEntry) error {
			select {
			case evs <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil && ctx.Err() == nil {
			s.logf("http events of %q: %v", product, err)
		}
	}()
	beat := time.NewTicker(Heartbeat)
	defer beat.Stop()
	for {
		select {
		case e, ok := <-evs:
			if !ok {
				return
			}
			b, err := json.Marshal(e)
			if err != nil {
				// Never seen (an entry of bytes that are no event carries
				// them in base64); should one fail, say so and go on.
				s.logf("http events of %q: encode %d: %v", product, e.Seq, err)
				b, _ = json.Marshal(map[string]any{"seq": e.Seq, "quarantined": "the ledger could not encode it: " + err.Error()})
			}
			if _, err := fmt.Fprintf(w, "id: %d\ndata: %s\n\n", e.Seq, b); err != nil {
				return
			}
			// Send what is queued in one flush: a burst of events costs
			// one write to the network, not one per event.
			if len(evs) > 0 {
				continue
			}
			if rc.Flush() != nil {
				return
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// resumeAt reads where a stream resumes: Last-Event-ID, else ?after=N;
// resume is false when neither is given (the stream starts now).
func resumeAt(r *http.Request) (after uint64, resume bool, err error) {
	field, v := "Last-Event-ID", strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if v == "" {
		field, v = "after", r.URL.Query().Get("after")
	}
	for name := range r.URL.Query() {
		if name != "after" {
			return 0, false, domain.Malformed(name, "unknown parameter %q: the event stream takes after", name)
		}
	}
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, domain.Malformed(field, "%s must be a stream sequence (a number), not %q", field, v)
	}
	return n, true, nil
}
