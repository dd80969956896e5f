package domain_test

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/demo"
	. "github.com/decisionledger/ledger/domain"
)

// gateHistory is the demo history, signed, with a hole in it (a gap) and
// a forged event (quarantined), so that a gate folding it holds every
// kind of state.
func gateHistory(t *testing.T) []Event {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	evs := history(t, priv)
	for i := range evs {
		evs[i].Stored.HasPrev, evs[i].Stored.Prev = true, evs[i].Seq-1
	}
	forged := forge(t, evs[:60], Actor{ID: "mallory", Role: RolePO}, Aggregate{Kind: KindItem, ID: "BNPL-3"},
		BacklogItemRanked{Position: Position{Place: PlaceTop}}, evs[59].OccurredAt)
	forged.Seq = evs[60].Seq
	out := append(append([]Event(nil), evs[:40]...), evs[42:60]...)
	out = append(out, forged)
	return append(out, evs[61:]...)
}

// admitAll passes events through g and returns, for each, what came out
// as JSON: the events admitted or quarantined, in order.
func admitAll(t *testing.T, g *Gate, evs []Event) string {
	t.Helper()
	var out []string
	for _, e := range evs {
		for _, a := range g.Admit(e) {
			r, _ := QuarantineReason(a)
			b, err := json.Marshal(struct {
				Seq    uint64
				Type   string
				Reason string
			}{a.Seq, a.Type, r})
			require.NoError(t, err)
			out = append(out, string(b))
		}
	}
	b, err := json.Marshal(out)
	require.NoError(t, err)
	return string(b)
}

// TestGateBinaryRoundTrip cuts a history at every event, the middle of a
// decision of several events among them, and requires the gate restored
// from its binary form to be the gate restored from its JSON snapshot:
// the same JSON, the same binary again, and the same verdicts on the rest
// of the history.
func TestGateBinaryRoundTrip(t *testing.T) {
	evs := gateHistory(t)
	pending := 0
	for i := range len(evs) + 1 {
		g := NewReadGate(demo.Product)
		admitAll(t, g, evs[:i])
		if g.Pending() > 0 {
			pending++
		}
		bin, err := g.AppendBinary(nil)
		require.NoError(t, err)
		js, err := g.MarshalSnapshot()
		require.NoError(t, err)

		fromBin, err := RestoreGateBinary(demo.Product, bin)
		require.NoError(t, err, "cut at %d", i)
		fromJSON, err := RestoreGate(demo.Product, js)
		require.NoError(t, err)
		again, err := fromBin.MarshalSnapshot()
		require.NoError(t, err)
		assert.Equal(t, string(js), string(again), "cut at %d: the same state as JSON", i)
		binAgain, err := fromBin.AppendBinary(nil)
		require.NoError(t, err)
		assert.Equal(t, bin, binAgain, "cut at %d: the same bytes again", i)
		assert.Equal(t, g.Gaps(), fromBin.Gaps())
		assert.Equal(t, admitAll(t, fromJSON, evs[i:]), admitAll(t, fromBin, evs[i:]), "cut at %d: the same verdicts after", i)
	}
	assert.Positive(t, pending, "some cut falls inside a decision")
	whole := NewReadGate(demo.Product)
	assert.True(t, strings.Contains(admitAll(t, whole, evs), "it is not signed"), "the history has a quarantined event")
	assert.NotEmpty(t, whole.Gaps(), "and a gap")
	assert.True(t, whole.State().Signed)
}

// TestRestoreGateBinaryRefuses: another product, another version, every
// truncation and trailing bytes are refused with an error, never a panic,
// and so are flipped bytes that no longer decode.
func TestRestoreGateBinaryRefuses(t *testing.T) {
	g := NewReadGate(demo.Product)
	admitAll(t, g, history(t, nil))
	bin, err := g.AppendBinary(nil)
	require.NoError(t, err)

	_, err = RestoreGateBinary("other", bin)
	require.ErrorContains(t, err, `of product "checkout", not "other"`)
	other := append([]byte{0, byte(len("gatebin/0"))}, "gatebin/0"...)
	_, err = RestoreGateBinary(demo.Product, append(other, bin[2+len(GateBinaryVersion):]...))
	require.ErrorContains(t, err, "version")
	for i := range len(bin) {
		_, err := RestoreGateBinary(demo.Product, bin[:i])
		require.Error(t, err, "cut at %d of %d", i, len(bin))
	}
	_, err = RestoreGateBinary(demo.Product, append(append([]byte{}, bin...), 0))
	require.ErrorContains(t, err, "left over")
	for i := range len(bin) {
		flipped := append([]byte{}, bin...)
		flipped[i] ^= 0xff
		_, _ = RestoreGateBinary(demo.Product, flipped) // may decode to another state; must not panic
	}
}

// TestGateBinaryKeepsTimeZones: a business time in another zone than UTC
// comes back as the same instant in the same offset, so that what a
// restored state shows is what the fold shows.
func TestGateBinaryKeepsTimeZones(t *testing.T) {
	evs := history(t, nil)
	g := NewReadGate(demo.Product)
	admitAll(t, g, evs)
	zone := time.FixedZone("", 2*3600)
	g.State().LastAt = g.State().LastAt.In(zone)
	bin, err := g.AppendBinary(nil)
	require.NoError(t, err)
	r, err := RestoreGateBinary(demo.Product, bin)
	require.NoError(t, err)
	assert.True(t, g.State().LastAt.Equal(r.State().LastAt))
	assert.Equal(t, g.State().LastAt.Format(time.RFC3339Nano), r.State().LastAt.Format(time.RFC3339Nano))
}
