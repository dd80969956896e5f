package audit

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/decisionledger/ledger/stored"
)

// DefaultOrigin is the origin of a ledger's checkpoints, and the name of
// its signing key, when keygen is given none.
const DefaultOrigin = "decisionledger/" + stored.StreamName

// maxCheckpoint bounds the size of a checkpoint note the parsers accept.
const maxCheckpoint = 64 << 10

// Checkpoint is a C2SP tlog-checkpoint: the log's origin, the size of the
// tree and its root hash, and optional extension lines.
type Checkpoint struct {
	Origin     string
	Size       int64
	Root       tlog.Hash
	Extensions []string
}

// Text returns the checkpoint body: the origin, the decimal size and the
// base64 root hash on three lines, then the extension lines, each line
// ending in a newline.
func (c Checkpoint) Text() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// String describes the checkpoint in one line.
func (c Checkpoint) String() string {
	return fmt.Sprintf("%s size %d root %s", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpoint reads a checkpoint body (the text of a signed note,
// without its signatures). It is strict: a canonical size, a root of
// exactly 32 bytes, no empty or control-character lines.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	if len(text) > maxCheckpoint {
		return Checkpoint{}, fmt.Errorf("checkpoint is %d bytes, more than %d", len(text), maxCheckpoint)
	}
	if !utf8.Valid(text) {
		return Checkpoint{}, errors.New("checkpoint is not UTF-8")
	}
	s := string(text)
	if !strings.HasSuffix(s, "\n") {
		return Checkpoint{}, errors.New("checkpoint does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("checkpoint has %d lines, want origin, size and root hash", len(lines))
	}
	for i, l := range lines {
		if l == "" {
			return Checkpoint{}, fmt.Errorf("checkpoint line %d is empty", i+1)
		}
		if strings.ContainsFunc(l, unicode.IsControl) {
			return Checkpoint{}, fmt.Errorf("checkpoint line %d has a control character", i+1)
		}
	}
	var c Checkpoint
	c.Origin = lines[0]
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint size %q is not a canonical decimal number", lines[1])
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("checkpoint root %q is not a base64 %d-byte hash", lines[2], tlog.HashSize)
	}
	copy(c.Root[:], root)
	if len(lines) > 3 {
		c.Extensions = lines[3:]
	}
	return c, nil
}

// SignCheckpoint returns c as a signed note. The checkpoint's origin must
// be the signer's name, as C2SP requires.
func SignCheckpoint(c Checkpoint, signer note.Signer) ([]byte, error) {
	if c.Origin != signer.Name() {
		return nil, fmt.Errorf("checkpoint origin %q differs from the signing key's name %q", c.Origin, signer.Name())
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Text())}, signer)
	if err != nil {
		return nil, fmt.Errorf("signing checkpoint: %w", err)
	}
	return msg, nil
}

// ErrSignature is wrapped by OpenCheckpoint's error when the note is not
// signed by any of the verifier keys: forged, edited, or signed by
// another key.
var ErrSignature = errors.New("checkpoint signature not valid")

// OpenCheckpoint verifies a signed checkpoint against the verifier keys
// and parses it. A checkpoint is accepted when one of the keys signed it
// and its origin is that key's name.
func OpenCheckpoint(signed []byte, verifiers ...note.Verifier) (Checkpoint, error) {
	if len(signed) > maxCheckpoint {
		return Checkpoint{}, fmt.Errorf("checkpoint is %d bytes, more than %d", len(signed), maxCheckpoint)
	}
	n, err := note.Open(normalizeNewlines(signed), note.VerifierList(verifiers...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return Checkpoint{}, fmt.Errorf("%w: not signed by %s", ErrSignature, keyNames(verifiers))
		case errors.As(err, &invalid):
			return Checkpoint{}, fmt.Errorf("%w: the signature of key %s does not match the text (edited or forged)", ErrSignature, invalid.Name)
		}
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	if err := canonicalSigs(n.Sigs); err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	for _, s := range n.Sigs {
		if s.Name == c.Origin {
			return c, nil
		}
	}
	return Checkpoint{}, fmt.Errorf("%w: checkpoint origin %q is not the name of the key that signed it (%s)", ErrSignature, c.Origin, n.Sigs[0].Name)
}

// canonicalSigs refuses a signature whose base64 is not the canonical
// encoding of its bytes (stray low bits in the last character), so that a
// signed checkpoint has exactly one text.
func canonicalSigs(sigs []note.Signature) error {
	for _, s := range sigs {
		b, err := base64.StdEncoding.Strict().DecodeString(s.Base64)
		if err != nil || base64.StdEncoding.EncodeToString(b) != s.Base64 {
			return fmt.Errorf("signature of key %s is not canonical base64", s.Name)
		}
	}
	return nil
}

// ParseSigned reads a signed checkpoint without verifying its signature:
// for tools that only carry it on (prove); check verifies it.
func ParseSigned(signed []byte) (Checkpoint, error) {
	if len(signed) > maxCheckpoint {
		return Checkpoint{}, fmt.Errorf("checkpoint is %d bytes, more than %d", len(signed), maxCheckpoint)
	}
	_, err := note.Open(normalizeNewlines(signed), nil)
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return Checkpoint{}, fmt.Errorf("not a signed checkpoint note: %w", err)
	}
	return ParseCheckpoint([]byte(unverified.Note.Text))
}

// normalizeNewlines undoes a CRLF conversion (a checkpoint sent by mail or
// kept on Windows): notes are signed with LF line ends, and CR is never
// part of one.
func normalizeNewlines(b []byte) []byte {
	if bytes.Contains(b, []byte("\r\n")) {
		return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	}
	return b
}

func keyNames(vs []note.Verifier) string {
	if len(vs) == 0 {
		return "any given key (none given)"
	}
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
	}
	return "key " + strings.Join(names, " or ")
}

// GenerateKey returns a new Ed25519 signer key (secret) and its verifier
// key, both in the note package's text form, named origin. The name is the
// origin of every checkpoint the key signs.
func GenerateKey(origin string) (signer, verifier string, err error) {
	if origin == "" || strings.ContainsFunc(origin, unicode.IsSpace) || strings.Contains(origin, "+") {
		return "", "", fmt.Errorf("origin %q must be non-empty, with no spaces and no '+' (for example %s)", origin, DefaultOrigin)
	}
	return note.GenerateKey(rand.Reader, origin)
}

// NewVerifier reads a verifier key as GenerateKey writes it.
func NewVerifier(key string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(key))
	if err != nil {
		return nil, fmt.Errorf("not a verifier key (want <origin>+<hash>+<key>, as \"ledger audit keygen\" writes to PREFIX.pub): %w", err)
	}
	return v, nil
}
