package eventstore

import (
	"crypto/subtle"
	"errors"
	"net"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
)

// Authenticator decides who a client of the embedded server's listener
// is. Both methods are called concurrently.
type Authenticator interface {
	// Authenticate returns the actor that a secret (a token, given as
	// NATS's token or as the password with the actor as user) speaks for,
	// and the key that revokes it; ok is false for an unknown secret or
	// a user that is not the secret's actor.
	Authenticate(user, secret string) (actor, key string, ok bool)
	// Local reports whether clients without credentials are let in: the
	// ledger's local mode, with no token made.
	Local() bool
}

// listenerAuth is the embedded server's authentication: serve's own
// in-process connections log into their accounts with passwords made up
// for the run; every other client goes into the clients' account as the
// actor its token speaks for, or anonymously in local mode.
type listenerAuth struct {
	servePass, copierPass string
	clients               Authenticator // nil: anonymous clients only (local mode)
	// local is the local credential: the CLI on this machine reads it
	// from the data directory (owner.json) and is localUser, who may act
	// for anyone; "" without a listener.
	local, localUser string

	mu   sync.Mutex
	ns   *server.Server
	keys map[uint64]string // client id → the key that revokes its credential
}

func newListenerAuth(clients Authenticator) (*listenerAuth, error) {
	a := &listenerAuth{clients: clients, keys: map[uint64]string{}}
	var err error
	if a.servePass, err = randomPassword(); err != nil {
		return nil, err
	}
	if a.copierPass, err = randomPassword(); err != nil {
		return nil, err
	}
	return a, nil
}

// setServer says which server the connections are checked for; a new
// server (the store restarted it) has new client ids, so the keys of the
// old one's are forgotten.
func (a *listenerAuth) setServer(ns *server.Server) {
	a.mu.Lock()
	if a.ns != nil && a.ns != ns {
		a.keys = map[uint64]string{}
	}
	a.ns = ns
	a.mu.Unlock()
}

// Check implements server.Authentication.
func (a *listenerAuth) Check(c server.ClientAuthentication) bool {
	a.mu.Lock()
	ns := a.ns
	a.mu.Unlock()
	if ns == nil || c.Kind() != server.CLIENT {
		return false
	}
	o := c.GetOpts()
	if inProcess(c.RemoteAddress()) {
		// Only serve's own connections are in-process; their passwords
		// never leave this process.
		var acc string
		switch {
		case o.Username == serveUser && equal(o.Password, a.servePass):
			acc = StoreAccount
		case o.Username == copierUser && equal(o.Password, a.copierPass):
			acc = ClientsAccount
		default:
			return false
		}
		account, err := ns.LookupAccount(acc)
		if err != nil {
			return false
		}
		u := &server.User{Username: o.Username, Account: account}
		if acc == ClientsAccount {
			u.Permissions = copierPermissions()
		}
		c.RegisterUser(u)
		return true
	}
	if o.Username == serveUser || o.Username == copierUser {
		return false
	}
	account, err := ns.LookupAccount(ClientsAccount)
	if err != nil {
		return false
	}
	secret := o.Token
	if o.Password != "" {
		secret = o.Password
	}
	if secret == "" {
		if a.clients != nil && !a.clients.Local() {
			return false
		}
		c.RegisterUser(&server.User{Account: account, Permissions: clientPermissions()})
		return true
	}
	var actor, key string
	if a.local != "" && equal(secret, a.local) && (o.Username == "" || o.Username == a.localUser) {
		actor, key = a.localUser, a.localUser
	} else {
		if a.clients == nil {
			return false
		}
		var ok bool
		if actor, key, ok = a.clients.Authenticate(o.Username, secret); !ok {
			return false
		}
	}
	c.RegisterUser(&server.User{Username: actor, Account: account, Permissions: clientPermissions()})
	a.mu.Lock()
	a.keys[c.GetID()] = key
	if len(a.keys) > 2*ns.NumClients()+64 {
		a.pruneLocked()
	}
	a.mu.Unlock()
	return true
}

// pruneLocked forgets the keys of clients that are gone.
func (a *listenerAuth) pruneLocked() {
	cz, err := a.ns.Connz(&server.ConnzOptions{Limit: 1 << 20})
	if err != nil {
		return
	}
	live := make(map[uint64]bool, len(cz.Conns))
	for _, ci := range cz.Conns {
		live[ci.Cid] = true
	}
	for id := range a.keys {
		if !live[id] {
			delete(a.keys, id)
		}
	}
}

// disconnect closes every connection that authenticated with key.
func (a *listenerAuth) disconnect(key string) int {
	a.mu.Lock()
	var ids []uint64
	for id, k := range a.keys {
		if k == key {
			ids = append(ids, id)
			delete(a.keys, id)
		}
	}
	ns := a.ns
	a.mu.Unlock()
	n := 0
	for _, id := range ids {
		if ns != nil && ns.DisconnectClientByID(id) == nil {
			n++
		}
	}
	return n
}

// inProcess reports whether a connection is in-process: those have a
// pipe, not a network address.
func inProcess(addr net.Addr) bool {
	return addr == nil || addr.Network() == "pipe"
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Disconnect closes, at once, every listener connection that
// authenticated with the credential key revokes (the Authenticator's
// key), and returns how many it closed. A revoked token must not keep
// the connections it opened.
func (s *Store) Disconnect(key string) (int, error) {
	if s.auth == nil || s.clientURL == "" {
		return 0, errors.New("not an embedded store with a listener")
	}
	return s.auth.disconnect(key), nil
}
