package httpapi

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// A tokens file holds one line per bearer token: its id, the actor it
// speaks for, the SHA-256 of the token and when it was made:
//
//	3f9a1c2b nina sha256:6b86b273ff34fce19d6b804eff5a3f57... 2026-11-27T08:30:00Z
//
// The token itself is printed once, by AddToken, and never stored: a
// copy of the file does not let anyone call the API. Lines starting with
// # are comments.

// TokenInfo is one line of a tokens file.
type TokenInfo struct {
	ID      string    `json:"id"`
	Actor   string    `json:"actor"`
	Created time.Time `json:"created"`
	hash    []byte
}

// tokenPrefix marks ledger tokens, so that secret scanners find them.
const tokenPrefix = "ldg_"

// AddToken makes a new random token for actor, appends its hash to the
// tokens file at path (creating it with mode 0600) and returns the token,
// which is shown to the user once.
func AddToken(path, actor string, now time.Time) (token string, info TokenInfo, err error) {
	if err := domain.CheckID("actor", actor); err != nil {
		return "", TokenInfo{}, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", TokenInfo{}, fmt.Errorf("cannot make a random token: %w", err)
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(token))
	info = TokenInfo{ID: hex.EncodeToString(sum[:4]), Actor: actor, Created: now.UTC().Truncate(time.Second), hash: sum[:]}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return "", TokenInfo{}, fmt.Errorf("cannot open the tokens file: %w", err)
	}
	line := fmt.Sprintf("%s %s sha256:%s %s\n", info.ID, info.Actor, hex.EncodeToString(sum[:]), info.Created.Format(time.RFC3339))
	if _, err := f.WriteString(line); err != nil {
		_ = f.Close()
		return "", TokenInfo{}, fmt.Errorf("cannot write the tokens file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", TokenInfo{}, fmt.Errorf("cannot write the tokens file: %w", err)
	}
	return token, info, nil
}

// ListTokens reads the tokens file at path; a missing file lists none.
func ListTokens(path string) ([]TokenInfo, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the tokens file: %w", err)
	}
	return parseTokens(path, b)
}

// RevokeToken removes every token whose id or actor is idOrActor from the
// file at path and returns them; it is a KindNotFound error when none is.
func RevokeToken(path, idOrActor string) ([]TokenInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the tokens file: %w", err)
	}
	var keep bytes.Buffer
	var gone []TokenInfo
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		ts, err := parseTokens(path, []byte(line))
		if err != nil {
			return nil, err
		}
		if len(ts) == 1 && (ts[0].ID == idOrActor || ts[0].Actor == idOrActor) {
			gone = append(gone, ts[0])
			continue
		}
		keep.WriteString(line + "\n")
	}
	if len(gone) == 0 {
		return nil, &domain.Error{Kind: domain.KindNotFound, Field: "token",
			Msg: fmt.Sprintf("no token with id or actor %q in %s: see \"ledger token list\"", idOrActor, path)}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, keep.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("cannot write the tokens file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("cannot replace the tokens file: %w", err)
	}
	return gone, nil
}

func parseTokens(path string, b []byte) ([]TokenInfo, error) {
	var out []TokenInfo
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 || !strings.HasPrefix(f[2], "sha256:") {
			return nil, fmt.Errorf("%s:%d: want \"ID ACTOR sha256:HASH CREATED\"", path, n+1)
		}
		h, err := hex.DecodeString(strings.TrimPrefix(f[2], "sha256:"))
		if err != nil || len(h) != sha256.Size {
			return nil, fmt.Errorf("%s:%d: the hash is not a SHA-256 in hex", path, n+1)
		}
		created, err := time.Parse(time.RFC3339, f[3])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: the creation time is not RFC 3339", path, n+1)
		}
		out = append(out, TokenInfo{ID: f[0], Actor: f[1], Created: created, hash: h})
	}
	return out, nil
}

// Tokens checks bearer tokens against a tokens file. It re-reads the file
// when it changes, so that "ledger token revoke" takes effect on a
// running server. Safe for concurrent use.
type Tokens struct {
	path string

	mu     sync.Mutex
	mod    time.Time
	size   int64
	tokens []TokenInfo
}

// LoadTokens opens the tokens file at path; it must exist and parse.
func LoadTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tokens) reload() error {
	st, err := os.Stat(t.path)
	if err != nil {
		return fmt.Errorf("tokens file: %w", err)
	}
	if st.ModTime().Equal(t.mod) && st.Size() == t.size && t.tokens != nil {
		return nil
	}
	ts, err := ListTokens(t.path)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []TokenInfo{}
	}
	t.mod, t.size, t.tokens = st.ModTime(), st.Size(), ts
	return nil
}

// Actor returns the actor a token speaks for. Every stored hash is
// compared, in constant time, so that the time taken tells nothing about
// which one came close. ok is false for an unknown token.
func (t *Tokens) Actor(token string) (actor string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.reload() // an unreadable file keeps the tokens last read
	sum := sha256.Sum256([]byte(token))
	for _, ti := range t.tokens {
		if subtle.ConstantTimeCompare(sum[:], ti.hash) == 1 {
			actor, ok = ti.Actor, true
		}
	}
	return actor, ok
}
