//go:build !unix

package bench

import "os"

// watchPeak reports that this system gives no peak RSS of a child.
func watchPeak(*os.Process) (stop func(*os.ProcessState) (float64, bool)) {
	return func(*os.ProcessState) (float64, bool) { return 0, false }
}
