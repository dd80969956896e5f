package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/decisionledger/ledger/command"
)

// HookDelivery is a tracker's webhook request as the server read it.
type HookDelivery struct {
	// Tracker and Hook are the URL's: /hooks/{tracker}[/{hook}].
	Tracker, Hook string
	Header        http.Header
	Query         url.Values
	Body          []byte
}

// Hooks takes the trackers' webhook deliveries (package hook, composed
// by package server).
type Hooks interface {
	// Deliver checks a delivery's signature and records what it adds to
	// the tracker's history, returning what it did (encoded as JSON).
	// A missing, wrong or stale signature is an error with a method
	// Unsigned() bool that says true; other refusals are *domain.Error
	// values. Safe for concurrent use.
	Deliver(ctx context.Context, d HookDelivery) (any, error)
}

// unsignedErr is the refusal of a delivery's signature.
type unsignedErr interface{ Unsigned() bool }

// MaxHookBody bounds a webhook delivery: GitHub's are at most 25 MB,
// those about an issue a few kilobytes.
const MaxHookBody = 25 << 20

// hookRoutes are the webhook URLs: /hooks/{tracker}/{id}, and
// /hooks/{tracker} for the one hook of the tracker whose secret a
// delivery bears. They need no token: the tracker's signature (or
// shared secret) authenticates the delivery, and the hook relays the
// decisions of the tracker's people (the events record it as relayedBy).
// They are not in the API document: trackers call them, not clients.
func (s *Server) hookRoutes() []route {
	if s.cfg.Hooks == nil {
		return nil
	}
	return []route{
		{method: http.MethodPost, pattern: "/hooks/{tracker}", auth: public, h: s.serveHook},
		{method: http.MethodPost, pattern: "/hooks/{tracker}/{id}", auth: public, h: s.serveHook},
	}
}

// serveHook answers a delivery: 200 with what it did (a duplicate or an
// ignored event too: the tracker must not retry it), 401 when it is not
// signed by the hook's secret.
func (s *Server) serveHook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxHookBody))
	if err != nil {
		s.writeError(w, r, s.importTooLarge())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), command.ImportTimeout)
	defer cancel()
	res, err := s.cfg.Hooks.Deliver(ctx, HookDelivery{Tracker: r.PathValue("tracker"), Hook: r.PathValue("id"),
		Header: r.Header, Query: r.URL.Query(), Body: body})
	var un unsignedErr
	if errors.As(err, &un) && un.Unsigned() {
		// No WWW-Authenticate of a bearer: a tracker signs, it has no token.
		writeJSON(w, http.StatusUnauthorized, errorBody(unauthenticated(err.Error())))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
