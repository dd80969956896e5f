package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// replayHeapFloor is the heap ledger replay keeps to while what it holds
// live is under two thirds of it. Left alone, the Go runtime lets the
// heap grow to twice what is live before it collects; a replay holds
// every product's views, the embedded server's block caches and the
// snapshots being written, and at 1M events over 20k items that doubling
// is what took it past half a GiB.
const replayHeapFloor = 400 << 20

// boundHeap sets a soft memory limit (runtime/debug.SetMemoryLimit) of
// floor, raised to one and a half times the live heap as that grows, so
// that a larger history is never starved into collecting all the time:
// the limit keeps the heap near floor, never under half as much again as
// it needs. It does nothing when GOMEMLIMIT is set: the user's limit
// stands. The returned func restores the limit before it.
func boundHeap(floor int64) (stop func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(floor)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				live := int64(sample[0].Value.Uint64())
				debug.SetMemoryLimit(max(floor, live+live/2))
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
		debug.SetMemoryLimit(prev)
	}
}
