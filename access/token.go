package access

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/decisionledger/ledger/domain"
)

// A tokens file holds one line per token: its id, the actor it speaks
// for, the SHA-256 of the token, when it was made and its rights beyond
// acting as its actor, each as a word: on-behalf for a token that may act
// for others, audit for one that may have serve sign a checkpoint:
//
//	3f9a1c2b nina sha256:6b86b273ff34fce19d6b804eff5a3f57... 2026-11-27T08:30:00Z
//	77e0c1d4 importer sha256:d4735e3a265e16eee03f59718b9b5d03... 2026-11-28T09:00:00Z on-behalf
//	9c41d2e0 compliance sha256:4e07408562bedb8b60ce05c1decfe3ad... 2026-11-28T09:05:00Z audit
//
// The token itself is printed once, by AddToken, and never stored: a copy
// of the file does not let anyone call the ledger. Lines starting with #
// are comments.

// Token is one line of a tokens file.
type Token struct {
	ID      string    `json:"id"`
	Actor   string    `json:"actor"`
	Created time.Time `json:"created"`
	// OnBehalf grants the right to act for other actors; the events then
	// record this token's actor as the one who relayed them.
	OnBehalf bool `json:"onBehalf,omitempty"`
	// Audit grants the right to have serve sign an audit checkpoint now
	// ("ledger audit checkpoint" while serve runs, and prove and export
	// without --checkpoint).
	Audit bool `json:"audit,omitempty"`
	hash  []byte
}

// Rights are what a token may do beyond acting as its own actor.
type Rights struct {
	// OnBehalf is the right to act for other actors (Token.OnBehalf).
	OnBehalf bool
	// Audit is the right to have serve sign a checkpoint (Token.Audit).
	Audit bool
}

// tokenPrefix marks ledger tokens, so that secret scanners find them.
const tokenPrefix = "ldg_"

// onBehalfWord marks a token with the right to act for others;
// auditWord one with the right to have serve sign a checkpoint.
const (
	onBehalfWord = "on-behalf"
	auditWord    = "audit"
)

// LocalActor is the identity of the local credential: the CLI on the
// machine that holds the data directory. No token may be made for it.
const LocalActor = "local"

// newSecret makes a random token.
func newSecret() (string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("cannot make a random token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(secret), nil
}

// AddToken makes a new random token for actor, appends its hash to the
// tokens file at path (creating it with mode 0600) and returns the token,
// which is shown to the user once. onBehalf grants it the right to act
// for other actors.
func AddToken(path, actor string, onBehalf bool, now time.Time) (secret string, t Token, err error) {
	return AddTokenWith(path, actor, Rights{OnBehalf: onBehalf}, now)
}

// AddTokenWith is AddToken with every right a token may be granted.
func AddTokenWith(path, actor string, rights Rights, now time.Time) (secret string, t Token, err error) {
	if err := domain.CheckID("actor", actor); err != nil {
		return "", Token{}, err
	}
	if actor == LocalActor {
		return "", Token{}, domain.Invalid("actor", "%q is the identity of the CLI on the machine that holds the data directory: choose another actor name", LocalActor)
	}
	if secret, err = newSecret(); err != nil {
		return "", Token{}, err
	}
	sum := sha256.Sum256([]byte(secret))
	t = Token{ID: hex.EncodeToString(sum[:4]), Actor: actor, Created: now.UTC().Truncate(time.Second),
		OnBehalf: rights.OnBehalf, Audit: rights.Audit, hash: sum[:]}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return "", Token{}, fmt.Errorf("cannot open the tokens file: %w", err)
	}
	if _, err := f.WriteString(t.line() + "\n"); err != nil {
		_ = f.Close()
		return "", Token{}, fmt.Errorf("cannot write the tokens file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", Token{}, fmt.Errorf("cannot write the tokens file: %w", err)
	}
	return secret, t, nil
}

func (t Token) line() string {
	s := fmt.Sprintf("%s %s sha256:%s %s", t.ID, t.Actor, hex.EncodeToString(t.hash), t.Created.Format(time.RFC3339))
	if t.OnBehalf {
		s += " " + onBehalfWord
	}
	if t.Audit {
		s += " " + auditWord
	}
	return s
}

// ListTokens reads the tokens file at path; a missing file lists none.
func ListTokens(path string) ([]Token, error) {
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
// A running serve closes their connections and event streams at once.
func RevokeToken(path, idOrActor string) ([]Token, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the tokens file: %w", err)
	}
	var keep bytes.Buffer
	var gone []Token
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
	if err := WriteSecretFile(path, keep.Bytes()); err != nil {
		return nil, err
	}
	return gone, nil
}

func parseTokens(path string, b []byte) ([]Token, error) {
	var out []Token
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		bad := fmt.Errorf("%s:%d: want \"ID ACTOR sha256:HASH CREATED [%s] [%s]\"", path, n+1, onBehalfWord, auditWord)
		if len(f) < 4 || len(f) > 6 || !strings.HasPrefix(f[2], "sha256:") {
			return nil, bad
		}
		var rights Rights
		for _, w := range f[4:] {
			switch {
			case w == onBehalfWord && !rights.OnBehalf:
				rights.OnBehalf = true
			case w == auditWord && !rights.Audit:
				rights.Audit = true
			default:
				return nil, bad
			}
		}
		h, err := hex.DecodeString(strings.TrimPrefix(f[2], "sha256:"))
		if err != nil || len(h) != sha256.Size {
			return nil, fmt.Errorf("%s:%d: the hash is not a SHA-256 in hex", path, n+1)
		}
		created, err := time.Parse(time.RFC3339, f[3])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: the creation time is not RFC 3339", path, n+1)
		}
		out = append(out, Token{ID: f[0], Actor: f[1], Created: created, OnBehalf: rights.OnBehalf, Audit: rights.Audit, hash: h})
	}
	return out, nil
}
