package access

import (
	"testing"
)

// FuzzParseTokens: a tokens file never panics the parser, and every token
// it accepts has an id, an actor and a full SHA-256.
//
//	go test ./access -run '^$' -fuzz FuzzParseTokens -fuzztime 30s
func FuzzParseTokens(f *testing.F) {
	f.Add([]byte("# id actor hash created\n3f9a1c2b nina sha256:" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 2026-12-01T09:00:00Z\n"))
	f.Add([]byte("x y sha256:zz 2026\n"))
	f.Add([]byte("\n\n#\n"))
	f.Add([]byte("77e0c1d4 importer sha256:" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 2026-12-01T09:00:00Z on-behalf\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := parseTokens("tokens", b)
		if err != nil {
			return
		}
		for _, tk := range ts {
			if tk.ID == "" || tk.Actor == "" || len(tk.hash) != 32 {
				t.Fatalf("accepted %+v from %q", tk, b)
			}
		}
	})
}
