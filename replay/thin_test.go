package replay

import (
	"math/bits"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// thinned simulates a product whose Views are snapshotted every every
// events, n times, with Thin applied after each write as Snapshotter.Write
// does, and returns the Events of the snapshots left.
func thinned(n int, every uint64) []uint64 {
	var list []SnapshotInfo
	for i := 1; i <= n; i++ {
		e := uint64(i) * every
		list = append(list, SnapshotInfo{Product: "p", Kind: "views", Seq: e, Events: e})
		drop := map[uint64]bool{}
		for _, d := range Thin(list, every) {
			drop[d.Seq] = true
		}
		kept := list[:0]
		for _, s := range list {
			if !drop[s.Seq] {
				kept = append(kept, s)
			}
		}
		list = kept
	}
	var out []uint64
	for _, s := range list {
		out = append(out, s.Events)
	}
	return out
}

func TestThin(t *testing.T) {
	const every = 1000
	for _, n := range []int{1, 2, 3, 4, 10, 20, 100, 1000, 5000} {
		kept := thinned(n, every)
		newest := uint64(n) * every
		require.NotEmpty(t, kept)
		assert.Equal(t, uint64(every), kept[0], "n=%d: the first snapshot is kept", n)
		for i := 0; i < min(KeepRecent, n); i++ {
			assert.Equal(t, newest-uint64(i)*every, kept[len(kept)-1-i], "n=%d: the newest %d are kept", n, KeepRecent)
		}
		assert.LessOrEqual(t, len(kept), KeepRecent+2*bits.Len(MaxGap)+n/MaxGap+1, "n=%d: one per MaxGap intervals: %v", n, kept)
		// The events a question at q replays from the snapshot before it
		// stay within its distance from the newest snapshot, within one
		// interval for the recent past, and within MaxGap intervals
		// anywhere.
		for q := uint64(every); q <= newest; q += every / 4 {
			var from uint64
			for _, e := range kept {
				if e <= q {
					from = e
				}
			}
			assert.LessOrEqual(t, q-from, min(max(every, newest-q), MaxGap*every), "n=%d: a question at %d replays from %d", n, q, from)
		}
	}
	assert.Len(t, thinned(100, every), 53, "100 intervals (100k events at the default)")
	assert.Len(t, thinned(1000, every), 503, "1,000 intervals")
}
