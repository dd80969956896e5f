package domain

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeAsEqualsDecode: knowing the type from a header changes how
// an event is read, never what is read, whatever the header says.
func TestDecodeAsEqualsDecode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	inputs := [][]byte{
		[]byte(`not json`),
		[]byte(`{"type":"BacklogItemRanked","schema":1,"data":{"position":"nope"}}`),
		[]byte(`{"type":"BacklogItemRanked","schema":2,"data":{}}`),
		[]byte(`{"type":"WorkStarted","schema":1,"data":null}`),
		[]byte(`{"type":"WorkStarted","schema":1}`),
		[]byte(`{"type":"NoSuchType","schema":1,"data":{}}`),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		inputs = append(inputs, b)
	}
	for _, b := range inputs {
		want, wantErr := Decode(b)
		for _, typ := range append(EventTypes(), "", "NoSuchType") {
			got, err := DecodeAs(b, typ)
			assert.Equal(t, want, got, "%s as %q", b, typ)
			assert.Equal(t, wantErr == nil, err == nil, "%s as %q", b, typ)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "BacklogItemRanked.json"))
	require.NoError(b, err)
	b.Run("Decode", func(b *testing.B) {
		for b.Loop() {
			_, _ = Decode(data)
		}
	})
	b.Run("DecodeAs", func(b *testing.B) {
		for b.Loop() {
			_, _ = DecodeAs(data, TypeBacklogItemRanked)
		}
	})
}
