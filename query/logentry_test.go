package query

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
)

// TestLogEntryRoundTrip: an entry reads back from its JSON as it was
// written, whatever the message was, so that the log through the NATS
// service or HTTP is the log read from the stream.
func TestLogEntryRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC)
	good := domain.Event{ID: "01KEAW1M00DK0Z5R298CHH434F", Type: domain.TypeBacklogItemRanked, Schema: domain.SchemaV1, Product: "checkout",
		Aggregate: domain.Aggregate{Kind: domain.KindItem, ID: "B"}, Actor: domain.Actor{ID: "olga", Role: domain.RolePO}, OccurredAt: at,
		Why: "w", Data: domain.BacklogItemRanked{Position: domain.Position{Place: domain.PlaceTop}}, CommandID: "c"}
	goodBytes, err := domain.Encode(good)
	require.NoError(t, err)
	read := func(subject string, b []byte) domain.Event {
		e, _ := domain.Decode(b)
		e.Seq, e.Stored = 6, &domain.Stored{Subject: subject, Data: b}
		return e
	}
	cases := []struct {
		name    string
		e       domain.Event
		reason  string
		compact bool
	}{
		{"OK", read("ledger.checkout.item.B", goodBytes), "", false},
		{"Quarantined", read("ledger.checkout.item.B.Y", goodBytes), "stored under ledger.checkout.item.B.Y, but the envelope says ledger.checkout.item.B", false},
		{"Binary", read("ledger.checkout.item.A", []byte{0xff, 0}), "not a ledger event: 2 bytes of binary data, not JSON", true},
		{"Empty", read("ledger.checkout.item.A", []byte{}), "not a ledger event: 0 bytes of text that is not JSON", true},
		{"UnknownType", read("ledger.checkout.item.A", []byte(`{"type":"BacklogItemSplit","schema":1,"product":"checkout","data":{"x":1}}`)), `event type "BacklogItemSplit" (schema 1) is not one this version reads`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.reason != "" {
				require.Equal(t, tc.reason, domain.Screen(tc.e, "checkout"))
			}
			b, err := json.Marshal(NewLogEntry(tc.e, tc.reason))
			require.NoError(t, err)
			require.True(t, json.Valid(b), "%s", b)
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			if tc.compact {
				assert.ElementsMatch(t, []string{"seq", "subject", "quarantined", "raw"}, keys(m), "bytes that are no envelope: %s", b)
			}
			var back LogEntry
			require.NoError(t, json.Unmarshal(b, &back))
			again, err := json.Marshal(back)
			require.NoError(t, err)
			assert.JSONEq(t, string(b), string(again))
			assert.Equal(t, tc.reason, back.Quarantined)
			assert.Equal(t, tc.e.Seq, back.Seq)
		})
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
