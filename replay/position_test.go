package replay_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/replay"
)

func TestParsePosition(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want replay.Position
		str  string
	}{
		{"Date", "2026-04-01", replay.Position{At: time.Date(2026, 4, 1, 23, 59, 59, 999999999, time.UTC)}, "2026-04-01T23:59:59.999999999Z"},
		{"RFC3339", "2026-04-01T14:30:00Z", replay.Position{At: time.Date(2026, 4, 1, 14, 30, 0, 0, time.UTC)}, "2026-04-01T14:30:00Z"},
		{"RFC3339Offset", "2026-04-01T16:30:00+02:00", replay.Position{At: time.Date(2026, 4, 1, 14, 30, 0, 0, time.UTC)}, "2026-04-01T14:30:00Z"},
		{"Seq", "seq:42", replay.Position{Seq: 42}, "seq:42"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := replay.ParsePosition(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.str, got.String())
			back, err := replay.ParsePosition(got.String())
			require.NoError(t, err)
			assert.Equal(t, got, back, "String reads back")
		})
	}
	for _, bad := range []string{"", "yesterday", "seq:", "seq:0", "seq:-1", "2026-13-01", "2026-04-01 14:30"} {
		t.Run("Err"+bad, func(t *testing.T) {
			_, err := replay.ParsePosition(bad)
			require.ErrorIs(t, err, domain.ErrInvalid)
			assert.Contains(t, err.Error(), "seq:42", "the message says what to write")
		})
	}
	assert.Equal(t, "latest", replay.Latest.String())
	assert.True(t, replay.Latest.IsLatest())
}
