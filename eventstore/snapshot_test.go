package eventstore

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func snapInfo(seq uint64, at time.Time) SnapshotInfo {
	return SnapshotInfo{Product: "checkout", Kind: "views", Version: "views/1", Seq: seq, LastAt: at, Events: seq / 2}
}

func TestSnapshots_PutListGetDelete(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	ss := s.Snapshots()

	list, err := ss.List(ctx, "checkout", "views")
	require.NoError(t, err)
	assert.Empty(t, list, "no snapshots yet: an empty list, not an error")

	day := func(d int) time.Time { return time.Date(2026, 4, d, 12, 0, 0, 0, time.UTC) }
	for _, seq := range []uint64{300, 100, 200} { // out of order on purpose
		info, err := ss.Put(ctx, snapInfo(seq, day(int(seq/100))), []byte(fmt.Sprintf("state at %d", seq)))
		require.NoError(t, err)
		assert.Equal(t, uint64(len(fmt.Sprintf("state at %d", seq))), info.Size)
	}
	// Another kind and another product stay apart.
	_, err = ss.Put(ctx, SnapshotInfo{Product: "checkout", Kind: "set", Version: "set/1", Seq: 250, LastAt: day(2)}, []byte("set"))
	require.NoError(t, err)
	_, err = ss.Put(ctx, SnapshotInfo{Product: "search", Kind: "views", Version: "views/1", Seq: 150, LastAt: day(1)}, []byte("search"))
	require.NoError(t, err)

	list, err = ss.List(ctx, "checkout", "views")
	require.NoError(t, err)
	require.Len(t, list, 3)
	for i, seq := range []uint64{100, 200, 300} {
		assert.Equal(t, seq, list[i].Seq)
		assert.Equal(t, "checkout/views/"+fmt.Sprintf("%020d", seq), list[i].Name())
		assert.Equal(t, day(int(seq/100)), list[i].LastAt)
		assert.Equal(t, seq/2, list[i].Events)
		assert.Equal(t, "views/1", list[i].Version)
	}

	b, err := ss.Get(ctx, list[1])
	require.NoError(t, err)
	assert.Equal(t, "state at 200", string(b))

	tests := []struct {
		name    string
		seq     uint64
		at      time.Time
		want    uint64
		present bool
	}{
		{"Unbounded", 0, time.Time{}, 300, true},
		{"BySeq", 299, time.Time{}, 200, true},
		{"BySeqExact", 200, time.Time{}, 200, true},
		{"ByTime", 0, day(2).Add(time.Hour), 200, true},
		{"ByTimeExact", 0, day(1), 100, true},
		{"Both", 250, day(3), 200, true},
		{"NoneBefore", 99, time.Time{}, 0, false},
		{"NoneBeforeTime", 0, day(1).Add(-time.Nanosecond), 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := ss.LatestAtOrBefore(ctx, "checkout", "views", tc.seq, tc.at)
			require.NoError(t, err)
			require.Equal(t, tc.present, ok)
			assert.Equal(t, tc.want, got.Seq)
		})
	}

	require.NoError(t, ss.Delete(ctx, list[1]))
	list, err = ss.List(ctx, "checkout", "views")
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []uint64{100, 300}, []uint64{list[0].Seq, list[1].Seq})
	_, err = ss.Get(ctx, snapInfo(200, day(2)))
	require.ErrorIs(t, err, ErrSnapshotNotFound)
	require.ErrorIs(t, ss.Delete(ctx, snapInfo(200, day(2))), ErrSnapshotNotFound)
}

func TestSnapshots_ReplaceSameSeq(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	ss := s.Snapshots()
	at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	_, err := ss.Put(ctx, snapInfo(10, at), []byte("old"))
	require.NoError(t, err)
	info := snapInfo(10, at)
	info.Version = "views/2"
	_, err = ss.Put(ctx, info, []byte("new"))
	require.NoError(t, err)

	list, err := ss.List(ctx, "checkout", "views")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "views/2", list[0].Version)
	b, err := ss.Get(ctx, list[0])
	require.NoError(t, err)
	assert.Equal(t, "new", string(b))
}

// A snapshot larger than a message (1 MB) is stored in chunks and read
// back whole: the reason for an object store rather than a key-value one.
func TestSnapshots_LargerThanAMessage(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16) // 3 MB
	info, err := s.Snapshots().Put(ctx, snapInfo(1, time.Now()), big)
	require.NoError(t, err)
	got, err := s.Snapshots().Get(ctx, info)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(big, got))
}

// Concurrent writers each add their entry: the index is updated with
// compare-and-set, and two handles creating the buckets at once agree.
func TestSnapshots_ConcurrentPutsLoseNoEntry(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Snapshots().Put(ctx, snapInfo(uint64(i), time.Now()), []byte("x"))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	list, err := s.Snapshots().List(ctx, "checkout", "views")
	require.NoError(t, err)
	assert.Len(t, list, n)
}

// The buckets survive a restart and are bound, not recreated.
func TestSnapshots_Durable(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	s, err := Open(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	_, err = s.Snapshots().Put(ctx, snapInfo(7, time.Now()), []byte("kept"))
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = Open(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	list, err := s.Snapshots().List(ctx, "checkout", "views")
	require.NoError(t, err)
	require.Len(t, list, 1)
	b, err := s.Snapshots().Get(ctx, list[0])
	require.NoError(t, err)
	assert.Equal(t, "kept", string(b))
}

func TestSnapshots_Invalid(t *testing.T) {
	s := openTemp(t)
	ctx := testCtx(t)
	ss := s.Snapshots()
	tests := []struct {
		name string
		info SnapshotInfo
	}{
		{"ErrProduct", SnapshotInfo{Product: "a.b", Kind: "views", Version: "v", Seq: 1}},
		{"ErrKind", SnapshotInfo{Product: "checkout", Kind: "Views/1", Version: "v", Seq: 1}},
		{"ErrNoSeq", SnapshotInfo{Product: "checkout", Kind: "views", Version: "v"}},
		{"ErrNoVersion", SnapshotInfo{Product: "checkout", Kind: "views", Seq: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ss.Put(ctx, tc.info, []byte("x"))
			require.Error(t, err)
		})
	}
	_, err := ss.List(ctx, "checkout", "")
	require.Error(t, err)
}
