package replay

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/decisionledger/ledger/projections"
)

// A Views snapshot is ViewsVersion (its length, then its bytes), one byte
// naming how the body is compressed (viewsZstd), the body's length, and
// the body: the members' binary snapshots. The body compresses about
// three to one (a state names the same ids and texts over and over, and
// most of its numbers are small), and a snapshot's bytes, kept every few
// thousand events, are what the snapshot store holds; decompressing
// takes about a millisecond per megabyte.
const viewsZstd = 1

// maxViewsBody bounds the body a snapshot may decompress to, so that a
// damaged or crafted one cannot make the reader allocate without end; the
// body of a product of 5,000 items is under 2 MB.
const maxViewsBody = 256 << 20

// viewsBodyHint bounds what is allocated up front for the body a snapshot
// claims: beyond it the decoder grows the buffer as it goes.
const viewsBodyHint = 16 << 20

var (
	zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
		// A 2 MiB window rather than the level's 8: each encoder keeps
		// a history twice its window, and at 5,000 items a body is under
		// 2 MB, so the smaller one finds the same matches (the same bytes,
		// measured on a 1M-event product) in a quarter of the memory.
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(2),
			zstd.WithWindowSize(2<<20))
		if err != nil {
			panic(fmt.Sprintf("zstd encoder: %v", err)) // only for invalid options
		}
		return e
	})
	zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxMemory(maxViewsBody))
		if err != nil {
			panic(fmt.Sprintf("zstd decoder: %v", err)) // only for invalid options
		}
		return d
	})
)

// encodeViews writes a snapshot around the members' binary snapshots.
func encodeViews(body []byte) []byte {
	out := make([]byte, 0, len(body)/2+len(ViewsVersion)+16)
	out = binary.AppendUvarint(out, uint64(len(ViewsVersion)))
	out = append(out, ViewsVersion...)
	out = append(out, viewsZstd)
	out = binary.AppendUvarint(out, uint64(len(body)))
	return zstdEncoder().EncodeAll(body, out)
}

// decodeViews returns the body of a snapshot of ViewsVersion. One of
// another version, the JSON ones older versions wrote among them, fails
// with an error wrapping projections.ErrSnapshotVersion.
func decodeViews(data []byte) ([]byte, error) {
	if len(data) > 0 && data[0] == '{' {
		var old struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(data, &old); err != nil {
			return nil, fmt.Errorf("read views snapshot: %w", err)
		}
		return nil, fmt.Errorf("views snapshot written by %q, this is %q: %w", old.Version, ViewsVersion, projections.ErrSnapshotVersion)
	}
	n, k := binary.Uvarint(data)
	if k <= 0 || n > uint64(len(data)-k) {
		return nil, errors.New("read views snapshot: it does not begin with a version")
	}
	switch v := string(data[k : k+int(n)]); {
	case v == ViewsVersion:
	case strings.HasPrefix(v, "views/"):
		return nil, fmt.Errorf("views snapshot written by %q, this is %q: %w", v, ViewsVersion, projections.ErrSnapshotVersion)
	default:
		return nil, errors.New("read views snapshot: it does not begin with a version")
	}
	data = data[k+int(n):]
	if len(data) == 0 || data[0] != viewsZstd {
		return nil, errors.New("read views snapshot: unknown compression")
	}
	size, k := binary.Uvarint(data[1:])
	if k <= 0 || size > maxViewsBody {
		return nil, errors.New("read views snapshot: its length is missing or too large")
	}
	body, err := zstdDecoder().DecodeAll(data[1+k:], make([]byte, 0, min(size, viewsBodyHint)))
	if err != nil {
		return nil, fmt.Errorf("read views snapshot: %w", err)
	}
	if uint64(len(body)) != size {
		return nil, fmt.Errorf("read views snapshot: its body is %d bytes, not %d", len(body), size)
	}
	return body, nil
}
