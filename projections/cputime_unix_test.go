//go:build unix

package projections_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used, user and system:
// what a read costs whatever the neighbours' load on a shared machine
// does to its wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
