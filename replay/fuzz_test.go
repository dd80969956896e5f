package replay_test

import (
	"testing"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/replay"
)

// FuzzParsePosition: an as-of position never panics the parser, a
// refusal is KindInvalid, and what it accepts writes back to text that
// parses to the same position.
//
//	go test ./replay -run '^$' -fuzz FuzzParsePosition -fuzztime 30s
func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"2026-04-01", "2026-04-01T14:30:00Z", "2026-04-01T14:30:00.123+02:00", "seq:42", "seq:0", "latest", "", "seq:18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := replay.ParsePosition(s)
		if err != nil {
			if domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("refusal of kind %v: %v", domain.KindOf(err), err)
			}
			return
		}
		q, err := replay.ParsePosition(p.String())
		if err != nil && !p.IsLatest() {
			t.Fatalf("%q parsed to %s, which does not parse: %v", s, p, err)
		}
		if err == nil && q.String() != p.String() {
			t.Fatalf("%q: %s reads back as %s", s, p, q)
		}
	})
}
