package audit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/decisionledger/ledger/stored"
)

// leavesTag opens a leaf-hash record of the checkpoint stream.
const leavesTag = "ledger-leaves-v1\n"

// maxLeavesPerRecord keeps a record (8 KiB of hashes per 256 leaves) well
// under the server's 1 MiB default maximum payload.
const maxLeavesPerRecord = 8192

// encodeLeaves is a leaf-hash record: the tag, the index of the first leaf
// as 8 bytes big-endian, then the 32-byte leaf hashes in order.
func encodeLeaves(first int64, hs []tlog.Hash) []byte {
	b := make([]byte, 0, len(leavesTag)+8+len(hs)*tlog.HashSize)
	b = append(b, leavesTag...)
	b = binary.BigEndian.AppendUint64(b, uint64(first))
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}

func decodeLeaves(b []byte) (int64, []tlog.Hash, error) {
	if len(b) < len(leavesTag)+8 || string(b[:len(leavesTag)]) != leavesTag {
		return 0, nil, errors.New("not a leaf-hash record")
	}
	b = b[len(leavesTag):]
	first := binary.BigEndian.Uint64(b)
	b = b[8:]
	if len(b)%tlog.HashSize != 0 || first > 1<<62 {
		return 0, nil, errors.New("leaf-hash record is truncated")
	}
	hs := make([]tlog.Hash, len(b)/tlog.HashSize)
	for i := range hs {
		copy(hs[i][:], b[i*tlog.HashSize:])
	}
	return int64(first), hs, nil
}

// storedCheckpoint is a signed checkpoint found in the checkpoint stream.
type storedCheckpoint struct {
	seq    uint64
	signed []byte
}

// records is what the checkpoint stream holds: the signed checkpoints, and
// the published leaf hashes as one contiguous run from leaf 0. The leaf
// hashes are not trusted: they only locate a change once a signed
// checkpoint's root confirms them.
type records struct {
	checkpoints []storedCheckpoint
	leaves      []tlog.Hash
}

func readRecords(ctx context.Context, src Source) (*records, error) {
	rs := &records{}
	err := src.ReadCheckpoints(ctx, func(r stored.CheckpointRecord) error {
		switch r.Kind {
		case stored.KindCheckpoint:
			rs.checkpoints = append(rs.checkpoints, storedCheckpoint{seq: r.Seq, signed: r.Data})
		case stored.KindLeaves:
			first, hs, err := decodeLeaves(r.Data)
			if err != nil || first > int64(len(rs.leaves)) {
				return nil // unusable or not contiguous: the hashes are only a locating aid
			}
			if end := first + int64(len(hs)); end > int64(len(rs.leaves)) {
				rs.leaves = append(rs.leaves, hs[int64(len(rs.leaves))-first:]...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", stored.CheckpointStreamName, err)
	}
	return rs, nil
}

// leafTree builds the tree of the published leaf hashes.
func (rs *records) leafTree() *Tree {
	t := &Tree{}
	for _, h := range rs.leaves {
		t.Append(h)
	}
	return t
}
