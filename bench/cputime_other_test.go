//go:build !unix

package bench_test

import "time"

// processCPU is not measured here: the cpu-ms metrics read 0.
func processCPU() time.Duration { return 0 }
