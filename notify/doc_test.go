package notify_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/notify"
)

// TestDocExample: the request docs/notify.md shows verifies with the
// secret it names, and its body is what the deliverer writes for that
// notification, byte for byte, so the docs cannot drift from the code.
func TestDocExample(t *testing.T) {
	b, err := os.ReadFile("../docs/notify.md")
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(b), "```http\n")
	require.True(t, ok, "no http example")
	block, _, _ = strings.Cut(block, "```")
	head, body, ok := strings.Cut(block, "\n\n")
	require.True(t, ok)
	body = strings.TrimSuffix(body, "\n")
	h := http.Header{}
	for _, line := range strings.Split(head, "\n")[1:] {
		k, v, ok := strings.Cut(line, ": ")
		require.True(t, ok, line)
		h.Add(k, v)
	}
	ts, err := strconv.ParseInt(h.Get(notify.HeaderTimestamp), 10, 64)
	require.NoError(t, err)
	_, err = notify.Verify(vectorSecret, h, []byte(body), time.Unix(ts, 0), time.Minute)
	require.NoError(t, err)
	assert.Contains(t, string(b), vectorSecret)

	var p notify.Payload
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	again, err := json.Marshal(p)
	require.NoError(t, err)
	assert.Equal(t, body, string(again))
}
