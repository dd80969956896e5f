package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/decisionledger/ledger/domain"
)

// ActorID maps a tracker login (an e-mail address, a user name, a Jira
// account id) to a ledger actor id: the map file's id for that login when
// it names one, else the login with every character an id cannot hold
// turned into '-', lower-cased; a login too long for an id, or with
// nothing left, ends in a hash of the login so that two logins never
// share an id. The same login always gets the same id.
func (m *Map) ActorID(login string) string {
	if p, ok := m.People[login]; ok && p.ID != "" {
		return p.ID
	}
	return DeriveID(login)
}

// Actor is the ledger id of a tracker person: the map file's id for
// their login, else one derived from the name the tracker shows (a Jira
// display name), else from the login. The login stays in every event's
// source.
func (m *Map) Actor(p User) string {
	if mp, ok := m.People[p.Login]; ok && mp.ID != "" {
		return mp.ID
	}
	if strings.TrimSpace(p.Name) != "" {
		return DeriveID(p.Name)
	}
	return DeriveID(p.Login)
}

// shortHash is eight hex digits of s, to tell two names apart.
func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

// DeriveID is ActorID without a map.
func DeriveID(login string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(login)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	id := strings.Trim(b.String(), "-_")
	if domain.ValidID(id) && len(id) <= 48 {
		return id
	}
	h := sha256.Sum256([]byte(login))
	suffix := hex.EncodeToString(h[:4])
	if len(id) > 48 {
		id = strings.TrimRight(id[:48], "-_")
	}
	if id == "" {
		return "user-" + suffix
	}
	return id + "-" + suffix
}

// ItemID builds an aggregate id from a prefix and a tracker key (1234,
// PROJ-12, owner/repo#7), keeping only what an id may hold.
func ItemID(prefix, key string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	id := b.String()
	if len(id) > domain.MaxIDLen {
		h := sha256.Sum256([]byte(key))
		id = id[:domain.MaxIDLen-9] + "-" + hex.EncodeToString(h[:4])
	}
	return id
}
