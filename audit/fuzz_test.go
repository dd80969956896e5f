package audit

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// fuzzSigner and fuzzVerifier are a fixed key, used only here, so that the seed corpus holds validly signed
// checkpoints and proofs.
const (
	fuzzSigner   = "PRIVATE+KEY+decisionledger/LEDGER+2c4a0e35+AcrwOfe9iMmWTHyvRHn0d063gO+Egezh1cy+8H5aIIGM"
	fuzzVerifier = "decisionledger/LEDGER+2c4a0e35+Adh/UQbiHBwKtSuI+sZoFEuTDP2ymlZw54Sso0MF7M5w"
)

// fuzzSeeds builds a small ledger in memory and returns a signed
// checkpoint of it and a proof file for one of its events.
func fuzzSeeds(t testing.TB) (note.Verifier, []byte, []byte) {
	t.Helper()
	key, err := NewSigner(fuzzSigner)
	require.NoError(t, err)
	v, err := NewVerifier(fuzzVerifier)
	require.NoError(t, err)
	tree := &Tree{}
	var leaves []Leaf
	for i := range 11 {
		l := Leaf{Seq: uint64(i + 1), Subject: "ledger.p.item.A", MsgID: fmt.Sprintf("ID%d", i), Type: "BacklogItemAdded",
			Data: []byte(fmt.Sprintf(`{"id":"ID%d","type":"BacklogItemAdded"}`, i))}
		leaves = append(leaves, l)
		tree.Append(l.Hash())
	}
	signed := signTree(t, key, tree, 11)
	incl, err := tree.InclusionProof(6, 11)
	require.NoError(t, err)
	l := leaves[6]
	p := &Proof{Format: ProofFormat, Seq: l.Seq, Subject: l.Subject, MsgID: l.MsgID, Type: l.Type, Payload: l.Data,
		LeafHash: l.Hash(), TreeSize: 11, Inclusion: incl, Checkpoint: string(signed)}
	b, err := p.Marshal()
	require.NoError(t, err)
	_, err = p.Check(v)
	require.NoError(t, err, "the seed proof is valid")
	return v, signed, b
}

func FuzzParseProof(f *testing.F) {
	v, signed, proof := fuzzSeeds(f)
	f.Add(proof)
	f.Add(bytes.Replace(proof, []byte(`"payload": "`), []byte(`"payloadBase64": "`), 1))
	f.Add([]byte(`{"format":"decisionledger-proof-v1","seq":1,"treeSize":1,"payload":"","checkpoint":"` + "x" + `"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"seq":-1}`))
	f.Add([]byte(`{"inclusion":["AAAA"]}`))
	f.Add(signed)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProof(b)
		if err != nil {
			return
		}
		// Whatever parses can be checked without panicking, and written
		// back to the same proof.
		_, _ = p.Check(v)
		out, err := p.Marshal()
		require.NoError(t, err)
		again, err := ParseProof(out)
		require.NoError(t, err)
		require.Equal(t, p, again)
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	v, signed, _ := fuzzSeeds(f)
	f.Add(signed)
	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	f.Add(append(text, '\n'))
	f.Add(append(append(text, '\n'), "extension line\n"...))
	f.Add([]byte("o\n0\n" + tlog.Hash{}.String() + "\n"))
	f.Add([]byte("o\n1\n\n"))
	f.Add([]byte("\n\n\n"))
	f.Add([]byte("o\n1\nAAAA\n\n— o AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := ParseCheckpoint(b); err == nil {
			// The parser is strict: what it accepts is the canonical text.
			require.Equal(t, string(b), string(c.Text()))
			again, err := ParseCheckpoint(c.Text())
			require.NoError(t, err)
			require.Equal(t, c, again)
		}
		if c, err := OpenCheckpoint(b, v); err == nil {
			require.Equal(t, v.Name(), c.Origin)
		}
		_, _ = ParseSigned(b)
	})
}
