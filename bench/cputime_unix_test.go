//go:build unix

package bench_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used, user and system,
// embedded server included: what an answer costs whatever the
// neighbours' load on a shared machine does to its wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
