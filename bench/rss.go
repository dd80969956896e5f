package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// peakRSS measures the peak resident set of this process from now on: it
// resets the kernel's high-water mark (/proc/self/clear_refs) and reads it
// back (VmHWM); where that is not possible it samples runtime/metrics.
type peakRSS struct {
	hwm  bool
	stop func() (mib float64, how string)
}

func newPeakRSS() peakRSS {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err == nil {
		return peakRSS{hwm: true, stop: func() (float64, string) {
			kb, err := statusField("VmHWM")
			if err != nil {
				return 0, err.Error()
			}
			return kb / 1024, "VmHWM of this process, embedded server included, after resetting it"
		}}
	}
	done, peak := make(chan struct{}), make(chan float64)
	go func() {
		var top float64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				peak <- top
				return
			case <-tick.C:
				if v := memoryTotal(); v > top {
					top = v
				}
			}
		}
	}()
	return peakRSS{stop: func() (float64, string) {
		close(done)
		return <-peak / (1 << 20), "runtime/metrics total memory, sampled every 10 ms"
	}}
}

func statusField(name string) (float64, error) { return statusFieldOf("/proc/self/status", name) }

// statusFieldOf reads a field in kilobytes from a /proc status file.
func statusFieldOf(path, name string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		}
	}
	return 0, fmt.Errorf("no %s in %s", name, path)
}

// TempDir makes a fresh data directory for a run under dir ("" for the
// system's temporary directory).
func TempDir(dir string) (string, error) {
	return os.MkdirTemp(dir, "ledger-bench-")
}
