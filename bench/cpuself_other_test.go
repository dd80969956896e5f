//go:build !unix

package bench

import "time"

// cpuSelf is not measured here: the cpu-ms metrics read 0.
func cpuSelf() time.Duration { return 0 }
