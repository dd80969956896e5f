package command_test

import (
	"encoding/json"
	"testing"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/demo"
	"github.com/decisionledger/ledger/domain"
)

// FuzzDecode feeds the command decoder every shape of request an edge
// may receive: it never panics, every refusal is a *domain.Error with a
// kind, and what it accepts encodes back to a request that decodes to the
// same command. Seeds: every demo command, and testdata/fuzz/FuzzDecode.
//
//	go test ./command -run '^$' -fuzz FuzzDecode -fuzztime 30s
func FuzzDecode(f *testing.F) {
	for _, c := range demo.Commands("checkout") {
		r, err := command.Encode(c)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := json.Marshal(r)
		f.Add(b)
	}
	f.Add([]byte(`{"action":"item.rank","product":"p","actor":"a","args":{"id":"X","top":true,"score":{"framework":"RICE","inputs":{"reach":1}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r command.Request
		if json.Unmarshal(b, &r) != nil {
			return
		}
		c, err := command.Decode(r)
		if err != nil {
			if domain.KindOf(err) == domain.KindOther {
				t.Fatalf("unclassified refusal %v", err)
			}
			return
		}
		back, err := command.Encode(c)
		if err != nil {
			t.Fatalf("accepted %s but cannot encode it: %v", b, err)
		}
		c2, err := command.Decode(back)
		if err != nil {
			t.Fatalf("%s decoded, encoded to %+v, which does not decode: %v", b, back, err)
		}
		if c.ID != c2.ID || c.Why != c2.Why || command.ActionName(c.Action) != command.ActionName(c2.Action) || !c.At.Equal(c2.At) {
			t.Fatalf("round trip changed the command: %+v -> %+v", c, c2)
		}
	})
}

// FuzzParseScore: score text never panics the parser, and what it
// accepts has a framework and inputs.
func FuzzParseScore(f *testing.F) {
	for _, s := range []string{"RICE:reach=500,impact=2,confidence=0.8,effort=3", "WSJF:bv=8,tc=5,rr=3,size=5", "RICE:reach=1,reach=2", "x:=", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := command.ParseScore(s)
		if err != nil {
			if domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("refusal of kind %v: %v", domain.KindOf(err), err)
			}
			return
		}
		if sc.Framework == "" || len(sc.Inputs) == 0 {
			t.Fatalf("accepted %q as %+v", s, sc)
		}
	})
}
