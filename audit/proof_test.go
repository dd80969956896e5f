package audit

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
)

// TestProveThenCheck proves events of the demo history and checks the
// proofs as an auditor would: from the file bytes, with the verifier key.
func TestProveThenCheck(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	signed, _, err := SignNow(ctx, s, key)
	require.NoError(t, err)
	raws := readRaws(t, s)

	for _, seq := range []uint64{1, 2, 42, 64, 65, 100, 162, 163} {
		p, err := Prove(ctx, s, seq, signed)
		require.NoError(t, err, "prove %d", seq)
		b, err := p.Marshal()
		require.NoError(t, err)

		parsed, err := ParseProof(b)
		require.NoError(t, err)
		c, err := parsed.Check(verifier)
		require.NoError(t, err, "check %d", seq)
		assert.Equal(t, int64(eventstoretest.DemoEvents), c.Checkpoint.Size)
		assert.Equal(t, seq, c.Event.Seq)
		assert.Empty(t, c.Warning)
		assert.Equal(t, raws[seq-1].Data, c.Leaf.Data, "the proof carries the stored bytes")
		assert.Equal(t, raws[seq-1].Header["Ledger-Type"][0], c.Event.Type)
	}
}

// TestCheckFailsOnChangedByte changes each byte of a proof file in turn:
// check must fail, unless the change left the proof's meaning intact
// (JSON field names match case-insensitively, for one).
func TestCheckFailsOnChangedByte(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	signed, _, err := SignNow(ctx, s, key)
	require.NoError(t, err)
	p, err := Prove(ctx, s, 42, signed)
	require.NoError(t, err)
	good, err := p.Marshal()
	require.NoError(t, err)
	orig, err := ParseProof(good)
	require.NoError(t, err)

	// Named positions that must fail.
	at := func(field string, skip int) int {
		i := bytes.Index(good, []byte(field))
		require.GreaterOrEqual(t, i, 0, field)
		return i + len(field) + skip
	}
	sigLine := bytes.Index(good, []byte("— "))
	require.Positive(t, sigLine, "the signature line is in the proof")
	named := []struct {
		name string
		pos  int
	}{
		{"Seq", at(`"seq": `, 0)},
		{"Subject", at(`"subject": "ledger.`, 2)},
		{"MsgID", at(`"msgId": "`, 5)},
		{"Type", at(`"type": "`, 3)},
		{"PayloadStart", at(`"payload": "`, 0)},
		{"PayloadMiddle", at(`"payload": "`, 100)},
		{"LeafHash", at(`"leafHash": "`, 10)},
		{"TreeSize", at(`"treeSize": `, 1)},
		{"InclusionFirst", at(`"inclusion": [`, 10)},
		{"CheckpointOrigin", at(`"checkpoint": "`, 3)},
		{"CheckpointSize", at(`"checkpoint": "decisionledger/LEDGER\n`, 1)},
		{"CheckpointRoot", at(`"checkpoint": "decisionledger/LEDGER\n163\n`, 5)},
		{"CheckpointSignature", sigLine + 40},
	}
	for _, tc := range named {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(good)
			b[tc.pos] ^= 0x01
			p, err := ParseProof(b)
			if err == nil {
				_, err = p.Check(verifier)
			}
			assert.Error(t, err, "byte %d (%q) changed", tc.pos, good[tc.pos])
		})
	}

	// Every position.
	var failed, harmless int
	for i := range good {
		for _, flip := range []byte{0x01, 0x20} {
			b := bytes.Clone(good)
			b[i] ^= flip
			p, err := ParseProof(b)
			if err == nil {
				_, err = p.Check(verifier)
			}
			if err != nil {
				failed++
				continue
			}
			harmless++
			require.Equal(t, orig, p, "byte %d (%q ^ %#x) changed the proof yet check passed", i, good[i], flip)
		}
	}
	t.Logf("%d of %d single-byte changes fail check; the other %d leave the proof as it was", failed, failed+harmless, harmless)
	assert.Greater(t, failed, harmless*10)
}

func TestCheckRefuses(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	_, otherV := testKey(t, DefaultOrigin)
	signed, _, err := SignNow(ctx, s, key)
	require.NoError(t, err)
	p, err := Prove(ctx, s, 7, signed)
	require.NoError(t, err)

	cases := []struct {
		name string
		edit func(p *Proof)
		v    note.Verifier
		msg  string
	}{
		{"OK", func(*Proof) {}, verifier, ""},
		{"ErrOtherKey", func(*Proof) {}, otherV, "not signed by"},
		{"ErrPayload", func(p *Proof) { p.Payload = append(bytes.Clone(p.Payload), ' ') }, verifier, "leaf hash"},
		{"ErrPayloadAndLeafHash", func(p *Proof) {
			p.Payload = append(bytes.Clone(p.Payload), ' ')
			p.LeafHash = p.Leaf().Hash()
		}, verifier, "inclusion proof"},
		{"ErrSeq", func(p *Proof) { p.Seq = 8; p.LeafHash = p.Leaf().Hash() }, verifier, "inclusion proof"},
		{"ErrTreeSize", func(p *Proof) { p.TreeSize = 100 }, verifier, "tree of 100"},
		{"ErrProofHash", func(p *Proof) { p.Inclusion[0][3] ^= 1 }, verifier, "inclusion proof"},
		{"ErrProofShort", func(p *Proof) { p.Inclusion = p.Inclusion[1:] }, verifier, "inclusion proof"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var q Proof
			b, err := json.Marshal(p)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &q))
			tc.edit(&q)
			_, err = q.Check(tc.v)
			if tc.msg == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrProof)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestProveRefuses(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, _ := testKey(t, DefaultOrigin)
	tree := treeOf(readRaws(t, s))
	at100 := signTree(t, key, tree, 100)
	wrong := treeOf(readRaws(t, s)[1:])

	cases := []struct {
		name   string
		seq    uint64
		signed []byte
		msg    string
	}{
		{"OK", 100, at100, ""},
		{"ErrNotCovered", 101, at100, "does not cover sequence 101"},
		{"ErrPastEnd", 164, at100, "not in the stream"},
		{"ErrZero", 0, at100, "not in the stream"},
		{"ErrDiverged", 5, signTree(t, key, wrong, 100), "do not match checkpoint"},
		{"ErrNotACheckpoint", 5, []byte("x"), "not a signed checkpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Prove(ctx, s, tc.seq, tc.signed)
			if tc.msg == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}
