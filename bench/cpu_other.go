//go:build !unix

package bench

import "time"

// processCPU is not measured here: the instances rows' CPU reads 0.
func processCPU(int) time.Duration { return 0 }

// selfCPU is not measured here either.
func selfCPU() time.Duration { return 0 }
