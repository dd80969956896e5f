package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Signer is a checkpoint signing key together with its verifier key, so
// that a signer can check that a new checkpoint extends the ones it signed
// before.
type Signer struct {
	note.Signer
	verifier note.Verifier
	vkey     string
}

// Verifier returns the verifier of the key's signatures.
func (s *Signer) Verifier() note.Verifier { return s.verifier }

// VerifierKey returns the verifier key in text form, as GenerateKey
// writes it.
func (s *Signer) VerifierKey() string { return s.vkey }

// NewSigner reads a signer key as GenerateKey writes it
// (PRIVATE+KEY+<origin>+<hash>+<key>).
func NewSigner(key string) (*Signer, error) {
	key = strings.TrimSpace(key)
	const hint = `not a signer key (want PRIVATE+KEY+<origin>+<hash>+<key>, as "ledger audit keygen" writes to PREFIX.key)`
	ns, err := note.NewSigner(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", hint, err)
	}
	// note.NewSigner checked the form; derive the public half from the
	// seed after the algorithm byte.
	parts := strings.SplitN(key, "+", 5)
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return nil, fmt.Errorf("%s: key data", hint)
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(ns.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", hint, err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", hint, err)
	}
	return &Signer{Signer: ns, verifier: v, vkey: vkey}, nil
}
