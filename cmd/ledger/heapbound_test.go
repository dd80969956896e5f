package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// boundHeap sets its floor as the soft memory limit, raises it to half as
// much again as the live heap once that outgrows two thirds of the floor,
// restores the limit before it when stopped, and leaves a GOMEMLIMIT the
// user set alone.
func TestBoundHeap(t *testing.T) {
	limit := func() int64 { return debug.SetMemoryLimit(-1) }
	before := limit()
	const floor = 8 << 20
	stop := boundHeap(floor)
	assert.Equal(t, int64(floor), limit())
	live := make([][]byte, 0, 32)
	for range 32 {
		live = append(live, make([]byte, 1<<20)) // 32 MiB held: four times the floor
	}
	require.Eventually(t, func() bool {
		runtime.GC()
		return limit() >= 48<<20
	}, 10*time.Second, 50*time.Millisecond, "the limit follows the live heap up")
	runtime.KeepAlive(live)
	stop()
	assert.Equal(t, before, limit(), "stopping restores the limit")

	t.Setenv("GOMEMLIMIT", "1GiB")
	boundHeap(floor)()
	assert.Equal(t, before, limit(), "the user's GOMEMLIMIT stands")
}
