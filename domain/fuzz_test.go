package domain_test

import (
	"testing"
	"time"

	. "github.com/decisionledger/ledger/domain"
)

// FuzzGate reads arbitrary bytes as an envelope stored after the demo's
// history, as a rogue writer could put there: decoding never panics, an
// envelope that decodes re-encodes to one that decodes the same, and the
// validating fold either admits, quarantines or skips it without panic,
// leaving the product's business time where the rules allow.
//
//	go test ./domain -run '^$' -fuzz FuzzGate -fuzztime 30s
func FuzzGate(f *testing.F) {
	evs := history(f, nil)
	for _, e := range evs[:20] {
		f.Add(e.Stored.Data, e.Stored.Subject)
	}
	f.Add([]byte(`{"id":"x","type":"RoleAssigned","schema":1,"product":"checkout","aggregate":{"kind":"product","id":"checkout"},"actor":{"id":"m","role":"pm"},"occurredAt":"2099-01-01T00:00:00Z","data":{"actor":"m","role":"po"},"commandId":"f"}`), "ledger.checkout.product.checkout")
	f.Add([]byte(`not json`), "ledger.checkout.item.X")
	f.Fuzz(func(t *testing.T, data []byte, subject string) {
		e, err := Decode(data)
		if err == nil {
			b, err := Encode(e)
			if err != nil {
				t.Fatalf("decoded %s, cannot encode: %v", data, err)
			}
			if _, err := Decode(b); err != nil {
				t.Fatalf("re-encoded %s does not decode: %v", b, err)
			}
		}
		last := evs[len(evs)-1]
		e.Seq = last.Seq + 1
		e.Stored = &Stored{Subject: subject, Time: last.OccurredAt.Add(time.Hour), Data: data}
		g := NewGate(NewState("checkout"))
		for _, x := range evs {
			g.Admit(x)
		}
		before := g.State().LastAt
		for _, a := range append(g.Admit(e), g.Flush()...) {
			if a.Seq != e.Seq {
				t.Fatalf("the gate returned sequence %d for %d", a.Seq, e.Seq)
			}
		}
		if after := g.State().LastAt; after.After(last.OccurredAt.Add(time.Hour + MaxClockSkew)) {
			t.Fatalf("business time moved from %s to %s, past the stream's clock", before, after)
		}
	})
}
