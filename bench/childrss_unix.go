//go:build unix && !linux

package bench

import (
	"os"
	"runtime"
	"syscall"
)

// watchPeak is the child's peak resident set from its rusage once it
// has exited (kilobytes, bytes on macOS), where the system reports one.
func watchPeak(*os.Process) (stop func(*os.ProcessState) (float64, bool)) {
	return func(ps *os.ProcessState) (float64, bool) {
		ru, ok := ps.SysUsage().(*syscall.Rusage)
		if !ok || ru == nil || ru.Maxrss <= 0 {
			return 0, false
		}
		if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
			return float64(ru.Maxrss) / (1 << 20), true
		}
		return float64(ru.Maxrss) / 1024, true
	}
}
