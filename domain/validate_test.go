package domain

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestValidIDIsThePattern holds ValidID to the pattern it was written
// from, on strings drawn near its edges (lengths around 64, the
// punctuation it allows and the bytes next to them, non-ASCII, a
// trailing newline).
func TestValidIDIsThePattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	for _, s := range []string{"", "a", "-a", "_a", "a-", "a_b", "PAY-7", "a.b", "a b", "a\n", "é", "a*", "a>",
		strings.Repeat("a", 64), strings.Repeat("a", 65), "0" + strings.Repeat("-", 63), "0" + strings.Repeat("-", 64)} {
		assert.Equal(t, pattern.MatchString(s), ValidID(s), "%q", s)
	}
	valid, any := []byte("aZz09AM_-"), []byte("aZz09AM_-.@`[{/:\x00\n \xff\xc3\xa9")
	r := rand.New(rand.NewSource(1))
	for range 100_000 {
		b := make([]byte, r.Intn(70))
		for i := range b {
			b[i] = valid[r.Intn(len(valid))]
		}
		if len(b) > 0 && r.Intn(2) == 0 {
			b[r.Intn(len(b))] = any[r.Intn(len(any))]
		}
		assert.Equal(t, pattern.MatchString(string(b)), ValidID(string(b)), "%q", b)
	}
}
