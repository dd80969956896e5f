package service_test

import (
	"testing"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// FuzzDecodeRequest: the service's command and view decoders never panic,
// and refuse with a kind, never an unclassified error.
//
//	go test ./service -run '^$' -fuzz FuzzDecodeRequest -fuzztime 30s
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{"action":"item.rank","product":"checkout","actor":"nina","args":{"id":"BNPL-3","top":true,"why":"w"}}`,
		`{"product":"checkout","asOf":"2026-04-01","status":"all"}`, `{"action":1}`, `[]`, ``, `{"a":1} {}`, "{\"product\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := service.DecodeRequest(b); err != nil && domain.KindOf(err) == domain.KindOther {
			t.Fatalf("unclassified refusal: %v", err)
		}
		o, err := query.DecodeOptions(b)
		if err != nil && domain.KindOf(err) == domain.KindOther {
			t.Fatalf("unclassified refusal: %v", err)
		}
		if err == nil {
			for _, v := range query.Views {
				_ = o.Check(v)
			}
		}
	})
}
