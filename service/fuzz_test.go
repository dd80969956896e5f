package service_test

import (
	"testing"
	"unicode/utf8"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
	"github.com/decisionledger/ledger/service"
)

// FuzzDecodeRequest: the service's command and view decoders never panic,
// refuse with a kind, never an unclassified error, and accept only UTF-8
// (encoding/json would read anything else as U+FFFD).
//
//	go test ./service -run '^$' -fuzz FuzzDecodeRequest -fuzztime 30s
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{"action":"item.rank","product":"checkout","actor":"nina","args":{"id":"BNPL-3","top":true,"why":"w"}}`,
		`{"product":"checkout","asOf":"2026-04-01","status":"all"}`, `{"action":1}`, `[]`, ``, `{"a":1} {}`, "{\"product\":\"\xff\"}", `{"ACTION":"x"}`, `{"commandId":"\udcff"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := service.DecodeRequest(b)
		if err != nil && domain.KindOf(err) == domain.KindOther {
			t.Fatalf("unclassified refusal: %v", err)
		}
		if err == nil && !utf8.Valid(b) {
			t.Fatalf("accepted a request that is not UTF-8: %q", b)
		}
		o, err := query.DecodeOptions(b)
		if err != nil && domain.KindOf(err) == domain.KindOther {
			t.Fatalf("unclassified refusal: %v", err)
		}
		if err == nil && !utf8.Valid(b) {
			t.Fatalf("accepted options that are not UTF-8: %q", b)
		}
		if err == nil {
			for _, v := range query.Views {
				_ = o.Check(v)
			}
		}
	})
}
