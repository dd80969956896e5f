//go:build unix

package bench

import (
	"syscall"
	"time"
)

// cpuSelf is the CPU time this process has used, user and system,
// embedded server included (processCPU of the external tests, for the
// tests inside the package).
func cpuSelf() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
