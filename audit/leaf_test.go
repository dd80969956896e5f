package audit

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/decisionledger/ledger/stored"
)

// TestLeafKnownAnswers pins the leaf layout documented in doc.go. The
// expected values were computed with the Python snippet given there, not
// with this package.
func TestLeafKnownAnswers(t *testing.T) {
	cases := []struct {
		name       string
		leaf       Leaf
		bytes, sum string
	}{
		{"OK", Leaf{Seq: 42, Subject: "ledger.checkout.item.PAY-7", MsgID: "01KE6P4YM0V65HCS36X20QXTKM", Type: "BacklogItemRanked",
			Data: []byte(`{"id":"01KE6P4YM0V65HCS36X20QXTKM"}`)},
			"6c65646765722d6c6561662d76310a000000000000002a0000001a6c65646765722e636865636b6f75742e6974656d2e5041592d370000001a30314b45365034594d3056363548435333365832305158544b4d000000114261636b6c6f674974656d52616e6b65643819b4cbac451c042fee4cf0d8f9b6fdf84445917802de9614543142075b2e01",
			"db66a6293c64862ce5c3042dfc6ed2e18c33818ffcc0a9454ef427440c24b40c"},
		{"Empty", Leaf{Seq: 1},
			"6c65646765722d6c6561662d76310a0000000000000001000000000000000000000000e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			"56f310cf68252b5d501987ea2ac5189a9a3bf78c24ca6d6c3c86b51392f01168"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.bytes, hex.EncodeToString(tc.leaf.Bytes()))
			h := tc.leaf.Hash()
			assert.Equal(t, tc.sum, hex.EncodeToString(h[:]))
		})
	}
}

// TestLeafCoversEveryField: changing any field changes the hash, and
// moving bytes between fields does too (the lengths are part of it).
func TestLeafCoversEveryField(t *testing.T) {
	base := Leaf{Seq: 7, Subject: "ledger.p.item.A", MsgID: "ID1", Type: "T", Data: []byte(`{}`)}
	cases := []struct {
		name string
		edit func(l *Leaf)
	}{
		{"Seq", func(l *Leaf) { l.Seq = 8 }},
		{"Subject", func(l *Leaf) { l.Subject = "ledger.p.item.B" }},
		{"MsgID", func(l *Leaf) { l.MsgID = "ID2" }},
		{"Type", func(l *Leaf) { l.Type = "U" }},
		{"Data", func(l *Leaf) { l.Data = []byte(`{ }`) }},
		{"ShiftSubjectIntoMsgID", func(l *Leaf) { l.Subject, l.MsgID = "ledger.p.item.", "AID1" }},
		{"ShiftMsgIDIntoType", func(l *Leaf) { l.MsgID, l.Type = "ID", "1T" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := base
			tc.edit(&l)
			assert.NotEqual(t, base.Hash(), l.Hash())
		})
	}
}

func TestLeafOfRaw(t *testing.T) {
	r := stored.Raw{Seq: 3, Subject: "ledger.p.item.A", Data: []byte("x"), Time: time.Now(),
		Header: map[string][]string{stored.HeaderMsgID: {"ID", "ignored"}, stored.HeaderType: {"T"}, "Other": {"not in the leaf"}}}
	assert.Equal(t, Leaf{Seq: 3, Subject: "ledger.p.item.A", MsgID: "ID", Type: "T", Data: []byte("x")}, LeafOf(r))
	r.Header = nil
	assert.Equal(t, Leaf{Seq: 3, Subject: "ledger.p.item.A", Data: []byte("x")}, LeafOf(r))
}
