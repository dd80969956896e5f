package notify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a Standard Webhooks secret: what follows is the
// base64 of the HMAC key.
const SecretPrefix = "whsec_"

// secretBytes is the size of the keys NewSecret makes (the specification
// asks for 24 to 64).
const secretBytes = 32

// NewSecret makes a random signing secret: whsec_ and the base64 of 32
// random bytes.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot make a random secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// key is the HMAC key of a secret: the base64-decoded part after whsec_.
func key(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(k) == 0 {
		return nil, errors.New("the secret is not whsec_ followed by base64")
	}
	return k, nil
}

// Sign returns the webhook-signature of a message: "v1," and the base64
// of HMAC-SHA256(key, id + "." + timestamp + "." + body), the timestamp
// in Unix seconds.
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	k, err := key(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(k, id, at.Unix(), body)), nil
}

func mac(k []byte, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(id))
	m.Write([]byte("."))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// ErrVerify is the error of every signature that does not check out.
var ErrVerify = errors.New("webhook signature does not verify")

// Verify checks a received message the way a stakeholder's receiver
// should: the headers are there, the timestamp is within tolerance of now
// (a replay of an old message fails), and one of the space-separated v1
// signatures is the secret's, compared in constant time. It returns the
// message's id.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) (string, error) {
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return "", fmt.Errorf("%w: missing %s, %s or %s", ErrVerify, HeaderID, HeaderTimestamp, HeaderSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: %s %q is not Unix seconds", ErrVerify, HeaderTimestamp, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return "", fmt.Errorf("%w: timestamp %s is more than %s from now", ErrVerify, ts, tolerance)
	}
	k, err := key(secret)
	if err != nil {
		return "", err
	}
	want := mac(k, id, sec, body)
	for _, s := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return id, nil
		}
	}
	return "", ErrVerify
}
