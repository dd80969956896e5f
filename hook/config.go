package hook

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer/trackers"
)

// Hook is one tracker wired to one product.
type Hook struct {
	// ID names the hook in its URL (/hooks/github/ID) and in the events
	// it relays (RelayedBy).
	ID string `json:"id"`
	// Tracker is github, jira or bugzilla: the import format.
	Tracker string `json:"tracker"`
	// Product receives the history.
	Product string `json:"product"`
	// Secret signs (GitHub, Jira) or accompanies (Bugzilla, older Jira)
	// every delivery. Never shown by List.
	Secret string `json:"secret"`
	// Map is the map file (JSON), null for the format's defaults.
	Map json.RawMessage `json:"map,omitempty"`
	// Created is when the hook was made.
	Created time.Time `json:"created"`
}

// RelayedBy is who every event a hook records names as its relay.
func (h Hook) RelayedBy() string { return "hook-" + h.Tracker + "-" + h.ID }

// file is the hooks file's content.
type file struct {
	Hooks []Hook `json:"hooks"`
}

// Trackers lists the trackers a hook may be made for.
func Trackers() []string { return trackers.Names() }

// Add makes a hook of tracker for product with a new secret, appends it
// to the hooks file at path (made, mode 0600, when missing) and returns
// it, secret included: the one time it is shown.
func Add(path, tracker, product string, mapFile []byte, now time.Time) (Hook, error) {
	if !slices.Contains(Trackers(), tracker) {
		return Hook{}, domain.Malformed("tracker", "unknown tracker %q: use one of %v", tracker, Trackers())
	}
	if err := domain.CheckID("product", product); err != nil {
		return Hook{}, err
	}
	if len(bytes.TrimSpace(mapFile)) > 0 {
		f, _ := trackers.Lookup(tracker)
		if _, err := parseMap(mapFile, f); err != nil {
			return Hook{}, err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, mapFile); err != nil {
			return Hook{}, fmt.Errorf("the map file is not JSON: %w", err)
		}
		mapFile = compact.Bytes()
	} else {
		mapFile = nil
	}
	id, err := random(4)
	if err != nil {
		return Hook{}, err
	}
	secret, err := random(24)
	if err != nil {
		return Hook{}, err
	}
	h := Hook{ID: id, Tracker: tracker, Product: product, Secret: secret, Map: mapFile, Created: now.UTC().Truncate(time.Second)}
	err = update(path, func(f *file) error {
		f.Hooks = append(f.Hooks, h)
		return nil
	})
	return h, err
}

// List reads the hooks file at path; none when it does not exist.
func List(path string) ([]Hook, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hooks file: %w", err)
	}
	return parse(path, b)
}

// Remove takes the hook id out of the hooks file and returns it. Its
// deliveries stop being taken at once by a running serve; what they
// recorded stays in the ledger.
func Remove(path, id string) (Hook, error) {
	var gone Hook
	err := update(path, func(f *file) error {
		i := slices.IndexFunc(f.Hooks, func(h Hook) bool { return h.ID == id })
		if i < 0 {
			return &domain.Error{Kind: domain.KindNotFound, Field: "id", Msg: fmt.Sprintf("no hook %q in %s: \"ledger hook list\" shows them", id, path)}
		}
		gone = f.Hooks[i]
		f.Hooks = slices.Delete(f.Hooks, i, i+1)
		return nil
	})
	return gone, err
}

func parse(path string, b []byte) ([]Hook, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("hooks file %s cannot be read (%w): it is written by \"ledger hook add\"", path, err)
	}
	return f.Hooks, nil
}

// mu serialises this process's writes of hooks files.
var mu sync.Mutex

// update rewrites the hooks file atomically (a new file renamed over
// it), mode 0600: it holds the secrets.
func update(path string, fn func(*file) error) error {
	mu.Lock()
	defer mu.Unlock()
	hooks, err := List(path)
	if err != nil {
		return err
	}
	f := file{Hooks: hooks}
	if err := fn(&f); err != nil {
		return err
	}
	if f.Hooks == nil {
		f.Hooks = []Hook{}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return access.WriteSecretFile(path, append(b, '\n'))
}

func random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot make a random secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Registry is the hooks file as a running serve sees it: re-read when it
// changes, so that "ledger hook add" and "hook remove" take effect at
// once. Safe for concurrent use.
type Registry struct {
	path string

	mu    sync.Mutex
	mod   time.Time
	size  int64
	hooks []Hook
}

// Open returns the registry of the hooks file at path; a missing file
// holds no hook until one is added.
func Open(path string) (*Registry, error) {
	r := &Registry{path: path}
	if _, err := r.Hooks(); err != nil {
		return nil, err
	}
	return r, nil
}

// Hooks returns the hooks, re-reading the file when it changed. A file
// that became unreadable keeps what was last read, and says why.
func (r *Registry) Hooks() ([]Hook, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := os.Stat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		r.hooks, r.mod, r.size = nil, time.Time{}, 0
		return nil, nil
	}
	if err != nil {
		return r.hooks, fmt.Errorf("hooks file: %w", err)
	}
	if st.ModTime().Equal(r.mod) && st.Size() == r.size && r.hooks != nil {
		return r.hooks, nil
	}
	hooks, err := List(r.path)
	if err != nil {
		return r.hooks, err
	}
	if hooks == nil {
		hooks = []Hook{}
	}
	r.hooks, r.mod, r.size = hooks, st.ModTime(), st.Size()
	return hooks, nil
}

// equal compares secrets in constant time.
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
