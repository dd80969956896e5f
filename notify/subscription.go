package notify

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// Subscription is one receiver to tell: a URL, the product whose requests
// it hears of, and optionally only some requesters' requests (Actors) or
// some kinds of notification (Types). The subscriptions file holds its
// secret; List never returns it.
type Subscription struct {
	ID      string    `json:"id"`
	Product string    `json:"product"`
	URL     string    `json:"url"`
	Actors  []string  `json:"actors,omitempty"`
	Types   []string  `json:"types,omitempty"`
	Created time.Time `json:"created"`
	// Secret signs the webhooks (whsec_...); empty in what List returns.
	Secret string `json:"secret,omitempty"`
}

// Wants reports whether the subscription asked to hear of n.
func (s Subscription) Wants(n query.Notification) bool {
	return (len(s.Actors) == 0 || slices.Contains(s.Actors, n.Requester)) &&
		(len(s.Types) == 0 || slices.Contains(s.Types, n.Type))
}

// durable is the name of the subscription's durable consumer.
func (s Subscription) durable() string { return DurablePrefix + s.ID }

// DurablePrefix starts the name of every subscription's durable consumer
// on the ledger's stream.
const DurablePrefix = "notify-"

// A subscriptions file is JSON: {"subscriptions": [...]}, mode 0600
// (it holds the secrets), replaced atomically on every change.
type file struct {
	Subscriptions []Subscription `json:"subscriptions"`
}

// fileMu serialises this process's changes to subscriptions files.
var fileMu sync.Mutex

// Add makes a subscription with a new id and secret, appends it to the
// file at path (created with mode 0600) and returns it, secret included.
// A type must be one of query.NotificationTypes; an actor a valid id.
func Add(path string, s Subscription, now time.Time) (Subscription, error) {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Subscription{}, domain.Invalid("url", "url %q is not an http:// or https:// URL", s.URL)
	}
	if err := domain.CheckID("product", s.Product); err != nil {
		return Subscription{}, err
	}
	for _, a := range s.Actors {
		if err := domain.CheckID("actor", a); err != nil {
			return Subscription{}, err
		}
	}
	types := query.NotificationTypes()
	for _, t := range s.Types {
		if !slices.Contains(types, t) {
			return Subscription{}, domain.Invalid("type", "unknown notification type %q: use one of %v", t, types)
		}
	}
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return Subscription{}, fmt.Errorf("cannot make a random id: %w", err)
	}
	s.ID = hex.EncodeToString(id)
	if s.Secret, err = NewSecret(); err != nil {
		return Subscription{}, err
	}
	s.Created = now.UTC()
	fileMu.Lock()
	defer fileMu.Unlock()
	f, err := read(path)
	if err != nil {
		return Subscription{}, err
	}
	f.Subscriptions = append(f.Subscriptions, s)
	return s, write(path, f)
}

// List returns the subscriptions of the file at path, without their
// secrets; a missing file lists none.
func List(path string) ([]Subscription, error) {
	f, err := read(path)
	if err != nil {
		return nil, err
	}
	for i := range f.Subscriptions {
		f.Subscriptions[i].Secret = ""
	}
	return f.Subscriptions, nil
}

// Remove deletes the subscription id from the file at path and returns
// it; a KindNotFound error when there is none. A running serve stops
// delivering to it and deletes its durable consumer.
func Remove(path, id string) (Subscription, error) {
	fileMu.Lock()
	defer fileMu.Unlock()
	f, err := read(path)
	if err != nil {
		return Subscription{}, err
	}
	i := slices.IndexFunc(f.Subscriptions, func(s Subscription) bool { return s.ID == id })
	if i < 0 {
		return Subscription{}, &domain.Error{Kind: domain.KindNotFound, Field: "subscription",
			Msg: fmt.Sprintf("no subscription %q in %s: see \"ledger notify list\"", id, path)}
	}
	gone := f.Subscriptions[i]
	gone.Secret = ""
	f.Subscriptions = slices.Delete(f.Subscriptions, i, i+1)
	return gone, write(path, f)
}

func read(path string) (file, error) {
	var f file
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("cannot read the subscriptions file: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("%s is not a subscriptions file: %w", path, err)
	}
	return f, nil
}

// write replaces the file at path atomically, mode 0600.
func write(path string, f file) error {
	if f.Subscriptions == nil {
		f.Subscriptions = []Subscription{}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return access.WriteSecretFile(path, append(b, '\n'))
}

// Registry is the subscriptions file as a running serve sees it: re-read
// when it changes, so that "ledger notify add" and "notify remove" take
// effect without a restart. Safe for concurrent use.
type Registry struct {
	path string

	mu   sync.Mutex
	mod  time.Time
	size int64
	subs []Subscription
}

// OpenRegistry returns the registry of the file at path; a missing file
// holds no subscription until one is added.
func OpenRegistry(path string) *Registry { return &Registry{path: path} }

// Path is the subscriptions file.
func (r *Registry) Path() string { return r.path }

// Subscriptions returns the file's subscriptions, secrets included,
// reading it again when it changed: nil when there is no file, empty when
// the file holds none. A file that cannot be read or parsed
// keeps what was last read, and the error says why.
func (r *Registry) Subscriptions() ([]Subscription, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := os.Stat(r.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.subs, r.mod, r.size = nil, time.Time{}, 0
		return nil, nil
	case err != nil:
		return slices.Clone(r.subs), fmt.Errorf("subscriptions file: %w", err)
	case st.ModTime().Equal(r.mod) && st.Size() == r.size && r.subs != nil:
		return slices.Clone(r.subs), nil
	}
	f, err := read(r.path)
	if err != nil {
		return slices.Clone(r.subs), err
	}
	r.subs, r.mod, r.size = f.Subscriptions, st.ModTime(), st.Size()
	if r.subs == nil {
		r.subs = []Subscription{}
	}
	return slices.Clone(r.subs), nil
}
