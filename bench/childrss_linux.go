package bench

import (
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// watchPeak follows the peak resident set of a running child: the
// kernel's high-water mark of its own address space (VmHWM in
// /proc/PID/status), read every 20 ms until stop, which returns the last
// read. The child's rusage will not do on Linux: its maxrss starts from
// the parent's resident set at the exec, the bench's own.
func watchPeak(p *os.Process) (stop func(*os.ProcessState) (float64, bool)) {
	var kb atomic.Int64
	done, finished := make(chan struct{}), make(chan struct{})
	path := "/proc/" + strconv.Itoa(p.Pid) + "/status"
	go func() {
		defer close(finished)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if v, err := statusFieldOf(path, "VmHWM"); err == nil && int64(v) > kb.Load() {
				kb.Store(int64(v))
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func(*os.ProcessState) (float64, bool) {
		close(done)
		<-finished
		return float64(kb.Load()) / 1024, kb.Load() > 0
	}
}
