package notify_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/notify"
)

// The test vector the Standard Webhooks project publishes with its
// libraries (libraries/go/webhook_test.go, TestWebhookSign; the same in
// every language's tests).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignVector(t *testing.T) {
	got, err := notify.Sign(vectorSecret, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	require.NoError(t, err)
	assert.Equal(t, vectorSignature, got)
}

func vectorHeader() http.Header {
	h := http.Header{}
	h.Set(notify.HeaderID, vectorID)
	h.Set(notify.HeaderTimestamp, strconv.Itoa(vectorTimestamp))
	h.Set(notify.HeaderSignature, vectorSignature)
	return h
}

func TestVerify(t *testing.T) {
	at := time.Unix(vectorTimestamp, 0)
	for _, tc := range []struct {
		name   string
		change func(h http.Header) (secret, body string, now time.Time)
		ok     bool
	}{
		{"OK", func(http.Header) (string, string, time.Time) { return vectorSecret, vectorBody, at }, true},
		{"OKWithoutPrefix", func(http.Header) (string, string, time.Time) {
			return strings.TrimPrefix(vectorSecret, notify.SecretPrefix), vectorBody, at
		}, true},
		{"OKAmongOthers", func(h http.Header) (string, string, time.Time) {
			h.Set(notify.HeaderSignature, "v2,abc v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "+vectorSignature)
			return vectorSecret, vectorBody, at.Add(4 * time.Minute)
		}, true},
		{"ErrMissing", func(h http.Header) (string, string, time.Time) {
			h.Del(notify.HeaderSignature)
			return vectorSecret, vectorBody, at
		}, false},
		{"ErrWrongSecret", func(http.Header) (string, string, time.Time) {
			return "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY", vectorBody, at
		}, false},
		{"ErrChangedBody", func(http.Header) (string, string, time.Time) { return vectorSecret, `{"test": 2432232315}`, at }, false},
		{"ErrOtherID", func(h http.Header) (string, string, time.Time) {
			h.Set(notify.HeaderID, "msg_other")
			return vectorSecret, vectorBody, at
		}, false},
		{"ErrOldTimestamp", func(http.Header) (string, string, time.Time) {
			return vectorSecret, vectorBody, at.Add(6 * time.Minute)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := vectorHeader()
			secret, body, now := tc.change(h)
			id, err := notify.Verify(secret, h, []byte(body), now, 5*time.Minute)
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, h.Get(notify.HeaderID), id)
				return
			}
			assert.Error(t, err)
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, err := notify.NewSecret()
	require.NoError(t, err)
	b, err := notify.NewSecret()
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	assert.True(t, strings.HasPrefix(a, notify.SecretPrefix))
	at := time.Unix(1700000000, 0)
	sig, err := notify.Sign(a, "msg_1", at, []byte("{}"))
	require.NoError(t, err)
	h := http.Header{}
	h.Set(notify.HeaderID, "msg_1")
	h.Set(notify.HeaderTimestamp, "1700000000")
	h.Set(notify.HeaderSignature, sig)
	_, err = notify.Verify(a, h, []byte("{}"), at, time.Minute)
	assert.NoError(t, err)
	_, err = notify.Verify(b, h, []byte("{}"), at, time.Minute)
	assert.ErrorIs(t, err, notify.ErrVerify)
}
