package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// Identity is who a credential speaks for.
type Identity struct {
	// Actor is the actor the credential speaks for; LocalActor for the
	// local credential.
	Actor string
	// TokenID is the id of the token in the tokens file; "" when the
	// caller was authenticated otherwise (the local credential, a NATS
	// server's own users).
	TokenID string
	// Relay is the right to act for other actors.
	Relay bool
	// Audit is the right to have serve sign an audit checkpoint now.
	Audit bool
}

// Registry checks tokens against a tokens file and knows who may act for
// others. It re-reads the file when it changes,
// so that "ledger token add" and "ledger token revoke" take effect on a
// running serve; Watch also tells who was revoked, so that their
// connections can be closed at once. Safe for concurrent use.
type Registry struct {
	path string

	mu       sync.Mutex
	mod      time.Time
	size     int64
	loaded   bool
	tokens   []Token
	local    bool // serve keeps a local credential for the CLI
	required bool // tokens were seen: local mode is over for this run
	revoked  []func(Token)
}

// Open returns the registry of the tokens file at path. A missing file
// means local mode until a token is added; a file that cannot be parsed
// is an error.
func Open(path string) (*Registry, error) {
	r := &Registry{path: path}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Path is the tokens file.
func (r *Registry) Path() string { return r.path }

// reload re-reads the file when it changed and returns the tokens it no
// longer holds. Lock held.
func (r *Registry) reload() ([]Token, error) {
	st, err := os.Stat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		gone := r.tokens
		r.tokens, r.mod, r.size, r.loaded = nil, time.Time{}, 0, true
		return gone, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	if r.loaded && st.ModTime().Equal(r.mod) && st.Size() == r.size {
		return nil, nil
	}
	ts, err := ListTokens(r.path)
	if err != nil {
		return nil, err
	}
	now := make(map[string]bool, len(ts))
	for _, t := range ts {
		now[t.ID] = true
	}
	var gone []Token
	for _, t := range r.tokens {
		if !now[t.ID] {
			gone = append(gone, t)
		}
	}
	r.tokens, r.mod, r.size, r.loaded = ts, st.ModTime(), st.Size(), true
	if len(ts) > 0 {
		r.required = true
	}
	return gone, nil
}

// Local reports whether the ledger is in local mode: no token was ever
// made for it in this run, so the one user on loopback names whoever
// decides. Once a token exists, the mode is over until serve restarts,
// even if every token is revoked: revoking the last token must not open
// the ledger to anonymous callers.
func (r *Registry) Local() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.reload() // an unreadable file keeps what was last read
	return !r.required
}

// EnableLocal says that serve keeps a local credential in the data
// directory, for the CLI on the same machine: the NATS server
// authenticates it as LocalActor, who may act for anyone.
func (r *Registry) EnableLocal() {
	r.mu.Lock()
	r.local = true
	r.mu.Unlock()
}

// Identify returns the identity of a caller the NATS server
// authenticated as actor: its rights are the actor's (to relay: any of
// its tokens made with --on-behalf; to audit: any made with --audit), and
// the local credential has both.
func (r *Registry) Identify(actor string) Identity {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.reload()
	local := actor == LocalActor && r.local
	id := Identity{Actor: actor, Relay: local, Audit: local}
	for _, t := range r.tokens {
		if t.Actor == actor {
			id.Relay = id.Relay || t.OnBehalf
			id.Audit = id.Audit || t.Audit
		}
	}
	return id
}

// Authenticate returns the identity a token speaks for. user, when
// given (NATS's --user with the token as --password), must be that
// identity's actor. Every stored hash is compared in constant time, so
// that the time taken tells nothing about which one came close. The right
// to relay is the actor's: any of its tokens made with --on-behalf
// grants it.
func (r *Registry) Authenticate(user, secret string) (Identity, bool) {
	if secret == "" {
		return Identity{}, false
	}
	sum := sha256.Sum256([]byte(secret))
	r.mu.Lock()
	_, _ = r.reload()
	var t Token
	ok := false
	for _, tt := range r.tokens {
		if subtle.ConstantTimeCompare(sum[:], tt.hash) == 1 {
			t, ok = tt, true
		}
	}
	r.mu.Unlock()
	if !ok || (user != "" && user != t.Actor) {
		return Identity{}, false
	}
	id := r.Identify(t.Actor)
	id.TokenID = t.ID
	return id, true
}

// OnRevoke calls fn, from Watch's goroutine, for every token removed
// from the file from now on.
func (r *Registry) OnRevoke(fn func(Token)) {
	r.mu.Lock()
	r.revoked = append(r.revoked, fn)
	r.mu.Unlock()
}

// Watch re-reads the tokens file every interval until ctx ends and tells
// OnRevoke's functions of each token removed from it.
func (r *Registry) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		gone, _ := r.reload()
		fns := append([]func(Token){}, r.revoked...)
		r.mu.Unlock()
		for _, tok := range gone {
			for _, fn := range fns {
				fn(tok)
			}
		}
	}
}
