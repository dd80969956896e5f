package audit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// testKey generates a key pair named origin.
func testKey(t testing.TB, origin string) (*Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := GenerateKey(origin)
	require.NoError(t, err)
	s, err := NewSigner(skey)
	require.NoError(t, err)
	v, err := NewVerifier(vkey)
	require.NoError(t, err)
	require.Equal(t, vkey, s.VerifierKey(), "the signer derives its verifier key")
	return s, v
}

func TestCheckpointText(t *testing.T) {
	root := tlog.RecordHash([]byte("x"))
	c := Checkpoint{Origin: "decisionledger/LEDGER", Size: 163, Root: root}
	want := "decisionledger/LEDGER\n163\n" + root.String() + "\n"
	assert.Equal(t, want, string(c.Text()))
	got, err := ParseCheckpoint(c.Text())
	require.NoError(t, err)
	assert.Equal(t, c, got)

	c.Extensions = []string{"ext one", "ext two"}
	got, err = ParseCheckpoint(c.Text())
	require.NoError(t, err)
	assert.Equal(t, c, got)
}

func TestParseCheckpointRejects(t *testing.T) {
	root := tlog.RecordHash([]byte("x")).String()
	cases := []struct {
		name, text, msg string
	}{
		{"ErrNoNewline", "o\n1\n" + root, "newline"},
		{"ErrTwoLines", "o\n1\n", "lines"},
		{"ErrEmptyOrigin", "\n1\n" + root + "\n", "empty"},
		{"ErrSizeSign", "o\n+1\n" + root + "\n", "canonical"},
		{"ErrSizeLeadingZero", "o\n01\n" + root + "\n", "canonical"},
		{"ErrSizeNegative", "o\n-1\n" + root + "\n", "canonical"},
		{"ErrSizeHuge", "o\n99999999999999999999\n" + root + "\n", "canonical"},
		{"ErrRootShort", "o\n1\nAAAA\n", "root"},
		{"ErrRootNotBase64", "o\n1\n" + strings.Repeat("!", 44) + "\n", "root"},
		{"ErrRootUnpadded", "o\n1\n" + strings.TrimRight(root, "=") + "\n", "root"},
		{"ErrControl", "o\x01\n1\n" + root + "\n", "control"},
		{"ErrEmptyExtension", "o\n1\n" + root + "\n\n", "empty"},
		{"ErrNotUTF8", "o\xff\n1\n" + root + "\n", "UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCheckpoint([]byte(tc.text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestSignAndOpenCheckpoint(t *testing.T) {
	signer, verifier := testKey(t, "decisionledger/test")
	other, otherV := testKey(t, "decisionledger/test")
	c := Checkpoint{Origin: "decisionledger/test", Size: 10, Root: tlog.RecordHash([]byte("r"))}
	signed, err := SignCheckpoint(c, signer)
	require.NoError(t, err)
	forged, err := SignCheckpoint(c, other)
	require.NoError(t, err)

	edited := bytes.Replace(signed, []byte("\n10\n"), []byte("\n11\n"), 1)
	require.NotEqual(t, signed, edited)
	wrongOrigin := Checkpoint{Origin: "decisionledger/other", Size: 10, Root: c.Root}

	cases := []struct {
		name      string
		signed    []byte
		verifiers []note.Verifier
		msg       string
	}{
		{"OK", signed, []note.Verifier{verifier}, ""},
		{"OKAnyOfTwoKeys", signed, []note.Verifier{otherV, verifier}, ""},
		{"OKCRLF", bytes.ReplaceAll(signed, []byte("\n"), []byte("\r\n")), []note.Verifier{verifier}, ""},
		{"ErrOtherKey", forged, []note.Verifier{verifier}, "not signed by key decisionledger/test+"},
		{"ErrEdited", edited, []note.Verifier{verifier}, "does not match the text"},
		{"ErrNoKey", signed, nil, "none given"},
		{"ErrNotANote", c.Text(), []note.Verifier{verifier}, "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OpenCheckpoint(tc.signed, tc.verifiers...)
			if tc.msg == "" {
				require.NoError(t, err)
				assert.Equal(t, c, got)
				return
			}
			require.ErrorIs(t, err, ErrSignature)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}

	_, err = SignCheckpoint(wrongOrigin, signer)
	assert.ErrorContains(t, err, "origin")

	got, err := ParseSigned(forged)
	require.NoError(t, err, "ParseSigned reads without verifying")
	assert.Equal(t, c, got)
}

// TestOpenCheckpointOriginMustBeKeyName: a checkpoint signed by a trusted
// key is still refused when it claims another log's origin.
func TestOpenCheckpointOriginMustBeKeyName(t *testing.T) {
	signer, verifier := testKey(t, "decisionledger/a")
	text := Checkpoint{Origin: "decisionledger/b", Size: 1, Root: tlog.RecordHash(nil)}.Text()
	signed, err := note.Sign(&note.Note{Text: string(text)}, signer)
	require.NoError(t, err)
	_, err = OpenCheckpoint(signed, verifier)
	require.ErrorIs(t, err, ErrSignature)
	assert.Contains(t, err.Error(), "origin")
}

func TestKeys(t *testing.T) {
	cases := []struct {
		name, origin string
		ok           bool
	}{
		{"OK", DefaultOrigin, true},
		{"OKHost", "ledger.example.com/checkout", true},
		{"ErrEmpty", "", false},
		{"ErrSpace", "a b", false},
		{"ErrPlus", "a+b", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			skey, vkey, err := GenerateKey(tc.origin)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(skey, "PRIVATE+KEY+"+tc.origin+"+"))
			assert.True(t, strings.HasPrefix(vkey, tc.origin+"+"))
		})
	}
	_, err := NewSigner("not a key")
	assert.ErrorContains(t, err, "keygen")
	_, vkey, err := GenerateKey(DefaultOrigin)
	require.NoError(t, err)
	_, err = NewSigner(vkey)
	assert.Error(t, err, "a verifier key is not a signer key")
	_, err = NewVerifier("PRIVATE+KEY+x")
	assert.ErrorContains(t, err, "keygen")
}
