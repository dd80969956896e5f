package httpapi

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/hook"
)

// Hooks takes the trackers' webhook deliveries; *hook.Receiver is one.
type Hooks interface {
	// Deliver checks a delivery's signature and records what it adds
	// to the tracker's history. Errors wrap hook.ErrUnsigned for a
	// missing, wrong or stale signature; other refusals are
	// *domain.Error values. Safe for concurrent use.
	Deliver(ctx context.Context, d hook.Delivery) (hook.Result, error)
}

// MaxHookBody bounds a webhook delivery: GitHub's are at most 25 MB,
// those about an issue a few kilobytes.
const MaxHookBody = 25 << 20

// hookRoutes are the webhook URLs: /hooks/{tracker}/{id}, and
// /hooks/{tracker} for the one hook of the tracker whose secret a
// delivery bears. They need no token: the tracker's signature (or
// shared secret) authenticates the delivery, and the hook relays the
// decisions of the tracker's people (the events record it as relayedBy).
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
	res, err := s.cfg.Hooks.Deliver(ctx, hook.Delivery{Tracker: r.PathValue("tracker"), Hook: r.PathValue("id"),
		Header: r.Header, Query: r.URL.Query(), Body: body})
	if errors.Is(err, hook.ErrUnsigned) {
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
